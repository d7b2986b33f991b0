/* vc_catalog.c - tracks by id, status transitions, import and export. */
#include "vc_catalog.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vc_log.h"
#include "vc_text.h"
#include "vc_track.h"

static const struct vc_stmt st_get = {
    "vc_catalog_get", "SELECT vc_track_json(t)::text FROM audio_tracks t WHERE id = $1", 1
};
static const struct vc_stmt st_get_many = {
    "vc_catalog_get_many",
    "SELECT coalesce(jsonb_agg(vc_track_json(t) ORDER BY o.n), '[]')::text "
    "FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, n) JOIN audio_tracks t ON t.id = o.id", 1
};
static const struct vc_stmt st_status = {
    "vc_catalog_status",
    "SELECT jsonb_build_object('id', id, 'status', status, 'retry_count', retry_count, "
    "'error_message', error_message, 'updated_at', updated_at)::text "
    "FROM audio_tracks WHERE id = $1", 1
};
static const struct vc_stmt st_lock = {
    "vc_catalog_lock", "SELECT status, retry_count FROM audio_tracks WHERE id = $1 FOR UPDATE", 1
};
static const struct vc_stmt st_move = {
    "vc_catalog_move",
    "UPDATE audio_tracks SET status = $2, "
    " error_message = CASE WHEN $2 = 'FAILED' THEN $3 WHEN $2 = 'COMPLETED' THEN NULL "
    "                      ELSE error_message END, "
    " retry_count = retry_count + $4::int, "
    " lease_until = CASE WHEN $2 = 'PROCESSING' THEN now() + make_interval(secs => $5::int) END "
    "WHERE id = $1 "
    "RETURNING jsonb_build_object('id', id, 'status', status, 'retry_count', retry_count, "
    "'error_message', error_message, 'updated_at', updated_at)::text", 5
};

/* The statuses a track in status may move to, in vc_track's order, into
 * to; their number (0 for a status vc_track does not know). */
static int next_statuses(const char *status, enum vc_status to[VC_STATUS_COUNT])
{
    enum vc_status from;
    int n = 0;

    if (vc_status_parse(status, &from) != 0)
        return 0;
    for (int s = 0; s < VC_STATUS_COUNT; s++) {
        if (vc_status_allowed(from, (enum vc_status)s))
            to[n++] = (enum vc_status)s;
    }
    return n;
}

void vc_catalog_add_next(json_t *track)
{
    enum vc_status to[VC_STATUS_COUNT];
    int n = next_statuses(json_string_value(json_object_get(track, "status")), to);
    json_t *next = json_array();

    if (next == NULL)
        return;
    for (int i = 0; i < n; i++)
        json_array_append_new(next, json_string(vc_status_name(to[i])));
    json_object_set_new(track, "next", next);
}

void vc_catalog_write_next(struct vc_jsonw *w, const char *status)
{
    enum vc_status to[VC_STATUS_COUNT];
    int n = next_statuses(status, to);

    vc_jsonw_raw(w, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            vc_jsonw_raw(w, ",", 1);
        vc_jsonw_cstring(w, vc_status_name(to[i]));
    }
    vc_jsonw_raw(w, "]", 1);
}

static json_t *get_one(struct vc_db *db, const struct vc_stmt *st, const char *id,
                       struct vc_error *err)
{
    const char *params[1] = { id };
    struct vc_result *res;
    json_t *out = NULL;

    if (!vc_uuid_valid(id)) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
        return NULL;
    }
    res = vc_db_exec(db, st, params, err);
    if (res == NULL)
        return NULL;
    if (vc_result_rows(res) == 0)
        vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no track %s", id);
    else
        out = vc_db_json(res, err);
    vc_result_free(res);
    if (out != NULL)
        vc_catalog_add_next(out);
    return out;
}

json_t *vc_catalog_get(struct vc_db *db, const char *id, struct vc_error *err)
{
    return get_one(db, &st_get, id, err);
}

json_t *vc_catalog_status(struct vc_db *db, const char *id, struct vc_error *err)
{
    return get_one(db, &st_status, id, err);
}

json_t *vc_catalog_get_many(struct vc_db *db, const char *const *ids, size_t n,
                            struct vc_error *err)
{
    json_t *arr = json_array();
    json_t *out = NULL;
    struct vc_result *res;
    char *text;
    const char *params[1];

    if (arr == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!vc_uuid_valid(ids[i])) {
            vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, json_string(ids[i]));
    }
    /* A JSON array of uuids reads as a PostgreSQL array literal once its
     * brackets are braces: ids are hex and dashes only. */
    text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (text == NULL)
        return NULL;
    text[0] = '{';
    text[strlen(text) - 1] = '}';
    params[0] = text;
    res = vc_db_exec(db, &st_get_many, params, err);
    free(text);
    if (res == NULL)
        return NULL;
    out = vc_db_json(res, err);
    vc_result_free(res);
    return out;
}

struct move_ctx {
    const char *id, *error_message;
    enum vc_status to;
    int max_retries, lease_s;
    const struct vc_actor *who;
    json_t *result;         /* out: the new status JSON (new reference) */
};

static enum vc_code move_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    struct move_ctx *c = vctx;
    const char *params[1] = { c->id };
    const char *to = vc_status_name(c->to);
    char detail[128], lease[16];
    enum vc_status from;
    int retries, is_retry;
    struct vc_result *res = vc_db_exec(db, &st_lock, params, err);

    if (res == NULL)
        return err->code;
    if (vc_result_rows(res) == 0) {
        vc_result_free(res);
        return vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no track %s", c->id);
    }
    if (vc_status_parse(vc_result_value(res, 0, 0), &from) != 0) {
        vc_result_free(res);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "track %s has an unknown status", c->id);
    }
    retries = atoi(vc_result_value(res, 0, 1));
    vc_result_free(res);
    if (!vc_status_allowed(from, c->to))
        return vc_error_set(err, VC_ERR_CONFLICT, "status", "a %s track cannot become %s",
                            vc_status_name(from), to);
    is_retry = from == VC_STATUS_FAILED;
    if (is_retry && retries >= c->max_retries)
        return vc_error_set(err, VC_ERR_CONFLICT, "status",
                            "a FAILED track cannot become PENDING again: retry limit reached "
                            "(%d of %d)", retries, c->max_retries);
    snprintf(lease, sizeof(lease), "%d", c->lease_s);
    {
        const char *p[5] = { c->id, to, c->error_message, is_retry ? "1" : "0", lease };
        res = vc_db_exec(db, &st_move, p, err);
    }
    if (res == NULL)
        return err->code;
    /* The row as this transaction left it, not as a later reader finds it. */
    c->result = vc_db_json(res, err);
    vc_result_free(res);
    if (c->result == NULL)
        return err->code;
    vc_catalog_add_next(c->result);
    snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\"}",
             vc_status_name(from), to);
    return vc_audit_track(db, "track.status", c->id, c->who, to, detail, err);
}

json_t *vc_catalog_transition(struct vc_db *db, const char *id, const char *to,
                              const char *error_message, int max_retries, int lease_s,
                              const struct vc_actor *who, struct vc_error *err)
{
    struct move_ctx c = { id, error_message, VC_STATUS_PENDING, max_retries, lease_s, who, NULL };

    if (!vc_uuid_valid(id)) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
        return NULL;
    }
    if (vc_status_parse(to, &c.to) != 0) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "status", "status must be %s",
                     vc_status_list());
        return NULL;
    }
    if (error_message != NULL && (strlen(error_message) > 2000
                                  || !vc_utf8_valid(error_message, strlen(error_message)))) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "error_message",
                     "error_message must be valid UTF-8 of at most 2000 bytes");
        return NULL;
    }
    if (vc_db_transaction(db, move_txn, &c, err) != VC_OK) {
        json_decref(c.result);
        return NULL;
    }
    return c.result;
}
