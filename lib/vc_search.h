/* vc_search.h - full-text search over the catalog, and its facets.
 *
 * q goes through websearch_to_tsquery('simple', ...) (quotes, OR, -not),
 * with the last plain word matched as a prefix so search-as-you-type
 * works. Ranking is ts_rank with the trigger's weights (A title + artist,
 * B album, C genre and spoken text), ties by created_at. The SQL is built
 * from whitelisted pieces only; every value is a parameter.
 *
 * Pages go by offset up to VC_SEARCH_OFFSET_MAX and by cursor beyond: a
 * cursor holds the last row's sort key (its value, created_at, id), so the
 * next page starts strictly after it whatever is added meanwhile. total is
 * exact up to VC_SEARCH_EXACT_MAX matches and the planner's estimate beyond
 * (total_is_estimate); has_more is always exact. */
#ifndef VC_SEARCH_H
#define VC_SEARCH_H

#include <jansson.h>

#include "vc_db.h"
#include "vc_error.h"
#include "vc_jsonw.h"

#define VC_SEARCH_Q_MAX 1000        /* bytes */
#define VC_SEARCH_LIMIT_MAX 100
#define VC_SEARCH_EXACT_MAX 2000    /* matches counted and ranked exactly; beyond, estimated */
#define VC_SEARCH_OFFSET_MAX 10000  /* deeper pages go by cursor */
#define VC_SEARCH_CURSOR_MAX 4096   /* bytes of an encoded cursor */

struct vc_search {
    const char *q;          /* borrowed; NULL or "" lists */
    const char *status, *format, *genre;
    int year_from, year_to; /* 0 = unset */
    double min_rank;        /* 0 = unset */
    const char *sort;       /* whitelisted column name */
    int desc;
    long limit, offset;
    json_t *after;          /* owned: the cursor's key values, or NULL */
    int by_class;           /* the cursor continues a ranking by weight class */
    /* The lexemes the first page's prefix stood for, which its cursor
     * carries so that every page matches the same (vc_prefix_tsquery's
     * choice may change between pages): has_lexemes says the cursor
     * said, lexemes is NULL for the prefix itself. */
    int has_lexemes;
    char *lexemes;          /* owned */
};

/* Look up a request parameter (borrowed or NULL). */
typedef const char *(*vc_search_getter)(void *ctx, const char *name);

/* Read and validate the parameters: 400 naming the field. s borrows the
 * getter's strings; on success release it with vc_search_clear. */
enum vc_code vc_search_parse(vc_search_getter get, void *ctx, struct vc_search *s,
                             struct vc_error *err) VC_MUST_CHECK;

/* Release what vc_search_parse decoded (safe on a zeroed or failed s). */
void vc_search_clear(struct vc_search *s);

/* Write {total, total_is_estimate, ranking, limit, offset, has_more,
 * next_cursor, items:[track + rank + headline + next]} to out (which the
 * caller initialised and releases); VC_OK, or the code with err. */
enum vc_code vc_search_run(struct vc_db *db, const struct vc_search *s, struct vc_jsonw *out,
                           struct vc_error *err) VC_MUST_CHECK;

/* {total, approximate, status:[{value,count}], genre:[...], format:[...],
 * decade:[...]} for the same q and filters (new reference). Beyond
 * VC_SEARCH_EXACT_MAX matches the counts are scaled from that many of
 * them and "approximate" is true. */
json_t *vc_search_facets(struct vc_db *db, const struct vc_search *s, struct vc_error *err);

/* Bring the lexeme table's frequencies up to the catalog's last ANALYZE
 * (vc_lexemes_rank, migration 018): they pick the lexemes a prefix that
 * begins many stands for. Cheap when nothing was analyzed since; the
 * speech workers call it when idle. VC_OK, or the code with err. */
enum vc_code vc_search_rank_lexemes(struct vc_db *db, struct vc_error *err) VC_MUST_CHECK;

#endif
