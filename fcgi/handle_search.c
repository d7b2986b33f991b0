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

static enum vc_code reply_owned(struct vc_request *req, json_t *body, struct vc_error *err)
{
    if (body == NULL)
        return err->code != VC_OK ? err->code
                                  : vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_reply_json(req, 200, body, "Cache-Control: no-store\r\n");
    json_decref(body);
    return VC_OK;
}

enum vc_code vc_handle_search(struct vc_request *req, struct vc_error *err)
{
    struct vc_search s;
    enum vc_code rc = vc_search_parse(query_get, req, &s, err);

    if (rc != VC_OK)
        return rc;
    return reply_owned(req, vc_search_run(req->worker->db_read, &s, err), err);
}

enum vc_code vc_handle_search_facets(struct vc_request *req, struct vc_error *err)
{
    struct vc_search s;
    enum vc_code rc = vc_search_parse(query_get, req, &s, err);

    if (rc != VC_OK)
        return rc;
    return reply_owned(req, vc_search_facets(req->worker->db_read, &s, err), err);
}

enum vc_code vc_handle_search_track(struct vc_request *req, struct vc_error *err)
{
    if (!vc_uuid_valid(req->captures[0]))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
    return reply_owned(req, vc_catalog_get(req->worker->db_read, req->captures[0], err), err);
}
