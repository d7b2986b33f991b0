/* vc_search.c - full-text search over the catalog, and its facets. */
#include "vc_search.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vc_base64.h"
#include "vc_catalog.h"
#include "vc_text.h"
#include "vc_track.h"

#define SQL_MAX 8192

static const char *const sorts[] = {
    "rank", "created_at", "updated_at", "title", "artist", "year", "duration", NULL
};

static int in_list(const char *const *list, const char *v)
{
    for (size_t i = 0; list[i]; i++) {
        if (strcmp(list[i], v) == 0)
            return 1;
    }
    return 0;
}

static enum vc_code parse_long(const char *v, const char *field, long min, long max,
                               long *out, struct vc_error *err)
{
    char *end;

    errno = 0;
    *out = strtol(v, &end, 10);
    if (v[0] == '\0' || *end != '\0' || errno != 0 || *out < min || *out > max)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field,
                            "%s must be a whole number from %ld to %ld", field, min, max);
    return VC_OK;
}

static enum vc_code text_param(const char *v, const char *field, size_t max,
                               struct vc_error *err)
{
    if (v == NULL)
        return VC_OK;
    if (strlen(v) > max)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field, "%s is longer than %zu bytes",
                            field, max);
    if (!vc_utf8_valid(v, strlen(v)))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field, "%s is not valid UTF-8", field);
    return VC_OK;
}

/* Parameter name as a whole number in [min, max] into *out, which keeps
 * its value when the parameter is absent (or "" when blank_is_absent). */
static enum vc_code optional_long(vc_search_getter get, void *ctx, const char *name,
                                  int blank_is_absent, long min, long max, long *out,
                                  struct vc_error *err)
{
    const char *v = get(ctx, name);

    if (v == NULL || (blank_is_absent && v[0] == '\0'))
        return VC_OK;
    return parse_long(v, name, min, max, out, err);
}

/* One column of the order a search's pages follow; "rank" stands for the
 * rank expression. The last key is the id, so the order is total and a
 * cursor (the last row's keys) says exactly where a page ends. */
struct sort_key {
    const char *col;
    int desc;
    int nullable;           /* sorted NULLS LAST */
};

/* The keys of s's order into k (room for 3); their number. By date added
 * (and rank without q) the id runs against the date so that
 * audio_tracks_created (created_at DESC, id), read forwards or backwards,
 * hands over the first page without sorting the catalog. */
static int sort_keys(const struct vc_search *s, struct sort_key *k)
{
    int has_q = s->q != NULL && s->q[0] != '\0';
    int by_rank = strcmp(s->sort, "rank") == 0;

    if (by_rank && has_q) {
        k[0] = (struct sort_key){ "rank", s->desc, 0 };
    } else if (by_rank || strcmp(s->sort, "created_at") == 0) {
        k[0] = (struct sort_key){ "created_at", s->desc, 0 };
        k[1] = (struct sort_key){ "id", !s->desc, 0 };
        return 2;
    } else {
        /* Columns that are never NULL get no NULLS LAST, which would also
         * keep an index out. */
        int never_null = strcmp(s->sort, "updated_at") == 0 || strcmp(s->sort, "title") == 0;
        k[0] = (struct sort_key){ s->sort, s->desc, !never_null };
    }
    k[1] = (struct sort_key){ "created_at", 1, 0 };
    k[2] = (struct sort_key){ "id", 0, 0 };
    return 3;
}

/* The cursor's label of an order, so that a cursor from another sort is
 * refused rather than misread; by_class: ranked by weight class (see
 * fetch_page_by_class). */
static void order_label(const struct vc_search *s, int by_class, char *buf, size_t len)
{
    snprintf(buf, len, "%s.%s%s", by_class ? "class" : s->sort, s->desc ? "desc" : "asc",
             s->q != NULL && s->q[0] != '\0' ? ".q" : "");
}

/* A cursor carries what the prefix being typed stood for (see struct
 * vc_search) when it is no longer than this; a longer one is looked up
 * again (an encoded cursor must fit VC_SEARCH_CURSOR_MAX). */
#define CURSOR_LEXEMES_MAX 1500

/* Whether x has the shape of what vc_prefix_tsquery writes: quoted,
 * non-empty lexemes ('' and a backslash escape inside) joined by " | ".
 * Anything else in a cursor was made by hand, and PostgreSQL would refuse
 * it as a syntax error rather than a bad value. */
static int lexemes_shape(const char *x)
{
    if (strlen(x) > CURSOR_LEXEMES_MAX)
        return 0;
    for (;;) {
        if (*x++ != '\'' || (*x == '\'' && x[1] != '\''))
            return 0;
        for (;;) {
            if (*x == '\0' || (*x == '\\' && x[1] == '\0'))
                return 0;
            if (*x == '\\' || (*x == '\'' && x[1] == '\'')) {
                x += 2;
            } else if (*x == '\'') {
                break;
            } else {
                x++;
            }
        }
        x++;
        if (*x == '\0')
            return 1;
        if (strncmp(x, " | ", 3) != 0)
            return 0;
        x += 3;
    }
}

/* cursor=: base64url of {"o": order label, "v": [key values as text]},
 * and "x": the lexemes q's prefix stood for (see struct vc_search). */
static enum vc_code parse_cursor(const char *v, struct vc_search *s, struct vc_error *err)
{
    struct sort_key keys[3];
    int n = sort_keys(s, keys);
    char label[64], by_class[64];
    unsigned char *raw;
    size_t len;
    json_t *doc, *vals, *x;
    const char *o;
    int ok;

    if (v == NULL || v[0] == '\0')
        return VC_OK;
    if (s->offset != 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "cursor",
                            "cursor and offset cannot be used together");
    if (strlen(v) > VC_SEARCH_CURSOR_MAX
        || (raw = vc_base64url_decode(v, strlen(v), &len)) == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "cursor",
                            "cursor is not one this service handed out");
    doc = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    order_label(s, 0, label, sizeof(label));
    order_label(s, 1, by_class, sizeof(by_class));
    vals = json_object_get(doc, "v");
    o = json_string_value(json_object_get(doc, "o"));
    /* A ranked search goes on in the regime its first page took, even if
     * the number of matches crosses the bound meanwhile. */
    s->by_class = o != NULL && strcmp(s->sort, "rank") == 0 && n == 3 && strcmp(o, by_class) == 0;
    ok = o != NULL && (strcmp(o, label) == 0 || s->by_class)
         && json_is_array(vals) && json_array_size(vals) == (size_t)n;
    for (int i = 0; ok && i < n; i++) {
        json_t *x = json_array_get(vals, (size_t)i);
        ok = json_is_string(x) ? (strcmp(keys[i].col, "id") != 0 || vc_uuid_valid(json_string_value(x)))
                               : json_is_null(x) && keys[i].nullable;
    }
    if (!ok) {
        json_decref(doc);
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "cursor",
                            "cursor does not belong to this search (q, sort and order "
                            "must stay the same while paging)");
    }
    x = json_object_get(doc, "x");
    if (x != NULL) {
        if (!(json_is_null(x) || (json_is_string(x) && lexemes_shape(json_string_value(x))))) {
            json_decref(doc);
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "cursor",
                                "cursor is not one this service handed out");
        }
        s->has_lexemes = 1;
        if (json_is_string(x) && (s->lexemes = strdup(json_string_value(x))) == NULL) {
            json_decref(doc);
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        }
    }
    s->after = json_incref(vals);
    json_decref(doc);
    return VC_OK;
}

enum vc_code vc_search_parse(vc_search_getter get, void *ctx, struct vc_search *s,
                             struct vc_error *err)
{
    enum vc_status st;
    const char *v;
    long n;
    enum vc_code rc;

    memset(s, 0, sizeof(*s));
    s->q = get(ctx, "q");
    rc = text_param(s->q, "q", VC_SEARCH_Q_MAX, err);
    if (rc != VC_OK)
        return rc;
    /* Only spaces (a box cleared but for a blank) lists, as an empty q. */
    if (s->q != NULL && s->q[strspn(s->q, " \t\r\n\f\v")] == '\0')
        s->q = NULL;
    s->format = get(ctx, "format");
    s->genre = get(ctx, "genre");
    rc = text_param(s->format, "format", 32, err);
    if (rc != VC_OK)
        return rc;
    rc = text_param(s->genre, "genre", 200, err);
    if (rc != VC_OK)
        return rc;
    s->status = get(ctx, "status");
    if (s->status != NULL && s->status[0] != '\0' && vc_status_parse(s->status, &st) != 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "status", "status must be %s",
                            vc_status_list());
    n = 0;
    rc = optional_long(get, ctx, "year_from", 1, 1800, 2100, &n, err);
    if (rc != VC_OK)
        return rc;
    s->year_from = (int)n;
    n = 0;
    rc = optional_long(get, ctx, "year_to", 1, 1800, 2100, &n, err);
    if (rc != VC_OK)
        return rc;
    s->year_to = (int)n;
    if (s->year_from && s->year_to && s->year_from > s->year_to)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "year_from",
                            "year_from is after year_to");
    s->limit = 20;
    rc = optional_long(get, ctx, "limit", 0, 1, VC_SEARCH_LIMIT_MAX, &s->limit, err);
    if (rc != VC_OK)
        return rc;
    v = get(ctx, "offset");
    if (v != NULL && parse_long(v, "offset", 0, LONG_MAX, &s->offset, err) != VC_OK)
        return VC_ERR_INVALID_ARGUMENT;
    if (s->offset > VC_SEARCH_OFFSET_MAX)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "offset",
                            "offset goes up to %d; page further with cursor "
                            "(each page's next_cursor)", VC_SEARCH_OFFSET_MAX);
    v = get(ctx, "min_rank");
    if (v != NULL && v[0]) {
        char *end;
        errno = 0;
        s->min_rank = strtod(v, &end);
        if (*end != '\0' || errno != 0 || !(s->min_rank >= 0 && s->min_rank <= 1))
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "min_rank",
                                "min_rank must be a number from 0 to 1");
    }
    v = get(ctx, "sort");
    s->sort = s->q && s->q[0] ? "rank" : "created_at";
    if (v != NULL && v[0]) {
        if (!in_list(sorts, v))
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "sort",
                                "sort must be one of rank, created_at, updated_at, title, "
                                "artist, year, duration");
        s->sort = v;
    }
    /* Text columns read naturally A to Z; numbers and dates newest first. */
    s->desc = !(strcmp(s->sort, "title") == 0 || strcmp(s->sort, "artist") == 0);
    v = get(ctx, "order");
    if (v != NULL && v[0]) {
        if (strcasecmp(v, "asc") == 0)
            s->desc = 0;
        else if (strcasecmp(v, "desc") == 0)
            s->desc = 1;
        else
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "order", "order must be asc or desc");
    }
    return parse_cursor(get(ctx, "cursor"), s, err);
}

void vc_search_clear(struct vc_search *s)
{
    json_decref(s->after);
    s->after = NULL;
    free(s->lexemes);
    s->lexemes = NULL;
}

/* The parameters and WHERE clause shared by search, count and facets. */
struct query {
    const char *params[16];   /* q (3), filters (6), cursor (3), page (2) */
    int n;
    char where[1024];
    size_t filters_at;      /* where + filters_at: the filters alone, " AND ..." */
    char *q_rest;           /* owned: q without its prefix word */
    char *q_prefix;         /* owned: the last word, matched as a prefix */
    char *q_lexemes;        /* owned: what q_prefix matches as lexemes, or NULL */
    char year_from[12], year_to[12], min_rank[32];
    char tsq[768];          /* q's tsquery matching rows */
    char tsq_rank[768];     /* q's tsquery for ts_rank and ts_headline */
    int has_q;
};

static int add_param(struct query *qy, const char *v)
{
    qy->params[qy->n++] = v;
    return qy->n;
}

static void add_where(struct query *qy, const char *fmt, int n)
{
    char piece[256];
    size_t used = strlen(qy->where);

    snprintf(piece, sizeof(piece), fmt, n);
    snprintf(qy->where + used, sizeof(qy->where) - used, "%s%s", used ? " AND " : " WHERE ", piece);
}

/* Split off the last word of q when it is a plain word being typed (not
 * quoted, not negated): it becomes a prefix match. A last "or" is one
 * too: websearch_to_tsquery reads a trailing "or" as a word, and "or" is
 * how "orchid" starts. */
static int split_prefix(struct query *qy, const char *q)
{
    size_t n = strlen(q);
    size_t end = n, start;
    int quotes = 0;

    for (size_t i = 0; i < n; i++)
        quotes += q[i] == '"';
    while (end > 0 && isspace((unsigned char)q[end - 1]))
        end--;
    start = end;
    while (start > 0 && !isspace((unsigned char)q[start - 1]))
        start--;
    qy->q_rest = strdup(q);
    if (qy->q_rest == NULL)
        return -1;
    if (quotes % 2 != 0 || start == end || q[start] == '-' || q[start] == '"'
        || q[end - 1] == '"')
        return 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)q[i];
        if (!(isalnum(c) || c >= 0x80))
            return 0;   /* punctuation: leave it to websearch_to_tsquery */
    }
    qy->q_prefix = strndup(q + start, end - start);
    if (qy->q_prefix == NULL)
        return -1;
    qy->q_rest[start] = '\0';
    return 0;
}

static void free_query(struct query *qy)
{
    free(qy->q_rest);
    free(qy->q_prefix);
    free(qy->q_lexemes);
}

/* The prefix being typed as the few lexemes it stands for (015), or
 * NULL: asked once, then passed as a constant, since a function in a
 * row's filter would run again for every row a walk reads. */
static const struct vc_stmt st_prefix = {
    "vc_search_prefix", "SELECT vc_prefix_tsquery($1)::text", 1
};

static enum vc_code prefix_lexemes(struct vc_db *db, struct query *qy, struct vc_error *err)
{
    const char *params[1] = { qy->q_prefix };
    struct vc_result *res = vc_db_exec(db, &st_prefix, params, err);

    if (res == NULL)
        return err->code;
    if (!vc_result_isnull(res, 0, 0)) {
        qy->q_lexemes = strdup(vc_result_value(res, 0, 0));
        if (qy->q_lexemes == NULL) {
            vc_result_free(res);
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        }
    }
    vc_result_free(res);
    return VC_OK;
}

/* The tsqueries of q into qy: websearch syntax for all but the last plain
 * word, which is a prefix (escaped as a quoted lexeme). tsq matches rows,
 * with the prefix as the lexemes it stands for when there are few
 * (qy->q_lexemes, or NULL); tsq_rank ranks and highlights them, with the
 * prefix itself, which is what ts_rank has always scored. They match the
 * same rows. */
static void tsquery_sql(struct query *qy)
{
    size_t rl = strlen(qy->q_rest);
    char prefix[512], match[640];
    const char *join;
    int p, r;

    if (qy->q_prefix == NULL) {
        snprintf(qy->tsq, sizeof(qy->tsq), "websearch_to_tsquery('simple', $%d)",
                 add_param(qy, qy->q_rest));
        memcpy(qy->tsq_rank, qy->tsq, sizeof(qy->tsq));
        return;
    }
    /* "a OR b" typed as "a OR b": the prefix joins with OR. */
    join = rl >= 3 && strncasecmp(qy->q_rest + rl - 3, "or ", 3) == 0
                   && (rl == 3 || isspace((unsigned char)qy->q_rest[rl - 4]))
               ? "||" : "&&";
    if (join[0] == '|')
        qy->q_rest[rl - 3] = '\0';
    p = add_param(qy, qy->q_prefix);
    snprintf(prefix, sizeof(prefix),
             "to_tsquery('simple', '''' || replace(replace($%d, '\\', '\\\\'), '''', '''''') || ''':*')",
             p);
    /* Both are constants when the statement is planned: the planner
     * folds the coalesce, and a walk's filter never calls a function. */
    snprintf(match, sizeof(match), "coalesce($%d::tsquery, %s)", add_param(qy, qy->q_lexemes),
             prefix);
    /* The word being typed alone: websearch_to_tsquery of nothing would
     * only add a NOTICE to every search. */
    if (qy->q_rest[strspn(qy->q_rest, " \t\r\n\f\v")] == '\0') {
        snprintf(qy->tsq, sizeof(qy->tsq), "%s", match);
        snprintf(qy->tsq_rank, sizeof(qy->tsq_rank), "%s", prefix);
        return;
    }
    r = add_param(qy, qy->q_rest);
    snprintf(qy->tsq, sizeof(qy->tsq), "(websearch_to_tsquery('simple', $%d) %s %s)", r, join,
             match);
    snprintf(qy->tsq_rank, sizeof(qy->tsq_rank), "(websearch_to_tsquery('simple', $%d) %s %s)",
             r, join, prefix);
}

static enum vc_code build(struct vc_db *db, const struct vc_search *s, struct query *qy,
                          struct vc_error *err)
{
    memset(qy, 0, sizeof(*qy));
    qy->has_q = s->q != NULL && s->q[0] != '\0';
    if (qy->has_q) {
        if (split_prefix(qy, s->q) != 0)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        if (qy->q_prefix != NULL && s->has_lexemes) {
            if (s->lexemes != NULL && (qy->q_lexemes = strdup(s->lexemes)) == NULL)
                return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        } else if (qy->q_prefix != NULL && prefix_lexemes(db, qy, err) != VC_OK) {
            return err->code;
        }
        tsquery_sql(qy);
        snprintf(qy->where, sizeof(qy->where), " WHERE t.search_vector @@ %s", qy->tsq);
    }
    qy->filters_at = strlen(qy->where);
    if (s->status && s->status[0])
        add_where(qy, "t.status = $%d", add_param(qy, s->status));
    if (s->format && s->format[0])
        add_where(qy, "t.format = $%d", add_param(qy, s->format));
    if (s->genre && s->genre[0])
        add_where(qy, "t.genre = $%d", add_param(qy, s->genre));
    /* One decade with q, as the admin page's decade facet asks for: the
     * search index holds each row's decade beside its lexemes (017), so
     * GIN intersects the two instead of ANDing a bitmap of the decade's
     * every row. The same rows as the two bounds; but only the bounds let
     * a listing, or a sort by year, walk the year btrees. */
    if (qy->has_q && strcmp(s->sort, "year") != 0 && s->year_from != 0
        && s->year_from % 10 == 0 && s->year_to == s->year_from + 9) {
        snprintf(qy->year_from, sizeof(qy->year_from), "%d", s->year_from / 10);
        add_where(qy, "t.year / 10 = $%d::int", add_param(qy, qy->year_from));
    } else {
        if (s->year_from) {
            snprintf(qy->year_from, sizeof(qy->year_from), "%d", s->year_from);
            add_where(qy, "t.year >= $%d::int", add_param(qy, qy->year_from));
        }
        if (s->year_to) {
            snprintf(qy->year_to, sizeof(qy->year_to), "%d", s->year_to);
            add_where(qy, "t.year <= $%d::int", add_param(qy, qy->year_to));
        }
    }
    if (qy->has_q && s->min_rank > 0) {
        char piece[SQL_MAX];
        snprintf(qy->min_rank, sizeof(qy->min_rank), "%.6f", s->min_rank);
        snprintf(piece, sizeof(piece), "ts_rank(t.search_vector, %s) >= $%%d::real",
                 qy->tsq_rank);
        add_where(qy, piece, add_param(qy, qy->min_rank));
    }
    return VC_OK;
}

/* The SQL of key k: the rank expression or the column under prefix. */
static void key_sql(const struct sort_key *k, const char *prefix, const char *rank,
                    char *buf, size_t len)
{
    if (strcmp(k->col, "rank") == 0)
        snprintf(buf, len, "%s", rank);
    else
        snprintf(buf, len, "%s%s", prefix, k->col);
}

/* ORDER BY for the keys, columns under prefix ("t." or "p."). */
static void order_clause(const struct sort_key *keys, int n, const char *prefix,
                         const char *rank, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++) {
        char col[1100];
        key_sql(&keys[i], prefix, rank, col, sizeof(col));
        used += (size_t)snprintf(buf + used, len - used, "%s%s %s%s", i ? ", " : "", col,
                                 keys[i].desc ? "DESC" : "ASC",
                                 keys[i].nullable ? " NULLS LAST" : "");
    }
}

/* " AND (rows after the cursor's keys)" for the WHERE of the page, built
 * from the last key outwards: key i is past its value, or equal to it and
 * the rest are past theirs. NULLs sort last, so after a NULL only NULLs
 * follow, and after a value every NULL does. The values are parameters;
 * their types come from the columns they are compared with. */
static enum vc_code keyset_clause(struct query *qy, const struct sort_key *keys, int n,
                                  json_t *vals, const char *rank, int where, char *buf,
                                  size_t len, struct vc_error *err)
{
    char cond[4096] = "", next[4096], col[1100];

    for (int i = n - 1; i >= 0; i--) {
        const char *v = json_string_value(json_array_get(vals, (size_t)i));
        const char *op = keys[i].desc ? "<" : ">";
        int w;

        key_sql(&keys[i], "t.", rank, col, sizeof(col));
        if (v == NULL) {
            w = snprintf(next, sizeof(next), "(%s IS NULL AND %s)", col, cond);
        } else {
            int p = add_param(qy, v);
            if (i == n - 1)
                w = snprintf(next, sizeof(next), "%s %s $%d", col, op, p);
            else if (keys[i].nullable)
                w = snprintf(next, sizeof(next), "(%s %s $%d OR %s IS NULL OR (%s = $%d AND %s))",
                             col, op, p, col, col, p, cond);
            else
                w = snprintf(next, sizeof(next), "(%s %s $%d OR (%s = $%d AND %s))", col, op, p,
                             col, p, cond);
        }
        if (w < 0 || (size_t)w >= sizeof(next))
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "q", "search too long");
        memcpy(cond, next, (size_t)w + 1);
    }
    if ((size_t)snprintf(buf, len, " %s %s", where ? "AND" : "WHERE", cond) >= len)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "q", "search too long");
    return VC_OK;
}

/* The planner's estimate of the rows matching, or -1 with err. EXPLAIN
 * cannot be a prepared statement; it is planning only. */
static double estimate_matches(struct vc_db *db, struct query *qy, struct vc_error *err)
{
    char sql[SQL_MAX];
    struct vc_result *res;
    json_t *plan, *rows;
    double est;

    snprintf(sql, sizeof(sql), "EXPLAIN (FORMAT JSON) SELECT 1 FROM audio_tracks t%s", qy->where);
    res = vc_db_query(db, sql, qy->n, qy->params, err);
    if (res == NULL)
        return -1;
    plan = vc_db_json(res, err);
    vc_result_free(res);
    if (plan == NULL)
        return -1;
    rows = json_object_get(json_object_get(json_array_get(plan, 0), "Plan"), "Plan Rows");
    est = json_is_number(rows) ? json_number_value(rows) : 0;
    json_decref(plan);
    return est;
}

/* Whether websearch_to_tsquery may make a phrase of q: a quote, or
 * punctuation inside a word ("rock-n-roll" is a phrase of its parts). A
 * leading '-' negates and is no phrase. The planner estimates a phrase
 * as if its words could stand anywhere. */
static int may_phrase(const char *q)
{
    for (size_t i = 0; q[i]; i++) {
        unsigned char c = (unsigned char)q[i];
        if (c == '"' || (ispunct(c) && i > 0 && !isspace((unsigned char)q[i - 1])))
            return 1;
    }
    return 0;
}

/* The total from n matches counted no further than one past the bound:
 * n itself within it, else the planner's estimate est (never below n)
 * and *estimated = 1. */
static long total_of(long n, double est, int *estimated)
{
    *estimated = n > VC_SEARCH_EXACT_MAX;
    return *estimated && est > n ? (long)est : n;
}

/* The rows matching qy, counted no further than one past the bound, as a
 * total (total_of); -1 with err on failure. */
static long bounded_count(struct vc_db *db, struct query *qy, double est, int *estimated,
                          struct vc_error *err)
{
    char sql[SQL_MAX];
    struct vc_result *res;
    long n;

    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM (SELECT 1 FROM audio_tracks t%s LIMIT %d) x",
             qy->where, VC_SEARCH_EXACT_MAX + 1);
    res = vc_db_exec_sql(db, sql, qy->n, qy->params, err);
    if (res == NULL)
        return -1;
    n = strtol(vc_result_value(res, 0, 0), NULL, 10);
    vc_result_free(res);
    return total_of(n, est, estimated);
}

/* Whether the planner's estimate is so far past the bound that even the
 * bounded count is skipped and the estimate is the total. How far
 * depends on how good the estimate is, by what the last word became
 * (measured over 6,000 queries of the bench's mix at a million tracks):
 * as lexemes, it is close - of those estimated past 1.25 times the bound
 * every one had more, of those between 1 and 1.25 times 24 of 25; as a
 * prefix GIN must expand, it is low - every one estimated past the bound
 * had more, and 71% of those estimated at half of it to the bound; with
 * no prefix (a phrase, a quoted or negated last word) it is high - of
 * those estimated at 1 to 2 times the bound only 4 in 43 had more. A
 * gather that finds more than the bound reads 2,001 rows for nothing. */
static int past_counting(const struct query *qy, double est)
{
    double over = qy->q_prefix == NULL ? 2.0 : qy->q_lexemes != NULL ? 1.25 : 1.0;

    return est > over * VC_SEARCH_EXACT_MAX;
}

/* How many rows match: exact up to VC_SEARCH_EXACT_MAX, counting no
 * further than one past it; beyond, the planner's estimate (never below
 * the bound) and *estimated = 1 (see past_counting). -1 with err on
 * failure. */
static long count_matches(struct vc_db *db, struct query *qy, int *estimated,
                          struct vc_error *err)
{
    double est = estimate_matches(db, qy, err);

    *estimated = 0;
    if (est < 0)
        return -1;
    if (past_counting(qy, est)) {
        *estimated = 1;
        return (long)est;
    }
    return bounded_count(db, qy, est, estimated, err);
}

/* A page's rows as PostgreSQL wrote them. A page of twenty tracks is about
 * 15 kB of JSON; parsing it into jansson's tree and printing it again took
 * 250 us of the 430 a search costs the worker, so the tracks are never
 * parsed: each one's JSON goes into the answer as it came (compacted),
 * with its rank, headline and next moves written after it. */
struct page_row {
    const char *item, *rank, *headline, *status;
    const char *keys[3];    /* the sort keys as text; NULL for SQL NULL */
};

#define PAGE_PARTS 3     /* a statement's rows per weight class at most (NCLASSES) */

struct page {
    struct page_row *rows;
    size_t n, cap;
    struct vc_result *res[PAGE_PARTS];  /* what the rows point into */
    size_t nres;
};

static struct page *page_new(void)
{
    return calloc(1, sizeof(struct page));
}

static void page_free(struct page *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nres; i++)
        vc_result_free(p->res[i]);
    free(p->rows);
    free(p);
}

static int page_reserve(struct page *p, size_t n)
{
    struct page_row *rows;
    size_t cap = p->cap ? p->cap : 32;

    if (p->n + n <= p->cap)
        return 0;
    while (cap < p->n + n)
        cap *= 2;
    rows = realloc(p->rows, cap * sizeof(*rows));
    if (rows == NULL)
        return -1;
    p->rows = rows;
    p->cap = cap;
    return 0;
}

/* Move part's rows (and the result they live in) to the end of p; part is
 * freed either way. 0, or -1 when memory runs out. */
static int page_append(struct page *p, struct page *part)
{
    int rc = -1;

    if (p->nres + part->nres <= PAGE_PARTS && page_reserve(p, part->n) == 0) {
        if (part->n > 0)    /* an empty part may have no rows array at all */
            memcpy(p->rows + p->n, part->rows, part->n * sizeof(*part->rows));
        p->n += part->n;
        memcpy(p->res + p->nres, part->res, part->nres * sizeof(*part->res));
        p->nres += part->nres;
        part->nres = 0;
        rc = 0;
    }
    page_free(part);
    return rc;
}

/* Take the page's extra row off (it only says there are more) and turn
 * the last kept row's keys into *cursor (NULL on the last page; a new
 * string), with the prefix's lexemes qy->q_lexemes when q had a prefix.
 * 0, or -1 when memory runs out. */
static int next_cursor(const struct vc_search *s, const struct query *qy, int by_class,
                       struct page *p, char **cursor)
{
    struct sort_key keys[3];
    int nkeys = sort_keys(s, keys);
    char label[64], *text;
    json_t *doc, *vals;
    const struct page_row *last;

    *cursor = NULL;
    if ((long)p->n <= s->limit)
        return 0;
    p->n = (size_t)s->limit;
    last = &p->rows[p->n - 1];
    order_label(s, by_class, label, sizeof(label));
    vals = json_array();
    for (int i = 0; vals != NULL && i < nkeys; i++) {
        if (json_array_append_new(vals, last->keys[i] ? json_string(last->keys[i]) : json_null())
            != 0) {
            json_decref(vals);
            vals = NULL;
        }
    }
    doc = vals ? json_pack("{s:s, s:o}", "o", label, "v", vals) : NULL;
    if (doc != NULL && qy->q_prefix != NULL
        && (qy->q_lexemes == NULL || strlen(qy->q_lexemes) <= CURSOR_LEXEMES_MAX)
        && json_object_set_new(doc, "x", qy->q_lexemes ? json_string(qy->q_lexemes) : json_null())
               != 0) {
        json_decref(doc);
        doc = NULL;
    }
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    *cursor = text ? vc_base64url_encode((const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    return *cursor != NULL ? 0 : -1;
}

/* The expressions a page shows for each row: the rank and the headline. */
struct page_sql {
    char rank[1100];
    char head[1200];
};

static void page_sql(const struct query *qy, struct page_sql *ps)
{
    const char *tsq = qy->tsq_rank;

    if (qy->has_q) {
        snprintf(ps->rank, sizeof(ps->rank), "ts_rank(t.search_vector, %s)", tsq);
        snprintf(ps->head, sizeof(ps->head),
                 "ts_headline('simple', concat_ws(' — ', t.title, t.artist, t.album, t.genre), %s, "
                 "'StartSel=<b>, StopSel=</b>, HighlightAll=true')", tsq);
    } else {
        snprintf(ps->rank, sizeof(ps->rank), "0::real");
        snprintf(ps->head, sizeof(ps->head), "concat_ws(' — ', t.title, t.artist, t.album, t.genre)");
    }
}

/* The columns of a page's rows: the track, its rank, headline and status,
 * its sort keys, then (with a count_sql) the row's place and the count. */
enum { COL_ITEM, COL_RANK, COL_HEAD, COL_STATUS, COL_KEYS };

/* Run inner (SELECT t.id, <rank> AS rank, t.created_at[, sort column] ...,
 * in the page's order and limit) and take its rows (a new page). Only the
 * page's rows are built as JSON: whole rows for every match would cost
 * more than the ranking. The rows come as json text, not jsonb (see
 * 014_track_json_text.sql). count_sql, when not NULL, is a count the
 * statement also returns into *count, whether or not there are rows. */
static struct page *page_rows_with(struct vc_db *db, const struct vc_search *s, struct query *qy,
                                   const struct page_sql *ps, const char *with, const char *inner,
                                   const char *count_sql, long *count, struct vc_error *err)
{
    struct sort_key keys[3];
    int n = sort_keys(s, keys);
    char sql[SQL_MAX * 2], outer[1400], keytext[256] = "", cols[1700];
    struct vc_result *res;
    struct page *p;
    int rows;

    for (int i = 0; i < n; i++) {
        size_t used = strlen(keytext);
        snprintf(keytext + used, sizeof(keytext) - used, ", p.%s::text", keys[i].col);
    }
    order_clause(keys, n, "p.", "p.rank", outer, sizeof(outer));
    snprintf(cols, sizeof(cols),
             "vc_track_json_text(t)::text, round(p.rank::numeric, 6)::text, %s, t.status%s",
             ps->head, keytext);
    if (count_sql == NULL)
        snprintf(sql, sizeof(sql),
                 "%sSELECT %s FROM (%s) p JOIN audio_tracks t ON t.id = p.id ORDER BY %s",
                 with, cols, inner, outer);
    else    /* the rows joined to the count's one row, which comes alone when there are none */
        snprintf(sql, sizeof(sql),
                 "%sSELECT x.*, c.n FROM (SELECT %s AS n) c LEFT JOIN ("
                 "SELECT %s, row_number() OVER (ORDER BY %s) AS ord "
                 "FROM (%s) p JOIN audio_tracks t ON t.id = p.id) x ON true ORDER BY x.ord",
                 with, count_sql, cols, outer, inner);
    res = vc_db_exec_sql(db, sql, qy->n, qy->params, err);
    if (res == NULL)
        return NULL;    /* a refused cursor value is blamed in vc_search_run */
    rows = vc_result_rows(res);
    if (count_sql != NULL) {
        *count = rows > 0 ? strtol(vc_result_value(res, 0, COL_KEYS + n + 1), NULL, 10) : 0;
        if (rows == 1 && vc_result_isnull(res, 0, COL_ITEM))
            rows = 0;   /* no track: the count's row alone */
    }
    p = page_new();
    if (p == NULL || page_reserve(p, (size_t)rows) != 0) {
        page_free(p);
        vc_result_free(res);
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    p->res[p->nres++] = res;
    for (int r = 0; r < rows; r++) {
        struct page_row *row = &p->rows[p->n++];

        row->item = vc_result_value(res, r, COL_ITEM);
        row->rank = vc_result_value(res, r, COL_RANK);
        row->headline = vc_result_isnull(res, r, COL_HEAD) ? NULL : vc_result_value(res, r, COL_HEAD);
        row->status = vc_result_value(res, r, COL_STATUS);
        for (int i = 0; i < n; i++)
            row->keys[i] = vc_result_isnull(res, r, COL_KEYS + i)
                               ? NULL : vc_result_value(res, r, COL_KEYS + i);
    }
    return p;
}

static struct page *page_rows(struct vc_db *db, const struct vc_search *s, struct query *qy,
                              const struct page_sql *ps, const char *inner, struct vc_error *err)
{
    return page_rows_with(db, s, qy, ps, "", inner, NULL, NULL, err);
}

/* The page in the exact order: limit + 1 rows after offset or the cursor.
 * With matched != NULL the matches are first gathered, at most
 * VC_SEARCH_EXACT_MAX + 1 of them, and both the page and their number
 * (*matched) come from that one statement: counting and then ranking read
 * every match twice, and a match costs a heap visit (GIN rechecks). The
 * page is right only when *matched is within the bound (it is empty
 * beyond). */
static struct page *fetch_page(struct vc_db *db, const struct vc_search *s, struct query *qy,
                               long *matched, struct vc_error *err)
{
    struct sort_key keys[3];
    int n = sort_keys(s, keys);
    struct page_sql ps;
    char inner[SQL_MAX], with[SQL_MAX] = "", gate[1100], order[1400], lim[24], off[24];
    char after[6000] = "", carry[32] = "";
    const char *from, *rank;

    page_sql(qy, &ps);
    /* The outer ORDER BY and the cursor need the sort column too. */
    if (strcmp(s->sort, "rank") != 0 && strcmp(s->sort, "created_at") != 0)
        snprintf(carry, sizeof(carry), ", t.%s", s->sort);
    if (matched != NULL) {
        /* The matches, no more than one past the bound, with their rank
         * and sort keys taken while each row is in hand (0.2 us a row;
         * reading them again by id for the page cost 3). Past the bound
         * the page is not wanted: the gate skips sorting and building it. */
        snprintf(with, sizeof(with),
                 "WITH m AS MATERIALIZED (SELECT t.id, %s AS rank, t.created_at%s "
                 "FROM audio_tracks t%s LIMIT %d) ",
                 ps.rank, carry, qy->where, VC_SEARCH_EXACT_MAX + 1);
        snprintf(gate, sizeof(gate), " WHERE (SELECT count(*) FROM m) <= %d", VC_SEARCH_EXACT_MAX);
        from = "m t";
        rank = "t.rank";
    } else {
        snprintf(gate, sizeof(gate), "%s", qy->where);
        from = "audio_tracks t";
        rank = ps.rank;
    }
    if (s->after != NULL
        && keyset_clause(qy, keys, n, s->after, rank, gate[0] != '\0', after, sizeof(after),
                         err) != VC_OK)
        return NULL;
    order_clause(keys, n, "t.", rank, order, sizeof(order));
    snprintf(lim, sizeof(lim), "%ld", s->limit + 1);
    snprintf(off, sizeof(off), "%ld", s->offset);
    {
        int pl = add_param(qy, lim), po = add_param(qy, off);
        snprintf(inner, sizeof(inner),
                 "SELECT t.id, %s AS rank, t.created_at%s FROM %s%s%s "
                 "ORDER BY %s LIMIT $%d::int OFFSET $%d::int",
                 rank, carry, from, gate, after, order, pl, po);
    }
    return page_rows_with(db, s, qy, &ps, with, inner,
                          matched != NULL ? "(SELECT count(*) FROM m)" : NULL, matched, err);
}

/* Ranking by weight class, for a q with more matches than can be ranked
 * within the budget: a track is in class A when its title and artist
 * alone match q, B when they do with the album, C otherwise; the rank
 * shown is ts_rank's weight of the class (1, 0.4, 0.2) and within a class
 * the newest come first. Each class is read newest first through
 * audio_tracks_created, or through its own GIN index when it is rare
 * (the planner picks; for a phrase or NOT, see below), and only as far
 * as the page needs: a common word's first page reads a few dozen rows
 * instead of ranking every match. */
static const struct {
    const char *weight, *when;
    int whole;              /* the class's test does not imply a match */
} classes[] = {
    { "1", "ts_filter(t.search_vector, '{a}') @@ %s", 0 },
    { "0.4", "ts_filter(t.search_vector, '{a,b}') @@ %s AND NOT ts_filter(t.search_vector, '{a}') @@ %s", 0 },
    { "0.2", "NOT ts_filter(t.search_vector, '{a,b}') @@ %s", 1 },
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))
_Static_assert(NCLASSES <= PAGE_PARTS, "a page holds one statement's result per weight class");

/* The SQL reading a class: newest (rows > 0) among that many newest rows
 * after the cursor only; as the planner picks (0); or whole and then
 * sorted (-1; OFFSET 0 keeps the planner from walking
 * audio_tracks_created). cond: the class's test and the filters; after:
 * the cursor's condition or ""; pl: the parameter of the limit. */
#define CLASS_NEWEST_ROWS 1000
#define CLASS_WALK_MAX 20000

static const char *class_sql(long rows, const char *weight, const char *cond, const char *after,
                             int pl, char *buf, size_t len)
{
    if (rows > 0)
        snprintf(buf, len,
                 "SELECT t.id, %s::real AS rank, t.created_at FROM (SELECT * FROM audio_tracks t%s%s "
                 "ORDER BY t.created_at DESC, t.id LIMIT %ld) t WHERE %s "
                 "ORDER BY t.created_at DESC, t.id LIMIT $%d::int",
                 weight, after[0] ? " WHERE " : "", after, rows, cond, pl);
    else
        snprintf(buf, len,
                 "SELECT * FROM (SELECT t.id, %s::real AS rank, t.created_at FROM audio_tracks t "
                 "WHERE %s%s%s%s) t ORDER BY t.created_at DESC, t.id LIMIT $%d::int",
                 weight, cond, after[0] ? " AND " : "", after, rows < 0 ? " OFFSET 0" : "", pl);
    return buf;
}

static struct page *fetch_page_by_class(struct vc_db *db, const struct vc_search *s,
                                        struct query *qy, struct vc_error *err)
{
    struct page_sql ps;
    const char *cur_class = s->after ? json_string_value(json_array_get(s->after, 0)) : NULL;
    int started = cur_class == NULL;
    long want = s->offset + s->limit + 1;
    struct page *page = page_new();
    int base = qy->n;
    /* A match of plain words in a part implies one in the whole; a NOT
     * (or a hyphen, which may be one) does not. */
    int negates = strchr(s->q, '-') != NULL;
    int guess = may_phrase(s->q) || negates;

    if (page == NULL) {
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    page_sql(qy, &ps);
    for (size_t k = 0; k < NCLASSES; k++) {
        size_t c = s->desc ? k : NCLASSES - 1 - k;
        int whole = classes[c].whole || negates;
        char when[3000], cond[4000], inner[SQL_MAX], after[200] = "", lim[24];
        int pl;
        long have = (long)page->n;
        struct page *part;

        if (have >= want)
            break;
        qy->n = base;
        if (!started) {
            int pc, pi;
            /* Classes before the cursor's are done. */
            if (strtod(cur_class, NULL) != strtod(classes[c].weight, NULL))
                continue;
            started = 1;
            pc = add_param(qy, json_string_value(json_array_get(s->after, 1)));
            pi = add_param(qy, json_string_value(json_array_get(s->after, 2)));
            snprintf(after, sizeof(after),
                     "(t.created_at < $%d OR (t.created_at = $%d AND t.id > $%d))", pc, pc, pi);
        }
        snprintf(when, sizeof(when), classes[c].when, qy->tsq, qy->tsq);
        snprintf(lim, sizeof(lim), "%ld", want - have);
        snprintf(cond, sizeof(cond), "%s%s%s", when, whole ? " AND " : "",
                 whole ? qy->where + strlen(" WHERE ") : qy->where + qy->filters_at);
        pl = add_param(qy, lim);
        /* The planner's estimate of a class is a guess for a phrase or an
         * exclusion. It takes a phrase for its words anywhere, expects a
         * dense class and walks newest first through rows that seldom
         * match ("honey love": 254 of the 23,062 rows with both words,
         * 218 ms), or, told not to, rechecks every row with both words
         * ("love love": 310,000, 530 ms); it took the title hits of
         * "song -home" for 756 and read 11,478 to sort them (64 ms). So
         * such a class is looked for among the newest rows first, then
         * read whole and sorted. */
        part = page_rows(db, s, qy, &ps,
                         class_sql(guess ? CLASS_NEWEST_ROWS : 0, classes[c].weight, cond,
                                   after, pl, inner, sizeof(inner)), err);
        if (guess && part != NULL && (long)part->n < want - have) {
            /* Too few among the newest: as many rows as the density found
             * says the page needs (twice, for luck), when a few were found
             * (one alone says little), then all. */
            long found = (long)part->n;
            long rows = found >= 3 ? CLASS_NEWEST_ROWS * 2 * (want - have) / found : 0;

            if (rows > 0 && rows <= CLASS_WALK_MAX) {
                page_free(part);
                part = page_rows(db, s, qy, &ps,
                                 class_sql(rows, classes[c].weight, cond, after, pl, inner,
                                           sizeof(inner)), err);
            }
            if (part != NULL && (long)part->n < want - have) {
                page_free(part);
                part = page_rows(db, s, qy, &ps,
                                 class_sql(-1, classes[c].weight, cond, after, pl, inner,
                                           sizeof(inner)), err);
            }
        }
        if (part == NULL) {
            page_free(page);
            return NULL;
        }
        if (page_append(page, part) != 0) {
            page_free(page);
            vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            return NULL;
        }
    }
    /* An offset page (at most VC_SEARCH_OFFSET_MAX deep) reads the rows
     * before it and drops them. */
    if (s->offset > 0) {
        size_t skip = (size_t)s->offset < page->n ? (size_t)s->offset : page->n;
        if (skip > 0)
            memmove(page->rows, page->rows + skip, (page->n - skip) * sizeof(*page->rows));
        page->n -= skip;
    }
    return page;
}

/* The answer: the envelope, then each track's JSON as PostgreSQL wrote it
 * with "rank", "headline" and "next" added, as vc_catalog_add_next would. */
static void write_answer(struct vc_jsonw *w, const struct vc_search *s, long total, int estimated,
                         int by_class, const char *cursor, const struct page *p)
{
    VC_JSONW_LIT(w, "{\"total\":");
    vc_jsonw_int(w, total);
    if (estimated)
        VC_JSONW_LIT(w, ",\"total_is_estimate\":true");
    else
        VC_JSONW_LIT(w, ",\"total_is_estimate\":false");
    if (by_class)
        VC_JSONW_LIT(w, ",\"ranking\":\"weight_class\"");
    else
        VC_JSONW_LIT(w, ",\"ranking\":\"exact\"");
    VC_JSONW_LIT(w, ",\"limit\":");
    vc_jsonw_int(w, s->limit);
    VC_JSONW_LIT(w, ",\"offset\":");
    vc_jsonw_int(w, s->offset);
    if (cursor != NULL) {
        VC_JSONW_LIT(w, ",\"has_more\":true,\"next_cursor\":");
        vc_jsonw_cstring(w, cursor);
    } else {
        VC_JSONW_LIT(w, ",\"has_more\":false,\"next_cursor\":null");
    }
    VC_JSONW_LIT(w, ",\"items\":[");
    for (size_t i = 0; i < p->n; i++) {
        const struct page_row *row = &p->rows[i];
        size_t n = strlen(row->item);

        if (i > 0)
            vc_jsonw_raw(w, ",", 1);
        /* The track's object without its closing brace, then the rest. */
        while (n > 0 && row->item[n - 1] != '}')
            n--;
        vc_jsonw_json(w, row->item, n > 0 ? n - 1 : 0);
        VC_JSONW_LIT(w, ",\"rank\":");
        vc_jsonw_real(w, strtod(row->rank, NULL), 9);
        VC_JSONW_LIT(w, ",\"headline\":");
        if (row->headline != NULL)
            vc_jsonw_cstring(w, row->headline);
        else
            VC_JSONW_LIT(w, "null");
        VC_JSONW_LIT(w, ",\"next\":");
        vc_catalog_write_next(w, row->status);
        vc_jsonw_raw(w, "}", 1);
    }
    VC_JSONW_LIT(w, "]}");
}

enum vc_code vc_search_run(struct vc_db *db, const struct vc_search *s, struct vc_jsonw *out,
                           struct vc_error *err)
{
    struct query qy;
    struct page *page = NULL;
    char *cursor = NULL;
    long total, matched;
    int estimated, by_class, base;
    double est;
    enum vc_code rc = VC_ERR_INTERNAL;

    if (build(db, s, &qy, err) != VC_OK)
        goto done;
    base = qy.n;
    est = estimate_matches(db, &qy, err);
    if (est < 0)
        goto done;
    total = (long)est;
    estimated = past_counting(&qy, est);
    if (!estimated && s->after != NULL && s->by_class) {
        total = bounded_count(db, &qy, est, &estimated, err);
        if (total < 0)
            goto done;
    } else if (!estimated) {
        /* Maybe within the bound: the count and the page in one pass. */
        page = fetch_page(db, s, &qy, &matched, err);
        if (page == NULL)
            goto done;
        total = total_of(matched, est, &estimated);
        if (estimated) {
            page_free(page);
            page = NULL;
            qy.n = base;
        }
    }
    /* Past the bound, ranking every match is what costs: rank by class
     * (min_rank asks for ts_rank itself). A cursor keeps its regime. */
    by_class = qy.has_q && strcmp(s->sort, "rank") == 0 && s->min_rank == 0
               && (s->after ? s->by_class : estimated);
    if (page == NULL)
        page = by_class ? fetch_page_by_class(db, s, &qy, err)
                        : fetch_page(db, s, &qy, NULL, err);
    if (page == NULL)
        goto done;
    if (next_cursor(s, &qy, by_class, page, &cursor) != 0) {
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        goto done;
    }
    /* With a cursor the page's position is unknown: an exact total can
     * still exceed what remains, so has_more comes from the extra row. */
    write_answer(out, s, total, estimated, by_class, cursor, page);
    if (vc_jsonw_text(out, NULL) == NULL)
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "could not encode the response");
    else
        rc = VC_OK;
done:
    /* A value PostgreSQL refused that came with the cursor (its keys, the
     * prefix's lexemes) was made by hand. */
    if (rc != VC_OK && s->after != NULL && err->code == VC_ERR_INVALID_ARGUMENT
        && err->field[0] == '\0')
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "cursor",
                     "cursor is not one this service handed out");
    free(cursor);
    page_free(page);
    free_query(&qy);
    return rc == VC_OK ? VC_OK : err->code;     /* every failure above set err */
}

json_t *vc_search_facets(struct vc_db *db, const struct vc_search *s, struct vc_error *err)
{
    struct query qy;
    char sql[SQL_MAX];
    char from[1400], n_sql[64], scale[32];
    struct vc_result *res;
    json_t *out = NULL;
    long total;
    int estimated;

    if (build(db, s, &qy, err) != VC_OK) {
        free_query(&qy);
        return NULL;
    }
    total = count_matches(db, &qy, &estimated, err);
    if (total < 0) {
        free_query(&qy);
        return NULL;
    }
    /* Beyond the exact bound, the first VC_SEARCH_EXACT_MAX matches in
     * storage order stand for all of them, scaled to the estimated total:
     * the work stays bounded whatever the catalog's size. */
    if (estimated) {
        snprintf(scale, sizeof(scale), "%.6f", (double)total / VC_SEARCH_EXACT_MAX);
        snprintf(n_sql, sizeof(n_sql), "round(count(*) * $%d::float8)::bigint",
                 add_param(&qy, scale));
        snprintf(from, sizeof(from),
                 "(SELECT t.status, t.genre, t.format, t.year FROM audio_tracks t%s LIMIT %d) t",
                 qy.where, VC_SEARCH_EXACT_MAX);
    } else {
        snprintf(n_sql, sizeof(n_sql), "count(*)");
        snprintf(from, sizeof(from), "audio_tracks t%s", qy.where);
    }
    /* One pass over the matches, a grouping set per facet (the total came
     * from count_matches). Genres: the 50 most common. */
    snprintf(sql, sizeof(sql),
             "WITH g AS (SELECT GROUPING(t.status) AS gs, GROUPING(t.genre) AS gg, "
             "                  GROUPING(t.format) AS gf, GROUPING(t.year / 10) AS gd, "
             "                  t.status, t.genre, t.format, t.year / 10 AS decade, %s AS n "
             "           FROM %s "
             "           GROUP BY GROUPING SETS ((t.status), (t.genre), (t.format), (t.year / 10))) "
             "SELECT jsonb_build_object("
             " 'status', coalesce((SELECT jsonb_agg(jsonb_build_object('value', status, 'count', n) ORDER BY n DESC, status) FROM g WHERE gs = 0), '[]'), "
             " 'genre', coalesce((SELECT jsonb_agg(jsonb_build_object('value', genre, 'count', n) ORDER BY n DESC, genre) "
             "                    FROM (SELECT genre, n FROM g WHERE gg = 0 AND genre IS NOT NULL ORDER BY n DESC, genre LIMIT 50) x), '[]'), "
             " 'format', coalesce((SELECT jsonb_agg(jsonb_build_object('value', format, 'count', n) ORDER BY n DESC, format) FROM g WHERE gf = 0 AND format IS NOT NULL), '[]'), "
             " 'decade', coalesce((SELECT jsonb_agg(jsonb_build_object('value', (decade * 10)::text || 's', 'count', n) ORDER BY decade) FROM g WHERE gd = 0 AND decade IS NOT NULL), '[]'))::text",
             n_sql, from);
    res = vc_db_exec_sql(db, sql, qy.n, qy.params, err);
    if (res != NULL) {
        out = vc_db_json(res, err);
        vc_result_free(res);
    }
    if (out != NULL && (json_object_set_new(out, "total", json_integer(total)) != 0
                        || json_object_set_new(out, "total_is_estimate", json_boolean(estimated)) != 0
                        || json_object_set_new(out, "approximate", json_boolean(estimated)) != 0)) {
        json_decref(out);
        out = NULL;
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    free_query(&qy);
    return out;
}

static const struct vc_stmt st_rank = { "vc_search_rank", "SELECT vc_lexemes_rank()", 0 };

enum vc_code vc_search_rank_lexemes(struct vc_db *db, struct vc_error *err)
{
    struct vc_result *res = vc_db_exec(db, &st_rank, NULL, err);

    if (res == NULL)
        return err->code;
    vc_result_free(res);
    return VC_OK;
}
