/* access.c - bearer tokens against route scopes, and CORS origins. */
#include "access.h"

#include <string.h>
#include <strings.h>

#include "vc_log.h"
#include "worker.h"

enum mode { MODE_OFF, MODE_WRITES, MODE_ALL };

static enum mode auth_mode(const struct vc_request *req)
{
    const char *m = req->worker->cfg->auth;

    return strcmp(m, "off") == 0 ? MODE_OFF : strcmp(m, "all") == 0 ? MODE_ALL : MODE_WRITES;
}

/* The token of an "Authorization: Bearer <token>" header. */
static enum vc_code authenticate(struct vc_request *req, const char *header,
                                 struct vc_error *err)
{
    size_t n = strlen("Bearer ");
    enum vc_code rc;

    if (strncasecmp(header, "Bearer ", n) != 0)
        return vc_error_set(err, VC_ERR_UNAUTHORIZED, "Authorization",
                            "Authorization must be \"Bearer <token>\"");
    header += n;
    while (*header == ' ')
        header++;
    rc = vc_auth_lookup(req->worker->db, header, &req->token, err);
    if (rc == VC_ERR_UNAVAILABLE) {
        err->retry_after = 5;
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL,
                            "tokens cannot be checked: the database is unavailable");
    }
    if (rc != VC_OK)
        return rc;
    req->authenticated = 1;
    vc_request_log_str(req, "token", req->token.name);
    return VC_OK;
}

enum vc_code vc_access_require(struct vc_request *req, unsigned scope, struct vc_error *err)
{
    enum mode mode = auth_mode(req);

    if (mode == MODE_OFF || scope == VC_ACCESS_OPEN)
        return VC_OK;
    if (scope == VC_SCOPE_READ && mode == MODE_WRITES)
        return VC_OK;
    if (!req->authenticated)
        return vc_error_set(err, VC_ERR_UNAUTHORIZED, NULL,
                            "%s %s needs a token: send \"Authorization: Bearer <token>\"",
                            req->method, req->path);
    if (!vc_token_allows(&req->token, scope))
        return vc_error_set(err, VC_ERR_FORBIDDEN, "scope",
                            "the token \"%s\" lacks the scope \"%s\"", req->token.name,
                            vc_scope_name(scope));
    return VC_OK;
}

enum vc_code vc_access_check(struct vc_request *req, unsigned scope, struct vc_error *err)
{
    const char *header;
    enum vc_code rc;

    /* Health probes answer whatever they carry. */
    if (auth_mode(req) == MODE_OFF || scope == VC_ACCESS_OPEN)
        return VC_OK;
    header = vc_request_env(req, "HTTP_AUTHORIZATION");
    if (header != NULL && header[0] != '\0') {
        rc = authenticate(req, header, err);
        if (rc != VC_OK)
            return rc;
    }
    return vc_access_require(req, scope, err);
}

void vc_access_cors(struct vc_request *req)
{
    const char *origin = vc_request_env(req, "HTTP_ORIGIN");
    const char *list = req->worker->cfg->cors_origins;
    size_t n;

    req->cors_origin = NULL;
    if (origin == NULL || origin[0] == '\0' || list[0] == '\0')
        return;
    n = strlen(origin);
    /* An exact match against one entry of the comma-separated list. */
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, origin, n) == 0) {
            req->cors_origin = origin;
            return;
        }
        p += len;
        p += strspn(p, ", ");
    }
}
