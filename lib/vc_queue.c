/* vc_queue.c - PENDING speech tracks, leases, claims and failures. */
#include "vc_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_log.h"
#include "vc_store.h"

static const struct vc_stmt st_add = {
    "vc_queue_add",
    "INSERT INTO audio_tracks (status, title, artist, album, genre, text, voice, language, "
    " model, cache_key, speed, speakers) "
    "VALUES ('PENDING', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::real, $11::jsonb) "
    "ON CONFLICT (cache_key) WHERE cache_key IS NOT NULL DO NOTHING RETURNING id", 11
};
static const struct vc_stmt st_claim = {
    "vc_queue_claim",
    "UPDATE audio_tracks SET status = 'PROCESSING', "
    " lease_until = now() + make_interval(secs => $2::int) "
    "WHERE id = $1 AND status = 'PENDING'", 2
};
static const struct vc_stmt st_requeue = {
    "vc_queue_requeue",
    "UPDATE audio_tracks SET status = 'PENDING', lease_until = NULL "
    "WHERE status = 'PROCESSING' AND lease_until < now() AND cache_key IS NOT NULL "
    "RETURNING id", 0
};
static const struct vc_stmt st_take = {
    "vc_queue_take",
    "UPDATE audio_tracks SET status = 'PROCESSING', "
    " lease_until = now() + make_interval(secs => $1::int) "
    "WHERE id = (SELECT id FROM audio_tracks WHERE status = 'PENDING' AND cache_key IS NOT NULL "
    "            AND text IS NOT NULL AND updated_at < now() - interval '2 seconds' "
    "            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, cache_key, json_build_object('text', text, 'voice', voice, "
    " 'language', language, 'model', model, 'speed', speed, 'speakers', speakers)::text", 1
};
static const struct vc_stmt st_fail = {
    "vc_queue_fail",
    "UPDATE audio_tracks SET status = 'FAILED', error_message = $2, lease_until = NULL "
    "WHERE id = $1 AND status = 'PROCESSING'", 2
};
static const struct vc_stmt st_counts = {
    "vc_queue_counts",
    "SELECT count(*) FILTER (WHERE status = 'PENDING'), "
    "       count(*) FILTER (WHERE status = 'PROCESSING'), "
    "       count(*) FILTER (WHERE status = 'PROCESSING' AND lease_until < now()), "
    "       count(*) FILTER (WHERE status = 'FAILED'), "
    "       count(*) FILTER (WHERE status = 'FAILED' AND retry_count < $1::int), "
    "       coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'PENDING')), 0)::bigint "
    "FROM audio_tracks WHERE status IN ('PENDING', 'PROCESSING', 'FAILED')", 1
};

/* The speakers as a JSON array (new string), or NULL when there are none. */
static char *speakers_json(const struct vc_tts_input *in)
{
    json_t *arr;
    char *out;

    if (in->nspeakers == 0)
        return NULL;
    arr = json_array();
    for (size_t i = 0; arr != NULL && i < in->nspeakers; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", in->speaker_name[i],
                                             "voice", in->speaker_voice[i]));
    out = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return out;
}

struct add_ctx {
    const struct vc_tts_input *in;
    const char *key;
    const struct vc_actor *who;
    char *id;
    int *created;
};

static enum vc_code add_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    struct add_ctx *c = vctx;
    const struct vc_tts_input *in = c->in;
    char title[81], speed[16];
    char *speakers = speakers_json(in);
    struct vc_result *res;

    vc_track_default_title(in->text, title, sizeof(title));
    snprintf(speed, sizeof(speed), "%.2f", in->speed);
    {
        const char *p[11] = { in->title ? in->title : title, in->artist, in->album, in->genre,
                              in->text, in->voice, in->language, in->model, c->key, speed,
                              speakers };
        res = vc_db_exec(db, &st_add, p, err);
    }
    free(speakers);
    if (res == NULL)
        return err->code;
    *c->created = vc_result_rows(res) == 1;
    if (*c->created)
        snprintf(c->id, VC_UUID_SIZE, "%s", vc_result_value(res, 0, 0));
    vc_result_free(res);
    if (!*c->created)
        return vc_store_track_by_key(db, c->key, 1, c->id, err);
    return vc_audit_track(db, "track.create", c->id, c->who, "PENDING", NULL, err);
}

enum vc_code vc_queue_add(struct vc_db *db, const struct vc_tts_input *in, const char *key,
                          const struct vc_actor *who, char id[VC_UUID_SIZE], int *created,
                          struct vc_error *err)
{
    struct add_ctx c = { in, key, who, id, created };

    id[0] = '\0';
    *created = 0;
    return vc_db_transaction(db, add_txn, &c, err);
}

/* A status change and its audit row, in one transaction. */
struct move_ctx {
    const struct vc_stmt *stmt;
    const char *const *params;
    const char *id;
    const char *from, *to, *why;
    const struct vc_actor *who;
    int moved;
};

static enum vc_code move_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    struct move_ctx *c = vctx;
    struct vc_result *res = vc_db_exec(db, c->stmt, c->params, err);
    char detail[160];

    if (res == NULL)
        return err->code;
    c->moved = vc_result_affected(res) == 1;
    vc_result_free(res);
    if (!c->moved)
        return VC_OK;
    snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\",\"why\":\"%s\"}",
             c->from, c->to, c->why);
    return vc_audit_track(db, "track.status", c->id, c->who, c->to, detail, err);
}

enum vc_code vc_queue_claim(struct vc_db *db, const char *id, int lease_s,
                            const struct vc_actor *who, int *claimed, struct vc_error *err)
{
    char secs[16];
    const char *params[2] = { id, secs };
    struct move_ctx c = { &st_claim, params, id, "PENDING", "PROCESSING", "claimed", who, 0 };
    enum vc_code rc;

    snprintf(secs, sizeof(secs), "%d", lease_s);
    rc = vc_db_transaction(db, move_txn, &c, err);
    *claimed = rc == VC_OK && c.moved;
    return rc;
}

void vc_queue_fail(struct vc_db *db, const char *id, const char *message,
                   const struct vc_actor *who)
{
    const char *params[2] = { id, message };
    struct move_ctx c = { &st_fail, params, id, "PROCESSING", "FAILED", "synthesis failed", who, 0 };
    struct vc_error err;

    vc_log(VC_LOG_WARN, "queued track %s failed: %s", id, message);
    vc_error_clear(&err);
    if (vc_db_transaction(db, move_txn, &c, &err) != VC_OK)
        vc_log(VC_LOG_WARN, "could not mark track %s FAILED: %s", id, err.message);
}

static enum vc_code requeue_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    static const char detail[] = "{\"from\":\"PROCESSING\",\"to\":\"PENDING\","
                                 "\"why\":\"lease expired\"}";
    long *count = vctx;
    struct vc_result *res = vc_db_exec(db, &st_requeue, NULL, err);
    enum vc_code rc = VC_OK;

    if (res == NULL)
        return err->code;
    *count = vc_result_rows(res);
    for (int i = 0; rc == VC_OK && i < vc_result_rows(res); i++)
        rc = vc_audit_track(db, "track.status", vc_result_value(res, i, 0), &vc_actor_system,
                            "PENDING", detail, err);
    vc_result_free(res);
    return rc;
}

enum vc_code vc_queue_requeue_expired(struct vc_db *db, long *count, struct vc_error *err)
{
    enum vc_code rc;

    *count = 0;
    rc = vc_db_transaction(db, requeue_txn, count, err);
    if (rc != VC_OK)
        *count = 0;
    else if (*count > 0)
        vc_log(VC_LOG_WARN, "%ld track(s) back to PENDING after their lease ran out", *count);
    return rc;
}

struct take_ctx {
    const char *lease;
    char *id, *key;
    char **request;
};

static enum vc_code take_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    static const char detail[] = "{\"from\":\"PENDING\",\"to\":\"PROCESSING\","
                                 "\"why\":\"taken from the queue\"}";
    struct take_ctx *c = vctx;
    const char *params[1] = { c->lease };
    struct vc_result *res = vc_db_exec(db, &st_take, params, err);

    if (res == NULL)
        return err->code;
    if (vc_result_rows(res) == 0) {
        vc_result_free(res);
        return VC_OK;
    }
    snprintf(c->id, VC_UUID_SIZE, "%s", vc_result_value(res, 0, 0));
    snprintf(c->key, VC_SHA256_HEX, "%s", vc_result_value(res, 0, 1));
    *c->request = strdup(vc_result_value(res, 0, 2));
    vc_result_free(res);
    if (*c->request == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    return vc_audit_track(db, "track.status", c->id, &vc_actor_system, "PROCESSING", detail, err);
}

enum vc_code vc_queue_take(struct vc_db *db, int lease_s, char id[VC_UUID_SIZE],
                           char key[VC_SHA256_HEX], char **request, int *found,
                           struct vc_error *err)
{
    char secs[16];
    struct take_ctx c = { secs, id, key, request };
    enum vc_code rc;

    snprintf(secs, sizeof(secs), "%d", lease_s);
    id[0] = key[0] = '\0';
    *request = NULL;
    rc = vc_db_transaction(db, take_txn, &c, err);
    if (rc != VC_OK) {
        free(*request);
        *request = NULL;
    }
    *found = rc == VC_OK && *request != NULL;
    return rc;
}

json_t *vc_queue_counts(struct vc_db *db, int max_retries, struct vc_error *err)
{
    char retries[16];
    const char *params[1] = { retries };
    struct vc_result *res;
    json_t *out;

    snprintf(retries, sizeof(retries), "%d", max_retries);
    res = vc_db_exec(db, &st_counts, params, err);
    if (res == NULL)
        return NULL;
    out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
                    "pending", (json_int_t)strtoll(vc_result_value(res, 0, 0), NULL, 10),
                    "processing", (json_int_t)strtoll(vc_result_value(res, 0, 1), NULL, 10),
                    "lease_expired", (json_int_t)strtoll(vc_result_value(res, 0, 2), NULL, 10),
                    "failed", (json_int_t)strtoll(vc_result_value(res, 0, 3), NULL, 10),
                    "failed_retriable", (json_int_t)strtoll(vc_result_value(res, 0, 4), NULL, 10),
                    "oldest_pending_s", (json_int_t)strtoll(vc_result_value(res, 0, 5), NULL, 10));
    vc_result_free(res);
    if (out == NULL)
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    return out;
}
