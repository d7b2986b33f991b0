/* handle_tokens.c - API tokens over HTTP, for an admin token: the list
 * with today's use, a new token (its secret shown in this answer only),
 * and revocation. What `voxcat token` does, for the admin page. Every
 * change is audited with the admin token's name. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "vc_audit.h"
#include "vc_auth.h"
#include "worker.h"

enum vc_code vc_handle_tokens_list(struct vc_request *req, struct vc_error *err)
{
    json_t *tokens = vc_auth_list(req->worker->db, err);

    if (tokens == NULL)
        return err->code;
    return vc_reply_json_owned(req, 200, json_pack("{s:o}", "tokens", tokens),
                               "Cache-Control: no-store\r\n", err);
}

/* "scopes" as a list ["tts","read"] or a string "tts,read" into bits. */
static enum vc_code scopes_of(json_t *v, unsigned *bits, struct vc_error *err)
{
    char list[256] = "";
    size_t i;
    json_t *s;

    if (v == NULL || json_is_null(v))
        return vc_scopes_parse("tts", bits, err) == 0 ? VC_OK : err->code;
    if (json_is_string(v))
        snprintf(list, sizeof(list), "%s", json_string_value(v));
    else if (json_is_array(v)) {
        json_array_foreach(v, i, s) {
            if (!json_is_string(s))
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "scopes", "scopes are strings");
            if (i > 0)
                strncat(list, ",", sizeof(list) - strlen(list) - 1);
            strncat(list, json_string_value(s), sizeof(list) - strlen(list) - 1);
        }
    } else {
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "scopes", "scopes is a list of names");
    }
    return vc_scopes_parse(list, bits, err) == 0 ? VC_OK : VC_ERR_INVALID_ARGUMENT;
}

enum vc_code vc_handle_tokens_create(struct vc_request *req, struct vc_error *err)
{
    struct vc_actor who = vc_request_actor(req);
    char secret[VC_TOKEN_SECRET_SIZE], list[128], resource[80];
    long long daily = -1;
    unsigned bits = 0;
    json_error_t jerr;
    json_t *in, *v, *body;
    const char *name;
    enum vc_code rc;

    in = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (in == NULL || !json_is_object(in)) {
        json_decref(in);
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body", "the body must be a JSON object");
    }
    name = json_string_value(json_object_get(in, "name"));
    v = json_object_get(in, "daily_chars");
    if (name == NULL)
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "name", "name is required");
    else if (v != NULL && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0))
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "daily_chars",
                          "daily_chars is a whole number >= 0, or null for no quota");
    else
        rc = scopes_of(json_object_get(in, "scopes"), &bits, err);
    if (rc == VC_OK && v != NULL && json_is_integer(v))
        daily = json_integer_value(v);
    if (rc == VC_OK)
        rc = vc_auth_create(req->worker->db, name, bits, daily, secret, err);
    if (rc == VC_OK) {
        snprintf(resource, sizeof(resource), "token:%s", name);
        if (vc_audit(req->worker->db, "token.create", resource, &who, "live", NULL, err) != VC_OK)
            vc_error_clear(err);    /* the token exists: say so, the audit miss is logged */
    }
    if (rc != VC_OK) {
        json_decref(in);
        return rc;
    }
    vc_scopes_format(bits, list, sizeof(list));
    body = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "token", secret, "scopes", list,
                     "daily_chars", daily >= 0 ? json_integer(daily) : json_null());
    json_decref(in);
    return vc_reply_json_owned(req, 201, body, "Cache-Control: no-store\r\n", err);
}

enum vc_code vc_handle_tokens_revoke(struct vc_request *req, struct vc_error *err)
{
    struct vc_actor who = vc_request_actor(req);
    const char *name = req->captures[0];
    char resource[80];
    enum vc_code rc;

    if (!vc_token_name_valid(name))
        return vc_error_set(err, VC_ERR_NOT_FOUND, "name", "no live token named %s", name);
    rc = vc_auth_revoke(req->worker->db, name, err);
    if (rc != VC_OK)
        return rc;
    snprintf(resource, sizeof(resource), "token:%s", name);
    if (vc_audit(req->worker->db, "token.revoke", resource, &who, "revoked", NULL, err) != VC_OK)
        vc_error_clear(err);
    return vc_reply_json_owned(req, 200, json_pack("{s:s, s:b}", "name", name, "revoked", 1),
                               "Cache-Control: no-store\r\n", err);
}
