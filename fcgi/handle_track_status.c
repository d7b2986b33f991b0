/* handle_track_status.c - GET and PUT /status/{id}: a track's state and
 * the transitions of SPEC ("Status transitions"). */
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "vc_catalog.h"
#include "worker.h"

enum vc_code vc_handle_track_status_get(struct vc_request *req, struct vc_error *err)
{
    json_t *body;

    if (!vc_uuid_valid(req->captures[0]))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
    body = vc_catalog_status(req->worker->db, req->captures[0], err);
    if (body == NULL)
        return err->code;
    vc_reply_json(req, 200, body, "Cache-Control: no-store\r\n");
    json_decref(body);
    return VC_OK;
}

enum vc_code vc_handle_track_status_put(struct vc_request *req, struct vc_error *err)
{
    const char *ct = req->content_type;
    struct vc_actor who = vc_request_actor(req);
    json_error_t jerr;
    json_t *in, *v, *body = NULL;
    const char *key;
    const char *to, *msg = NULL;

    if (!vc_uuid_valid(req->captures[0]))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
        return vc_error_set(err, VC_ERR_UNSUPPORTED_MEDIA, "Content-Type",
                            "PUT /status/{id} takes application/json");
    in = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (in == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body",
                            "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(in)) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body", "the body must be a JSON object");
        goto out;
    }
    json_object_foreach(in, key, v) {
        if (strcmp(key, "status") != 0 && strcmp(key, "error_message") != 0) {
            vc_error_set(err, VC_ERR_INVALID_ARGUMENT, key, "unknown field \"%s\"", key);
            goto out;
        }
    }
    to = json_string_value(json_object_get(in, "status"));
    if (to == NULL) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "status", "status is required (a string)");
        goto out;
    }
    v = json_object_get(in, "error_message");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_string(v)) {
            vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "error_message", "error_message must be a string");
            goto out;
        }
        msg = json_string_value(v);
    }
    body = vc_catalog_transition(req->worker->db, req->captures[0], to, msg,
                                 req->worker->cfg->max_retries, req->worker->cfg->lease_s,
                                 &who, err);
    if (body != NULL) {
        vc_request_log_str(req, "track_id", req->captures[0]);
        vc_reply_json(req, 200, body, "Cache-Control: no-store\r\n");
    }
out:
    json_decref(body);
    json_decref(in);
    return req->replied ? VC_OK : err->code;
}
