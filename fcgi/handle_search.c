/* handle_search.c - /search: full-text search, facets, one track.
 *
 * Reads go to the read connection (a replica when
 * VOXCAT_DATABASE_URL_READ is set). */
#include <string.h>

#include "handlers.h"
#include "vc_catalog.h"
#include "vc_search.h"
#include "worker.h"

static const char *query_get(void *ctx, const char *name)
{
    return vc_request_param(ctx, name);
}

/* The page is written as text, not built as a jansson tree: see
 * vc_search.c's struct page. */
static enum vc_code reply_search(struct vc_request *req, const struct vc_search *s,
                                 struct vc_error *err)
{
    struct vc_jsonw w;
    size_t len = 0;
    enum vc_code rc;

    vc_jsonw_init(&w, 0);
    rc = vc_search_run(req->worker->db_read, s, &w, err);
    if (rc == VC_OK) {
        const char *text = vc_jsonw_text(&w, &len);   /* not NULL: vc_search_run checked */
        vc_reply_bytes(req, 200, "application/json", "Cache-Control: no-store\r\n", text, len);
    }
    vc_jsonw_release(&w);
    return rc;
}

enum vc_code vc_handle_search(struct vc_request *req, struct vc_error *err)
{
    struct vc_search s;
    enum vc_code rc = vc_search_parse(query_get, req, &s, err);

    if (rc != VC_OK)
        return rc;
    rc = reply_search(req, &s, err);
    vc_search_clear(&s);
    return rc;
}

enum vc_code vc_handle_search_facets(struct vc_request *req, struct vc_error *err)
{
    struct vc_search s;
    enum vc_code rc = vc_search_parse(query_get, req, &s, err);

    if (rc != VC_OK)
        return rc;
    rc = vc_reply_json_owned(req, 200, vc_search_facets(req->worker->db_read, &s, err),
                             "Cache-Control: no-store\r\n", err);
    vc_search_clear(&s);
    return rc;
}

enum vc_code vc_handle_search_track(struct vc_request *req, struct vc_error *err)
{
    if (!vc_uuid_valid(req->captures[0]))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
    return vc_reply_json_owned(req, 200, vc_catalog_get(req->worker->db_read, req->captures[0], err),
                               "Cache-Control: no-store\r\n", err);
}
