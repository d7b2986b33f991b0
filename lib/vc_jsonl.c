/* vc_jsonl.c - catalog import and export as JSON lines. */
#include "vc_jsonl.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vc_track.h"

/* ---- the columns and their checks ------------------------------------- */

struct column;
/* Check v (present, not null) for column c and give its COPY text in
 * *text: borrowed from v or tmp, or a new string in *owned. */
typedef enum vc_code (*check_fn)(const struct column *c, json_t *v, long lineno,
                                 char tmp[64], const char **text, char **owned,
                                 struct vc_error *err);

/* The columns import takes and export writes, in COPY order, with their
 * checks (min/max: the range of a number, the element count of an array;
 * maxlen: bytes of a string or of an array's JSON; absent: the value of a
 * missing field, NULL for SQL NULL, which the INSERT fills in for ids and
 * timestamps, see import_sql). One list, so the two
 * cannot drift apart. Left out on purpose: search_vector (the trigger's)
 * and lease_until (no worker holds a lease on an imported track).
 * tests/40-catalog.bats fails when audio_tracks grows a column that is not
 * here. */
struct column {
    const char *name;
    check_fn check;
    double min, max;
    size_t maxlen;
    const char *absent;
};

static enum vc_code bad(struct vc_error *err, const struct column *c, long lineno,
                        const char *fmt, ...) VC_PRINTF(4, 5);

/* "line N: name: why", naming the field. */
static enum vc_code bad(struct vc_error *err, const struct column *c, long lineno,
                        const char *fmt, ...)
{
    char why[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, c->name, "line %ld: %s: %s", lineno,
                        c->name, why);
}

static enum vc_code check_string(const struct column *c, json_t *v, long lineno, char tmp[64],
                                 const char **text, char **owned, struct vc_error *err)
{
    (void)tmp;
    (void)owned;
    if (!json_is_string(v))
        return bad(err, c, lineno, "expected a string");
    *text = json_string_value(v);
    if (strlen(*text) > c->maxlen)
        return bad(err, c, lineno, "longer than %zu bytes", c->maxlen);
    return VC_OK;
}

static enum vc_code check_uuid(const struct column *c, json_t *v, long lineno, char tmp[64],
                               const char **text, char **owned, struct vc_error *err)
{
    enum vc_code rc = check_string(c, v, lineno, tmp, text, owned, err);

    if (rc == VC_OK && !vc_uuid_valid(*text))
        return bad(err, c, lineno, "not a uuid");
    return rc;
}

static enum vc_code check_status(const struct column *c, json_t *v, long lineno, char tmp[64],
                                 const char **text, char **owned, struct vc_error *err)
{
    enum vc_status st;
    enum vc_code rc = check_string(c, v, lineno, tmp, text, owned, err);

    if (rc == VC_OK && vc_status_parse(*text, &st) != 0)
        return bad(err, c, lineno, "unknown status \"%.20s\"", *text);
    return rc;
}

static enum vc_code check_hex_key(const struct column *c, json_t *v, long lineno, char tmp[64],
                                  const char **text, char **owned, struct vc_error *err)
{
    enum vc_code rc = check_string(c, v, lineno, tmp, text, owned, err);

    if (rc == VC_OK && (strlen(*text) != 64 || strspn(*text, "0123456789abcdef") != 64))
        return bad(err, c, lineno, "expected 64 lowercase hex digits (a sha256)");
    return rc;
}

static enum vc_code check_int(const struct column *c, json_t *v, long lineno, char tmp[64],
                              const char **text, char **owned, struct vc_error *err)
{
    (void)owned;
    if (!json_is_integer(v))
        return bad(err, c, lineno, "expected a whole number");
    if (json_integer_value(v) < c->min || json_integer_value(v) > c->max)
        return bad(err, c, lineno, "%lld is out of range (%.0f to %.0f)",
                   (long long)json_integer_value(v), c->min, c->max);
    snprintf(tmp, 64, "%lld", (long long)json_integer_value(v));
    *text = tmp;
    return VC_OK;
}

static enum vc_code check_number(const struct column *c, json_t *v, long lineno, char tmp[64],
                                 const char **text, char **owned, struct vc_error *err)
{
    (void)owned;
    if (!json_is_number(v))
        return bad(err, c, lineno, "expected a number");
    if (!(json_number_value(v) >= c->min) || json_number_value(v) > c->max)
        return bad(err, c, lineno, "out of range (%g to %g)", c->min, c->max);
    snprintf(tmp, 64, "%.17g", json_number_value(v));
    *text = tmp;
    return VC_OK;
}

static enum vc_code check_array(const struct column *c, json_t *v, long lineno, char tmp[64],
                                const char **text, char **owned, struct vc_error *err)
{
    (void)tmp;
    if (!json_is_array(v) || json_array_size(v) > (size_t)c->max)
        return bad(err, c, lineno, "expected an array of at most %.0f entries", c->max);
    *owned = json_dumps(v, JSON_COMPACT);
    if (*owned == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    if (strlen(*owned) > c->maxlen)
        return bad(err, c, lineno, "longer than %zu bytes", c->maxlen);
    *text = *owned;
    return VC_OK;
}

static const struct column columns[] = {
    { "id", check_uuid, 0, 0, 36, NULL },
    { "status", check_status, 0, 0, 16, "PENDING" },
    { "title", check_string, 0, 0, 1000, "" },
    { "artist", check_string, 0, 0, 1000, NULL },
    { "album", check_string, 0, 0, 1000, NULL },
    { "genre", check_string, 0, 0, 200, NULL },
    { "year", check_int, 1800, 2100, 0, NULL },
    { "duration", check_number, 0, 1e9, 0, NULL },
    { "channels", check_int, 1, 16, 0, NULL },
    { "sample_rate", check_int, 1, 1e7, 0, NULL },
    { "bitrate", check_int, 1, 1e9, 0, NULL },
    { "format", check_string, 0, 0, 32, NULL },
    { "audio_path", check_string, 0, 0, 2000, NULL },
    { "thumbnail_path", check_string, 0, 0, 2000, NULL },
    { "error_message", check_string, 0, 0, 2000, NULL },
    { "retry_count", check_int, 0, 1e6, 0, "0" },
    { "text", check_string, 0, 0, 100000, NULL },
    { "voice", check_string, 0, 0, 64, NULL },
    { "language", check_string, 0, 0, 16, NULL },
    { "model", check_string, 0, 0, 128, NULL },
    { "cache_key", check_hex_key, 0, 0, 64, NULL },
    { "created_at", check_string, 0, 0, 40, NULL },
    { "updated_at", check_string, 0, 0, 40, NULL },
    { "speed", check_number, 0.5, 2.0, 0, NULL },        /* as POST /tts takes it */
    { "speakers", check_array, 0, 2, 2000, NULL },
};

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* ---- COPY rows --------------------------------------------------------- */

/* Make room for need more bytes in b: 0, or -1 when out of memory. */
static int reserve(struct vc_buf *b, size_t need)
{
    size_t ncap;
    char *g;

    if (b->len + need <= b->cap)
        return 0;
    ncap = (b->len + need) * 2;
    g = realloc(b->data, ncap);
    if (g == NULL)
        return -1;
    b->data = g;
    b->cap = ncap;
    return 0;
}

static int put_raw(struct vc_buf *b, const char *s)
{
    size_t n = strlen(s);

    if (reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

/* Append s escaped for COPY's text format. */
static int put_escaped(struct vc_buf *b, const char *s)
{
    if (reserve(b, strlen(s) * 2) != 0)
        return -1;
    for (; *s; s++) {
        char c = *s;
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            b->data[b->len++] = '\\';
            c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
        }
        b->data[b->len++] = c;
    }
    return 0;
}

static const struct column *column_named(const char *name)
{
    for (size_t i = 0; i < NCOLUMNS; i++) {
        if (strcmp(columns[i].name, name) == 0)
            return &columns[i];
    }
    return NULL;
}

/* Append the COPY row of a parsed line (borrowed): its number, then each
 * column's value or \N. */
static enum vc_code object_to_row(json_t *obj, long lineno, struct vc_buf *out,
                                  struct vc_error *err)
{
    const char *key;
    json_t *v;
    char num[32];

    if (!json_is_object(obj))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL,
                            "line %ld: expected a JSON object", lineno);
    json_object_foreach(obj, key, v) {
        /* audio_url is what export writes for players: derived, not kept. */
        if (column_named(key) == NULL && strcmp(key, "audio_url") != 0)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, key,
                                "line %ld: %.40s: unknown field", lineno, key);
    }
    snprintf(num, sizeof(num), "%ld", lineno);
    if (put_raw(out, num) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < NCOLUMNS; i++) {
        const struct column *c = &columns[i];
        char tmp[64];
        const char *text = NULL;
        char *owned = NULL;
        enum vc_code rc = VC_OK;
        int failed;

        v = json_object_get(obj, c->name);
        if (put_raw(out, "\t") != 0)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        if (v == NULL || json_is_null(v)) {
            failed = c->absent ? put_escaped(out, c->absent) != 0 : put_raw(out, "\\N") != 0;
        } else {
            rc = c->check(c, v, lineno, tmp, &text, &owned, err);
            failed = rc == VC_OK && put_escaped(out, text) != 0;
        }
        free(owned);
        if (rc != VC_OK)
            return rc;
        if (failed)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    if (put_raw(out, "\n") != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    return VC_OK;
}

enum vc_code vc_jsonl_line(const char *line, size_t len, long lineno, struct vc_buf *out,
                           struct vc_error *err)
{
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    enum vc_code rc;

    if (obj == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "line %ld: invalid JSON: %s",
                            lineno, jerr.text);
    rc = object_to_row(obj, lineno, out, err);
    json_decref(obj);
    return rc;
}

/* ---- the database side ------------------------------------------------ */

/* Append printf output to buf of size cap; -1 when it does not fit. */
static int appendf(char *buf, size_t cap, const char *fmt, ...) VC_PRINTF(3, 4);

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

/* The import statements, built once from columns[] (fixed names only).
 * COPY cannot default a NULL: the rows land in a temporary table without
 * constraints, with their line numbers, and the INSERT that moves them
 * fills in ids and timestamps a line left out (and meets the real table's
 * constraints). An imported PROCESSING track gets a lease that has already
 * run out, so the speech queue takes it back. */
struct import_sql {
    char prepare[2048], copy[1024], insert[2048];
};

/* A line without created_at is as old as its place in the file: the last
 * line now, each one before it a microsecond older. Newest first then
 * means the file read backwards (with now() for all, ties went to the
 * random ids), and the created_at index walks the rows in the order they
 * lie in the table: a search that reads newest first through it visits
 * each heap page once for its rows instead of once per row. */
static const char line_age[] = "now() - (m.last - line) * interval '1 microsecond'";

static int import_sql(struct import_sql *q)
{
    int failed = 0;

    q->prepare[0] = q->copy[0] = q->insert[0] = '\0';
    failed |= appendf(q->prepare, sizeof(q->prepare),
                      "CREATE TEMP TABLE vc_import ON COMMIT DROP AS SELECT 0::bigint AS line");
    failed |= appendf(q->copy, sizeof(q->copy), "COPY vc_import (line");
    failed |= appendf(q->insert, sizeof(q->insert), "INSERT INTO audio_tracks (lease_until");
    for (size_t i = 0; i < NCOLUMNS; i++) {
        failed |= appendf(q->prepare, sizeof(q->prepare), ", %s", columns[i].name);
        failed |= appendf(q->copy, sizeof(q->copy), ", %s", columns[i].name);
        failed |= appendf(q->insert, sizeof(q->insert), ", %s", columns[i].name);
    }
    failed |= appendf(q->prepare, sizeof(q->prepare), " FROM audio_tracks WITH NO DATA");
    failed |= appendf(q->copy, sizeof(q->copy), ") FROM STDIN");
    failed |= appendf(q->insert, sizeof(q->insert),
                      ") SELECT CASE WHEN status = 'PROCESSING' THEN now() END");
    for (size_t i = 0; i < NCOLUMNS; i++) {
        const char *name = columns[i].name;
        if (strcmp(name, "id") == 0)
            failed |= appendf(q->insert, sizeof(q->insert), ", coalesce(id, gen_random_uuid())");
        else if (strcmp(name, "created_at") == 0)
            failed |= appendf(q->insert, sizeof(q->insert), ", coalesce(created_at, %s)", line_age);
        else if (strcmp(name, "updated_at") == 0)
            failed |= appendf(q->insert, sizeof(q->insert),
                              ", coalesce(updated_at, created_at, %s)", line_age);
        else
            failed |= appendf(q->insert, sizeof(q->insert), ", %s", name);
    }
    failed |= appendf(q->insert, sizeof(q->insert),
                      " FROM vc_import CROSS JOIN (SELECT max(line) AS last FROM vc_import) m"
                      " ORDER BY line");
    return failed;
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

/* The line that repeats an id or cache_key, in err. */
static enum vc_code name_duplicate(struct vc_db *db, struct vc_error *err)
{
    struct vc_error ignored;
    struct vc_result *res;
    enum vc_code rc = err->code;

    if (vc_db_script(db, "ROLLBACK TO SAVEPOINT vc_import_rows", &ignored) != VC_OK)
        return rc;
    res = vc_db_query(db, import_duplicate, 0, NULL, &ignored);
    if (res == NULL || vc_result_rows(res) != 1) {
        vc_result_free(res);
        return rc;
    }
    if (strcmp(vc_result_value(res, 0, 3), "t") == 0)
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, vc_result_value(res, 0, 1),
                          "line %s: %s: %s is already in the catalog", vc_result_value(res, 0, 0),
                          vc_result_value(res, 0, 1), vc_result_value(res, 0, 2));
    else
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, vc_result_value(res, 0, 1),
                          "line %s: %s: %s is also on line %s", vc_result_value(res, 0, 0),
                          vc_result_value(res, 0, 1), vc_result_value(res, 0, 2),
                          vc_result_value(res, 0, 4));
    vc_result_free(res);
    return rc;
}

/* Move the copied rows into audio_tracks. A unique violation is reported
 * as the line that caused it; any other refusal with the server's words. */
static enum vc_code import_insert(struct vc_db *db, const char *insert, long *count,
                                  struct vc_error *err)
{
    struct vc_result *res;
    enum vc_code rc;

    rc = vc_db_script(db, "SAVEPOINT vc_import_rows", err);
    if (rc != VC_OK)
        return rc;
    res = vc_db_query(db, insert, 0, NULL, err);
    if (res != NULL) {
        *count = vc_result_affected(res);
        vc_result_free(res);
        return VC_OK;
    }
    if (err->code == VC_ERR_UNAVAILABLE)
        return err->code;
    rc = err->code;
    vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "%s", vc_db_last_error(db));
    return rc == VC_ERR_CONFLICT ? name_duplicate(db, err) : VC_ERR_INVALID_ARGUMENT;
}

/* Every line of in checked and turned into COPY rows in out; rowline[i]
 * gets the file line of row i+1 (blank lines are skipped). */
struct rows {
    struct vc_buf copy;
    long *line;
    long n, cap;
};

#define PROGRESS_EVERY 4096     /* lines or rows between two reports */

/* The size of what in will give, when it is a file (-1 for a pipe). */
static long long input_size(FILE *in)
{
    struct stat st;

    return fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
}

static enum vc_code read_rows(FILE *in, struct rows *r, const struct vc_jsonl_progress *progress,
                              struct vc_error *err)
{
    char *line = NULL;
    size_t linecap = 0;
    ssize_t n;
    long lineno = 0;
    long long total = input_size(in), done = 0;
    enum vc_code rc = VC_OK;

    while (rc == VC_OK && (n = getline(&line, &linecap, in)) >= 0) {
        size_t k = (size_t)n;

        lineno++;
        done += n;
        if (progress != NULL && lineno % PROGRESS_EVERY == 0)
            progress->fn(progress->ctx, r->n, done, total);
        while (k > 0 && isspace((unsigned char)line[k - 1]))
            line[--k] = '\0';
        if (k == 0)
            continue;
        rc = vc_jsonl_line(line, k, lineno, &r->copy, err);
        if (rc == VC_OK && r->n == r->cap) {
            long ncap = r->cap ? r->cap * 2 : 1024;
            long *g = realloc(r->line, (size_t)ncap * sizeof(*g));
            if (g == NULL)
                rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            else {
                r->line = g;
                r->cap = ncap;
            }
        }
        if (rc == VC_OK)
            r->line[r->n++] = lineno;
    }
    free(line);
    if (rc == VC_OK && ferror(in))
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "cannot read the input");
    return rc;
}

struct import_ctx {
    const struct import_sql *sql;
    const struct rows *rows;
    const struct vc_actor *who;
    long *count;
};

static enum vc_code import_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    struct import_ctx *c = vctx;
    char detail[64];
    long bad_row = 0;
    enum vc_code rc;

    rc = vc_db_script(db, c->sql->prepare, err);
    if (rc != VC_OK)
        return rc;
    rc = vc_db_copy_in(db, c->sql->copy, c->rows->copy.data, c->rows->copy.len, &bad_row, err);
    if (rc == VC_ERR_INVALID_ARGUMENT)
        return vc_error_set(err, rc, NULL, "line %ld: %s",
                            bad_row >= 1 && bad_row <= c->rows->n ? c->rows->line[bad_row - 1] : 0,
                            vc_db_last_error(db));
    if (rc != VC_OK)
        return rc;
    rc = import_insert(db, c->sql->insert, c->count, err);
    if (rc != VC_OK)
        return rc;
    snprintf(detail, sizeof(detail), "{\"count\":%ld}", *c->count);
    return vc_audit(db, "catalog.import", "audio_tracks", c->who, "COMPLETED", detail, err);
}

enum vc_code vc_jsonl_import(struct vc_db *db, FILE *in, const struct vc_actor *who,
                             const struct vc_jsonl_progress *progress, long *count,
                             struct vc_error *err)
{
    struct import_sql sql;
    struct rows rows = { { NULL, 0, 0 }, NULL, 0, 0 };
    struct import_ctx c = { &sql, &rows, who, count };
    enum vc_code rc;

    *count = 0;
    if (import_sql(&sql) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "import statements too long");
    /* Check every line before the database sees any. */
    rc = read_rows(in, &rows, progress, err);
    if (rc == VC_OK)
        rc = vc_db_transaction(db, import_txn, &c, err);
    if (rc != VC_OK)
        *count = 0;
    free(rows.copy.data);
    free(rows.line);
    return rc;
}

/* SELECT of one JSON line per track, from columns[], nulls left out. */
static int export_sql(char *buf, size_t cap)
{
    int failed = 0;

    buf[0] = '\0';
    failed |= appendf(buf, cap, "SELECT jsonb_strip_nulls(jsonb_build_object(");
    for (size_t i = 0; i < NCOLUMNS; i++)
        failed |= appendf(buf, cap, "%s'%s', %s", i ? ", " : "", columns[i].name,
                          columns[i].name);
    failed |= appendf(buf, cap, "))::text FROM audio_tracks ORDER BY created_at, id");
    return failed;
}

struct export_ctx {
    FILE *out;
    long *count;
    const struct vc_jsonl_progress *progress;
    long long total;
};

static enum vc_code export_row(void *vctx, const char *value, struct vc_error *err)
{
    struct export_ctx *c = vctx;

    if (fputs(value, c->out) == EOF || fputc('\n', c->out) == EOF)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot write the output");
    (*c->count)++;
    if (c->progress != NULL && *c->count % PROGRESS_EVERY == 0)
        c->progress->fn(c->progress->ctx, *c->count, *c->count, c->total);
    return VC_OK;
}

enum vc_code vc_jsonl_export(struct vc_db *db, FILE *out, const struct vc_actor *who,
                             const struct vc_jsonl_progress *progress, long *count,
                             struct vc_error *err)
{
    char sql[2048], detail[64];
    struct export_ctx c = { out, count, progress, -1 };
    enum vc_code rc;

    *count = 0;
    if (progress != NULL) {
        /* The total, for an ETA: one count before the rows. */
        struct vc_result *res = vc_db_query(db, "SELECT count(*) FROM audio_tracks", 0, NULL, err);
        if (res == NULL)
            return err->code;
        c.total = strtoll(vc_result_value(res, 0, 0), NULL, 10);
        vc_result_free(res);
    }
    if (export_sql(sql, sizeof(sql)) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "export statement too long");
    rc = vc_db_stream(db, sql, export_row, &c, err);
    if (rc != VC_OK)
        return rc;
    snprintf(detail, sizeof(detail), "{\"count\":%ld}", *count);
    return vc_audit(db, "catalog.export", "audio_tracks", who, "COMPLETED", detail, err);
}
