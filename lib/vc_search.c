/* vc_search.c - full-text search over the catalog, and its facets. */
#include "vc_search.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    rc = optional_long(get, ctx, "offset", 0, 0, 10000000, &s->offset, err);
    if (rc != VC_OK)
        return rc;
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
    return VC_OK;
}

/* The parameters and WHERE clause shared by search, count and facets. */
struct query {
    const char *params[12];
    int n;
    char where[1024];
    char *q_rest;           /* owned: q without its prefix word */
    char *q_prefix;         /* owned: the last word, matched as a prefix */
    char year_from[8], year_to[8], min_rank[32];
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
 * quoted, not negated, not OR): it becomes a prefix match. */
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
        || q[end - 1] == '"' || (end - start == 2 && strncasecmp(q + start, "or", 2) == 0))
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
}

/* The tsquery of q: websearch syntax for all but the last plain word,
 * which is a prefix (escaped as a quoted lexeme). */
static const char *tsquery_sql(struct query *qy, char *buf, size_t len)
{
    int r = add_param(qy, qy->q_rest);

    if (qy->q_prefix == NULL) {
        snprintf(buf, len, "websearch_to_tsquery('simple', $%d)", r);
        return buf;
    }
    {
        int p = add_param(qy, qy->q_prefix);
        /* "a OR b" typed as "a OR b": the prefix joins with OR. */
        size_t rl = strlen(qy->q_rest);
        int or_join = rl >= 3 && strncasecmp(qy->q_rest + rl - 3, "or ", 3) == 0
                      && (rl == 3 || isspace((unsigned char)qy->q_rest[rl - 4]));
        if (or_join)
            qy->q_rest[rl - 3] = '\0';
        snprintf(buf, len,
                 "(websearch_to_tsquery('simple', $%d) %s "
                 "to_tsquery('simple', '''' || replace(replace($%d, '\\', '\\\\'), '''', '''''') || ''':*'))",
                 r, or_join ? "||" : "&&", p);
    }
    return buf;
}

static enum vc_code build(const struct vc_search *s, struct query *qy, char *tsq, size_t tsqlen,
                          struct vc_error *err)
{
    memset(qy, 0, sizeof(*qy));
    qy->has_q = s->q != NULL && s->q[0] != '\0';
    if (qy->has_q) {
        if (split_prefix(qy, s->q) != 0)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        tsquery_sql(qy, tsq, tsqlen);
        snprintf(qy->where, sizeof(qy->where), " WHERE t.search_vector @@ %s", tsq);
    }
    if (s->status && s->status[0])
        add_where(qy, "t.status = $%d", add_param(qy, s->status));
    if (s->format && s->format[0])
        add_where(qy, "t.format = $%d", add_param(qy, s->format));
    if (s->genre && s->genre[0])
        add_where(qy, "t.genre = $%d", add_param(qy, s->genre));
    if (s->year_from) {
        snprintf(qy->year_from, sizeof(qy->year_from), "%d", s->year_from);
        add_where(qy, "t.year >= $%d::int", add_param(qy, qy->year_from));
    }
    if (s->year_to) {
        snprintf(qy->year_to, sizeof(qy->year_to), "%d", s->year_to);
        add_where(qy, "t.year <= $%d::int", add_param(qy, qy->year_to));
    }
    if (qy->has_q && s->min_rank > 0) {
        char piece[SQL_MAX];
        snprintf(qy->min_rank, sizeof(qy->min_rank), "%.6f", s->min_rank);
        snprintf(piece, sizeof(piece), "ts_rank(t.search_vector, %s) >= $%%d::real", tsq);
        add_where(qy, piece, add_param(qy, qy->min_rank));
    }
    return VC_OK;
}

/* ORDER BY for the whitelisted sort: col is the table prefix ("t." or
 * "p."), rank the expression of the rank. Ties by newest, then id. By date
 * added (and rank without q), the id runs against the date so that
 * audio_tracks_created (created_at DESC, id), read forwards or backwards,
 * hands over the first page without sorting the catalog. Columns that are
 * never NULL get no NULLS LAST, which would also keep an index out. */
static void order_clause(const struct vc_search *s, int has_q, const char *col,
                         const char *rank, char *buf, size_t len)
{
    const char *dir = s->desc ? "DESC" : "ASC";
    int by_rank = strcmp(s->sort, "rank") == 0;
    int never_null = strcmp(s->sort, "updated_at") == 0 || strcmp(s->sort, "title") == 0;

    if (by_rank && has_q)
        snprintf(buf, len, "%s %s, %screated_at DESC, %sid", rank, dir, col, col);
    else if (by_rank || strcmp(s->sort, "created_at") == 0)
        snprintf(buf, len, "%screated_at %s, %sid %s", col, dir, col, s->desc ? "ASC" : "DESC");
    else
        snprintf(buf, len, "%s%s %s%s, %screated_at DESC, %sid", col, s->sort, dir,
                 never_null ? "" : " NULLS LAST", col, col);
}

json_t *vc_search_run(struct vc_db *db, const struct vc_search *s, struct vc_error *err)
{
    struct query qy;
    char tsq[1024], sql[SQL_MAX], lim[24], off[24];
    struct vc_result *res = NULL;
    json_t *items = NULL, *out = NULL;
    long total;

    if (build(s, &qy, tsq, sizeof(tsq), err) != VC_OK)
        goto fail;

    /* The total first: it needs every match, the page only the top N. */
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM audio_tracks t%s", qy.where);
    res = vc_db_exec_sql(db, sql, qy.n, qy.params, err);
    if (res == NULL)
        goto fail;
    total = strtol(vc_result_value(res, 0, 0), NULL, 10);
    vc_result_free(res);

    snprintf(lim, sizeof(lim), "%ld", s->limit);
    snprintf(off, sizeof(off), "%ld", s->offset);
    {
        int pl = add_param(&qy, lim), po = add_param(&qy, off);
        char rank[1100], head[1200], inner[256], outer[256], carry[32] = "";
        if (qy.has_q) {
            snprintf(rank, sizeof(rank), "ts_rank(t.search_vector, %s)", tsq);
            snprintf(head, sizeof(head),
                     "ts_headline('simple', concat_ws(' — ', t.title, t.artist, t.album, t.genre), %s, "
                     "'StartSel=<b>, StopSel=</b>, HighlightAll=true')", tsq);
        } else {
            snprintf(rank, sizeof(rank), "0::real");
            snprintf(head, sizeof(head), "concat_ws(' — ', t.title, t.artist, t.album, t.genre)");
        }
        /* The outer ORDER BY needs the sort column too. */
        if (strcmp(s->sort, "rank") != 0 && strcmp(s->sort, "created_at") != 0)
            snprintf(carry, sizeof(carry), ", t.%s", s->sort);
        order_clause(s, qy.has_q, "t.", "rank", inner, sizeof(inner));
        order_clause(s, qy.has_q, "p.", "p.rank", outer, sizeof(outer));
        /* The page by id first, the rows after: whole rows built for
         * every match would cost more than the ranking itself. */
        snprintf(sql, sizeof(sql),
                 "SELECT coalesce(jsonb_agg(vc_track_json(t) || jsonb_build_object("
                 " 'rank', round(p.rank::numeric, 6), 'headline', %s) ORDER BY %s), '[]')::text "
                 "FROM (SELECT t.id, %s AS rank, t.created_at%s "
                 "      FROM audio_tracks t%s "
                 "      ORDER BY %s LIMIT $%d::int OFFSET $%d::int) p "
                 "JOIN audio_tracks t ON t.id = p.id",
                 head, outer, rank, carry, qy.where, inner, pl, po);
    }
    res = vc_db_exec_sql(db, sql, qy.n, qy.params, err);
    if (res == NULL)
        goto fail;
    items = vc_db_json(res, err);
    vc_result_free(res);
    if (items == NULL)
        goto fail;
    out = json_pack("{s:I, s:I, s:I, s:b, s:o}", "total", (json_int_t)total,
                    "limit", (json_int_t)s->limit, "offset", (json_int_t)s->offset,
                    "has_more", s->offset + (long)json_array_size(items) < total, "items", items);
    if (out == NULL)
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    free_query(&qy);
    return out;
fail:
    free_query(&qy);
    return NULL;
}

json_t *vc_search_facets(struct vc_db *db, const struct vc_search *s, struct vc_error *err)
{
    struct query qy;
    char tsq[1024], sql[SQL_MAX];
    struct vc_result *res;
    json_t *out = NULL;

    if (build(s, &qy, tsq, sizeof(tsq), err) != VC_OK) {
        free_query(&qy);
        return NULL;
    }
    /* One pass over the matches: a grouping set per facet, () for the
     * total. Genres: the 50 most common. */
    snprintf(sql, sizeof(sql),
             "WITH g AS (SELECT GROUPING(t.status) AS gs, GROUPING(t.genre) AS gg, "
             "                  GROUPING(t.format) AS gf, GROUPING(t.year / 10) AS gd, "
             "                  t.status, t.genre, t.format, t.year / 10 AS decade, count(*) AS n "
             "           FROM audio_tracks t%s "
             "           GROUP BY GROUPING SETS ((t.status), (t.genre), (t.format), (t.year / 10), ())) "
             "SELECT jsonb_build_object("
             " 'total', coalesce((SELECT sum(n) FROM g WHERE gs + gg + gf + gd = 4), 0), "
             " 'status', coalesce((SELECT jsonb_agg(jsonb_build_object('value', status, 'count', n) ORDER BY n DESC, status) FROM g WHERE gs = 0), '[]'), "
             " 'genre', coalesce((SELECT jsonb_agg(jsonb_build_object('value', genre, 'count', n) ORDER BY n DESC, genre) "
             "                    FROM (SELECT genre, n FROM g WHERE gg = 0 AND genre IS NOT NULL ORDER BY n DESC, genre LIMIT 50) x), '[]'), "
             " 'format', coalesce((SELECT jsonb_agg(jsonb_build_object('value', format, 'count', n) ORDER BY n DESC, format) FROM g WHERE gf = 0 AND format IS NOT NULL), '[]'), "
             " 'decade', coalesce((SELECT jsonb_agg(jsonb_build_object('value', (decade * 10)::text || 's', 'count', n) ORDER BY decade) FROM g WHERE gd = 0 AND decade IS NOT NULL), '[]'))::text",
             qy.where);
    res = vc_db_exec_sql(db, sql, qy.n, qy.params, err);
    if (res != NULL) {
        out = vc_db_json(res, err);
        vc_result_free(res);
    }
    free_query(&qy);
    return out;
}
