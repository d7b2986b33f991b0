/* vc_catalog.c - tracks by id, status transitions, import and export. */
#include "vc_catalog.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vc_log.h"
#include "vc_text.h"

int vc_uuid_valid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (s == NULL || strlen(s) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

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
    " lease_until = CASE WHEN $2 = 'PROCESSING' THEN now() + interval '5 minutes' END "
    "WHERE id = $1 "
    "RETURNING jsonb_build_object('id', id, 'status', status, 'retry_count', retry_count, "
    "'error_message', error_message, 'updated_at', updated_at)::text", 4
};
static const struct vc_stmt st_audit = {
    "vc_catalog_audit",
    "INSERT INTO audit_log (action, resource, actor, ip, status, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb)", 6
};

static json_t *get_one(struct vc_db *db, const struct vc_stmt *st, const char *id,
                       struct vc_error *err)
{
    const char *params[1] = { id };
    PGresult *res;
    json_t *out = NULL;

    if (!vc_uuid_valid(id)) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
        return NULL;
    }
    res = vc_db_exec(db, st, params, err);
    if (res == NULL)
        return NULL;
    if (PQntuples(res) == 0)
        vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no track %s", id);
    else
        out = vc_db_json(res, err);
    PQclear(res);
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
    PGresult *res;
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
    PQclear(res);
    return out;
}

static int allowed(const char *from, const char *to)
{
    return (strcmp(from, "PENDING") == 0 && strcmp(to, "PROCESSING") == 0)
        || (strcmp(from, "PROCESSING") == 0
            && (strcmp(to, "COMPLETED") == 0 || strcmp(to, "FAILED") == 0
                || strcmp(to, "PENDING") == 0))
        || (strcmp(from, "FAILED") == 0 && strcmp(to, "PENDING") == 0);
}

struct move_ctx {
    const char *id, *to, *error_message;
    int max_retries;
    const struct vc_actor *who;
    json_t *result;         /* out: the new status JSON (new reference) */
};

static enum vc_code audit(struct vc_db *db, const char *action, const char *resource,
                          const struct vc_actor *who, const char *status, const char *detail,
                          struct vc_error *err)
{
    const char *p[6] = { action, resource, who ? who->name : NULL, who ? who->ip : NULL,
                         status, detail };
    PGresult *res = vc_db_exec(db, &st_audit, p, err);

    if (res == NULL)
        return err->code;
    PQclear(res);
    return VC_OK;
}

static enum vc_code move_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    struct move_ctx *c = vctx;
    const char *params[1] = { c->id };
    char from[16], resource[64], detail[128];
    int retries, is_retry;
    PGresult *res = vc_db_exec(db, &st_lock, params, err);
    enum vc_code rc;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no track %s", c->id);
    }
    snprintf(from, sizeof(from), "%s", PQgetvalue(res, 0, 0));
    retries = atoi(PQgetvalue(res, 0, 1));
    PQclear(res);
    if (!allowed(from, c->to))
        return vc_error_set(err, VC_ERR_CONFLICT, "status", "a %s track cannot become %s",
                            from, c->to);
    is_retry = strcmp(from, "FAILED") == 0;
    if (is_retry && retries >= c->max_retries)
        return vc_error_set(err, VC_ERR_CONFLICT, "status",
                            "a FAILED track cannot become PENDING again: retry limit reached "
                            "(%d of %d)", retries, c->max_retries);
    {
        const char *p[4] = { c->id, c->to, c->error_message, is_retry ? "1" : "0" };
        res = vc_db_exec(db, &st_move, p, err);
    }
    if (res == NULL)
        return err->code;
    /* The row as this transaction left it, not as a later reader finds it. */
    c->result = vc_db_json(res, err);
    PQclear(res);
    if (c->result == NULL)
        return err->code;
    snprintf(resource, sizeof(resource), "track:%s", c->id);
    snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"to\":\"%s\"}", from, c->to);
    rc = audit(db, "track.status", resource, c->who, c->to, detail, err);
    return rc;
}

json_t *vc_catalog_transition(struct vc_db *db, const char *id, const char *to,
                              const char *error_message, int max_retries,
                              const struct vc_actor *who, struct vc_error *err)
{
    static const char *const statuses[] = { "PENDING", "PROCESSING", "COMPLETED", "FAILED" };
    struct move_ctx c = { id, to, error_message, max_retries, who, NULL };
    int known = 0;

    if (!vc_uuid_valid(id)) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
        return NULL;
    }
    for (size_t i = 0; i < 4; i++)
        known |= to != NULL && strcmp(to, statuses[i]) == 0;
    if (!known) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "status",
                     "status must be PENDING, PROCESSING, COMPLETED or FAILED");
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

/* ---- import and export --------------------------------------------------- */

enum ftype { F_TEXT, F_INT, F_NUM, F_UUID, F_STATUS, F_TIME, F_ARRAY };

/* The columns import takes and export writes, in COPY order, with their
 * checks (min/max: the range of a number, the element count of an array).
 * One list, so the two cannot drift apart. Left out on purpose:
 * search_vector (the trigger's) and lease_until (no worker holds a lease
 * on an imported track). tests/40-catalog.bats fails when audio_tracks
 * grows a column that is not here. */
static const struct field {
    const char *name;
    enum ftype type;
    double min, max;
    size_t maxlen;
} fields[] = {
    { "id", F_UUID, 0, 0, 36 },
    { "status", F_STATUS, 0, 0, 16 },
    { "title", F_TEXT, 0, 0, 1000 },
    { "artist", F_TEXT, 0, 0, 1000 },
    { "album", F_TEXT, 0, 0, 1000 },
    { "genre", F_TEXT, 0, 0, 200 },
    { "year", F_INT, 1800, 2100, 0 },
    { "duration", F_NUM, 0, 1e9, 0 },
    { "channels", F_INT, 1, 16, 0 },
    { "sample_rate", F_INT, 1, 1e7, 0 },
    { "bitrate", F_INT, 1, 1e9, 0 },
    { "format", F_TEXT, 0, 0, 32 },
    { "audio_path", F_TEXT, 0, 0, 2000 },
    { "thumbnail_path", F_TEXT, 0, 0, 2000 },
    { "error_message", F_TEXT, 0, 0, 2000 },
    { "retry_count", F_INT, 0, 1e6, 0 },
    { "text", F_TEXT, 0, 0, 100000 },
    { "voice", F_TEXT, 0, 0, 64 },
    { "language", F_TEXT, 0, 0, 16 },
    { "model", F_TEXT, 0, 0, 128 },
    { "cache_key", F_TEXT, 0, 0, 64 },
    { "created_at", F_TIME, 0, 0, 40 },
    { "updated_at", F_TIME, 0, 0, 40 },
    { "speed", F_NUM, 0.5, 2.0, 0 },        /* as POST /tts takes it */
    { "speakers", F_ARRAY, 0, 2, 2000 },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Make room for need more bytes in buf. */
static int reserve(char **buf, size_t *len, size_t *cap, size_t need)
{
    if (*len + need <= *cap)
        return 0;
    {
        size_t ncap = (*len + need) * 2;
        char *g = realloc(*buf, ncap);
        if (g == NULL)
            return -1;
        *buf = g;
        *cap = ncap;
    }
    return 0;
}

static int put_raw(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);

    if (reserve(buf, len, cap, n) != 0)
        return -1;
    memcpy(*buf + *len, s, n);
    *len += n;
    return 0;
}

/* Append s to buf escaped for COPY's text format. */
static int put_escaped(char **buf, size_t *len, size_t *cap, const char *s)
{
    if (reserve(buf, len, cap, strlen(s) * 2) != 0)
        return -1;
    for (; *s; s++) {
        char c = *s;
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            (*buf)[(*len)++] = '\\';
            c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        }
        (*buf)[(*len)++] = c;
    }
    return 0;
}

/* Check one parsed line and append its COPY row (the line number, then
 * the fields) to buf. */
static enum vc_code line_to_row(json_t *obj, long lineno, char **buf, size_t *len,
                                size_t *cap, struct vc_error *err)
{
    const char *key;
    json_t *v;
    char num[64];

    if (!json_is_object(obj))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL,
                            "line %ld: expected a JSON object", lineno);
    json_object_foreach(obj, key, v) {
        int found = 0;
        for (size_t i = 0; i < NFIELDS; i++)
            found |= strcmp(key, fields[i].name) == 0;
        if (!found && strcmp(key, "audio_url") != 0)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, key, "line %ld: %.40s: unknown field",
                                lineno, key);
    }
    snprintf(num, sizeof(num), "%ld", lineno);
    if (put_raw(buf, len, cap, num) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < NFIELDS; i++) {
        const struct field *f = &fields[i];
        const char *text = NULL;
        char *dumped = NULL;
        int failed;

        v = json_object_get(obj, f->name);
        if (put_raw(buf, len, cap, "\t") != 0)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        if (v == NULL || json_is_null(v)) {
            if (f->type == F_STATUS)
                text = "PENDING";
            else if (strcmp(f->name, "retry_count") == 0)
                text = "0";
            else if (strcmp(f->name, "title") == 0)
                text = "";
            /* Anything else stays NULL; the INSERT fills in a missing id
             * and timestamps (see import_sql). */
            if (text == NULL) {
                if (put_raw(buf, len, cap, "\\N") != 0)
                    return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
                continue;
            }
        } else if (f->type == F_INT) {
            if (!json_is_integer(v))
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: expected a whole number", lineno, f->name);
            if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: %lld is out of range (%.0f to %.0f)", lineno,
                                    f->name, (long long)json_integer_value(v), f->min, f->max);
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            text = num;
        } else if (f->type == F_NUM) {
            if (!json_is_number(v))
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: expected a number", lineno, f->name);
            if (!(json_number_value(v) >= f->min) || json_number_value(v) > f->max)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: out of range (%g to %g)", lineno, f->name,
                                    f->min, f->max);
            snprintf(num, sizeof(num), "%.17g", json_number_value(v));
            text = num;
        } else if (f->type == F_ARRAY) {
            if (!json_is_array(v) || json_array_size(v) > (size_t)f->max)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: expected an array of at most %.0f entries",
                                    lineno, f->name, f->max);
            dumped = json_dumps(v, JSON_COMPACT);
            if (dumped == NULL)
                return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            if (strlen(dumped) > f->maxlen) {
                free(dumped);
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: longer than %zu bytes", lineno, f->name,
                                    f->maxlen);
            }
            text = dumped;
        } else {
            if (!json_is_string(v))
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: expected a string", lineno, f->name);
            text = json_string_value(v);
            if (strlen(text) > f->maxlen)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: longer than %zu bytes", lineno, f->name, f->maxlen);
            if (f->type == F_UUID && !vc_uuid_valid(text))
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: %s: not a uuid", lineno, f->name);
            if (f->type == F_STATUS && strcmp(text, "PENDING") != 0 && strcmp(text, "PROCESSING") != 0
                && strcmp(text, "COMPLETED") != 0 && strcmp(text, "FAILED") != 0)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                    "line %ld: status: unknown status \"%.20s\"", lineno, text);
        }
        failed = put_escaped(buf, len, cap, text) != 0;
        free(dumped);
        if (failed)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    if (put_raw(buf, len, cap, "\n") != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    return VC_OK;
}

/* Append printf output to buf of size cap; -1 when it does not fit. */
static int appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf + used, cap - used, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap - used ? -1 : 0;
}

/* The import statements, built once from fields[] (fixed names only).
 * COPY cannot default a NULL: the rows land in a temporary table without
 * constraints, with their line numbers, and the INSERT that moves them
 * fills in ids and timestamps a line left out (and meets the real table's
 * constraints). An imported PROCESSING track gets a lease that has already
 * run out, so the speech queue takes it back. */
struct import_sql {
    char prepare[2048], copy[1024], insert[2048];
};

static int import_sql(struct import_sql *q)
{
    int bad = 0;

    q->prepare[0] = q->copy[0] = q->insert[0] = '\0';
    bad |= appendf(q->prepare, sizeof(q->prepare),
                   "CREATE TEMP TABLE vc_import ON COMMIT DROP AS SELECT 0::bigint AS line");
    bad |= appendf(q->copy, sizeof(q->copy), "COPY vc_import (line");
    bad |= appendf(q->insert, sizeof(q->insert), "INSERT INTO audio_tracks (lease_until");
    for (size_t i = 0; i < NFIELDS; i++) {
        bad |= appendf(q->prepare, sizeof(q->prepare), ", %s", fields[i].name);
        bad |= appendf(q->copy, sizeof(q->copy), ", %s", fields[i].name);
        bad |= appendf(q->insert, sizeof(q->insert), ", %s", fields[i].name);
    }
    bad |= appendf(q->prepare, sizeof(q->prepare), " FROM audio_tracks WITH NO DATA");
    bad |= appendf(q->copy, sizeof(q->copy), ") FROM STDIN");
    bad |= appendf(q->insert, sizeof(q->insert),
                   ") SELECT CASE WHEN status = 'PROCESSING' THEN now() END");
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *name = fields[i].name;
        if (strcmp(name, "id") == 0)
            bad |= appendf(q->insert, sizeof(q->insert), ", coalesce(id, gen_random_uuid())");
        else if (strcmp(name, "created_at") == 0)
            bad |= appendf(q->insert, sizeof(q->insert), ", coalesce(created_at, now())");
        else if (strcmp(name, "updated_at") == 0)
            bad |= appendf(q->insert, sizeof(q->insert), ", coalesce(updated_at, created_at, now())");
        else
            bad |= appendf(q->insert, sizeof(q->insert), ", %s", name);
    }
    bad |= appendf(q->insert, sizeof(q->insert), " FROM vc_import ORDER BY line");
    return bad;
}

/* When the INSERT breaks a unique index: the first line whose id or
 * cache_key is already in the catalog or repeats an earlier line. */
static const char import_duplicate[] =
    "SELECT line, field, value, taken, first FROM ("
    " SELECT line, 'id' AS field, id::text AS value,"
    "        EXISTS (SELECT 1 FROM audio_tracks t WHERE t.id = i.id) AS taken,"
    "        first_value(line) OVER (PARTITION BY id ORDER BY line) AS first"
    " FROM vc_import i WHERE id IS NOT NULL"
    " UNION ALL"
    " SELECT line, 'cache_key', cache_key,"
    "        EXISTS (SELECT 1 FROM audio_tracks t WHERE t.cache_key = i.cache_key),"
    "        first_value(line) OVER (PARTITION BY cache_key ORDER BY line)"
    " FROM vc_import i WHERE cache_key IS NOT NULL) d "
    "WHERE taken OR first < line ORDER BY line LIMIT 1";

/* "line N" of a COPY error's context: the row's index among the rows sent,
 * mapped back to the file's line (blank lines are skipped). */
static long copy_error_line(const PGresult *res, const long *rowline, long nrows)
{
    const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
    const char *p = ctx ? strstr(ctx, "line ") : NULL;
    long row = p ? strtol(p + 5, NULL, 10) : 0;

    return row >= 1 && row <= nrows ? rowline[row - 1] : 0;
}

/* Move the copied rows into audio_tracks. A unique violation is reported
 * as the line that caused it; any other refusal with the server's words. */
static enum vc_code import_insert(struct vc_db *db, const char *insert, long *count,
                                  struct vc_error *err)
{
    PGconn *conn = vc_db_conn(db);
    PGresult *res = NULL;
    const char *state, *msg, *detail;
    enum vc_code rc;

    rc = vc_db_script(db, "SAVEPOINT vc_import_rows", err);
    if (rc != VC_OK)
        return rc;
    res = PQexec(conn, insert);
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        *count = strtol(PQcmdTuples(res), NULL, 10);
        rc = VC_OK;
        goto out;
    }
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "%s%s%s",
                      msg ? msg : "refused by the database", detail ? ": " : "",
                      detail ? detail : "");
    if (state == NULL || strcmp(state, "23505") != 0)
        goto out;
    PQclear(res);
    res = PQexec(conn, "ROLLBACK TO SAVEPOINT vc_import_rows");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        goto out;
    PQclear(res);
    res = PQexec(conn, import_duplicate);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        goto out;
    if (strcmp(PQgetvalue(res, 0, 3), "t") == 0)
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, PQgetvalue(res, 0, 1),
                     "line %s: %s: %s is already in the catalog", PQgetvalue(res, 0, 0),
                     PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
    else
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, PQgetvalue(res, 0, 1),
                     "line %s: %s: %s is also on line %s", PQgetvalue(res, 0, 0),
                     PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 4));
out:
    PQclear(res);
    return rc;
}

enum vc_code vc_catalog_import(struct vc_db *db, FILE *in, const struct vc_actor *who,
                               long *count, struct vc_error *err)
{
    struct import_sql sql;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t n;
    long lineno = 0, nrows = 0, rowcap = 0;
    long *rowline = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    PGresult *res = NULL;
    PGconn *conn;
    enum vc_code rc;
    int began = 0;

    *count = 0;
    if (import_sql(&sql) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "import statements too long");
    /* Check every line before the database sees any. */
    while ((n = getline(&line, &linecap, in)) >= 0) {
        json_error_t jerr;
        json_t *obj;
        size_t k = (size_t)n;

        lineno++;
        while (k > 0 && isspace((unsigned char)line[k - 1]))
            line[--k] = '\0';
        if (k == 0)
            continue;
        obj = json_loadb(line, k, JSON_REJECT_DUPLICATES, &jerr);
        if (obj == NULL) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "line %ld: invalid JSON: %s",
                              lineno, jerr.text);
            goto out;
        }
        rc = line_to_row(obj, lineno, &buf, &len, &cap, err);
        json_decref(obj);
        if (rc != VC_OK)
            goto out;
        if (nrows == rowcap) {
            long ncap = rowcap ? rowcap * 2 : 1024;
            long *g = realloc(rowline, (size_t)ncap * sizeof(*g));
            if (g == NULL) {
                rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
                goto out;
            }
            rowline = g;
            rowcap = ncap;
        }
        rowline[nrows++] = lineno;
    }
    if (ferror(in)) {
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "cannot read the input");
        goto out;
    }

    rc = vc_db_begin(db, err);
    if (rc != VC_OK)
        goto out;
    began = 1;
    rc = vc_db_script(db, sql.prepare, err);
    if (rc != VC_OK)
        goto out;
    conn = vc_db_conn(db);
    res = PQexec(conn, sql.copy);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = vc_db_result_error(db, res, err);
        goto out;
    }
    PQclear(res);
    res = NULL;
    if ((len > 0 && PQputCopyData(conn, buf, (int)len) != 1) || PQputCopyEnd(conn, NULL) != 1) {
        rc = vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
        goto out;
    }
    res = PQgetResult(conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        long bad = copy_error_line(res, rowline, nrows);
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "line %ld: %s", bad,
                          msg ? msg : "refused by the database");
        goto out;
    }
    PQclear(res);
    res = NULL;
    rc = import_insert(db, sql.insert, count, err);
    if (rc != VC_OK)
        goto out;
    {
        char detail[64];
        snprintf(detail, sizeof(detail), "{\"count\":%ld}", *count);
        rc = audit(db, "catalog.import", "audio_tracks", who, "COMPLETED", detail, err);
    }
    if (rc != VC_OK)
        goto out;
    rc = vc_db_commit(db, err);
    began = rc != VC_OK;
out:
    PQclear(res);
    if (rc != VC_OK && began) {
        /* Drain what the failed COPY may have left, then roll back. */
        PGresult *r;
        conn = vc_db_conn(db);
        while (conn != NULL && (r = PQgetResult(conn)) != NULL)
            PQclear(r);
        vc_db_rollback(db);
    }
    if (rc != VC_OK)
        *count = 0;
    free(line);
    free(buf);
    free(rowline);
    return rc;
}

/* SELECT of one JSON line per track, from fields[], nulls left out. */
static int export_sql(char *buf, size_t cap)
{
    int bad = 0;

    buf[0] = '\0';
    bad |= appendf(buf, cap, "SELECT jsonb_strip_nulls(jsonb_build_object(");
    for (size_t i = 0; i < NFIELDS; i++)
        bad |= appendf(buf, cap, "%s'%s', %s", i ? ", " : "", fields[i].name, fields[i].name);
    bad |= appendf(buf, cap, "))::text FROM audio_tracks ORDER BY created_at, id");
    return bad;
}

enum vc_code vc_catalog_export(struct vc_db *db, FILE *out, const struct vc_actor *who,
                               long *count, struct vc_error *err)
{
    char sql[2048];
    PGconn *conn;
    PGresult *res;
    enum vc_code rc = VC_OK;

    *count = 0;
    if (export_sql(sql, sizeof(sql)) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "export statement too long");
    rc = vc_db_connect(db, err);
    if (rc != VC_OK)
        return rc;
    conn = vc_db_conn(db);
    if (PQsendQuery(conn, sql) != 1 || PQsetSingleRowMode(conn) != 1)
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    /* One row at a time: a catalog of millions never sits in memory. */
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE) {
            if (fputs(PQgetvalue(res, 0, 0), out) == EOF || fputc('\n', out) == EOF) {
                if (rc == VC_OK)
                    rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot write the output");
            } else {
                (*count)++;
            }
        } else if (st != PGRES_TUPLES_OK && rc == VC_OK) {
            rc = vc_db_result_error(db, res, err);
        }
        PQclear(res);
    }
    if (rc == VC_OK) {
        char detail[64];
        snprintf(detail, sizeof(detail), "{\"count\":%ld}", *count);
        rc = audit(db, "catalog.export", "audio_tracks", who, "COMPLETED", detail, err);
    }
    return rc;
}
