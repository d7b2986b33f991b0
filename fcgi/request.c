/* request.c - parse a FastCGI request: path, query, headers, body. */
#include "request.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vc_text.h"

/* Decode one name=value pair of len bytes at q into p: 0, or -1. */
static int parse_pair(const char *q, size_t len, struct vc_param *p)
{
    const char *eq = memchr(q, '=', len);
    size_t nlen = eq ? (size_t)(eq - q) : len;
    int dn = 0, dv = 0;
    char *raw, *name, *value;

    /* '+' means space in form encoding; curl_easy_unescape does not know
     * that, so it becomes a space first. */
    raw = strndup(q, len);
    if (raw == NULL)
        return -1;
    for (char *c = raw; *c; c++) {
        if (*c == '+')
            *c = ' ';
    }
    /* The handle argument is unused by libcurl since 7.82. */
    name = curl_easy_unescape(NULL, raw, (int)nlen, &dn);
    value = curl_easy_unescape(NULL, eq ? raw + nlen + 1 : "", eq ? (int)(len - nlen - 1) : 0, &dv);
    free(raw);
    /* An encoded NUL byte cannot be carried in a C string. */
    if (name != NULL && value != NULL && (int)strlen(name) == dn && (int)strlen(value) == dv) {
        p->name = strdup(name);
        p->value = strdup(value);
    }
    curl_free(name);
    curl_free(value);
    if (p->name == NULL || p->value == NULL) {
        free(p->name);
        free(p->value);
        p->name = p->value = NULL;
        return -1;
    }
    return 0;
}

int vc_query_parse(const char *query, struct vc_param *params, size_t max, size_t *n)
{
    const char *q = query;

    *n = 0;
    while (*q) {
        size_t len = strcspn(q, "&");

        if (len > 0) {
            if (*n == max)
                return -1;
            params[*n].name = params[*n].value = NULL;
            if (parse_pair(q, len, &params[*n]) != 0)
                return -1;
            (*n)++;
        }
        q += len;
        if (*q == '&')
            q++;
    }
    return 0;
}

/* The request path: SCRIPT_NAME + PATH_INFO as nginx passes them, falling
 * back to DOCUMENT_URI or REQUEST_URI without its query. New string. */
static char *request_path(const struct vc_request *req)
{
    const char *script = vc_request_env(req, "SCRIPT_NAME");
    const char *info = vc_request_env(req, "PATH_INFO");
    const char *uri;
    char *out;

    if ((script && script[0]) || (info && info[0])) {
        size_t a = script ? strlen(script) : 0, b = info ? strlen(info) : 0;
        out = malloc(a + b + 1);
        if (out == NULL)
            return NULL;
        memcpy(out, script ? script : "", a);
        memcpy(out + a, info ? info : "", b);
        out[a + b] = '\0';
        return out;
    }
    uri = vc_request_env(req, "DOCUMENT_URI");
    if (uri == NULL)
        uri = vc_request_env(req, "REQUEST_URI");
    if (uri == NULL)
        uri = "/";
    return strndup(uri, strcspn(uri, "?"));
}

/* Read the body up to limit bytes. 413 beyond it. */
static enum vc_code read_body(struct vc_request *req, long limit, struct vc_error *err)
{
    const char *cl = vc_request_env(req, "CONTENT_LENGTH");
    char *end;
    long n;
    int got;

    if (cl == NULL || cl[0] == '\0')
        return VC_OK;
    n = strtol(cl, &end, 10);
    if (*end != '\0' || n < 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "bad Content-Length");
    if (n > limit)
        return vc_error_set(err, VC_ERR_PAYLOAD_TOO_LARGE, NULL,
                            "request body of %ld bytes is over the limit of %ld", n, limit);
    req->body = malloc((size_t)n + 1);
    if (req->body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    got = n > 0 ? FCGX_GetStr(req->body, (int)n, req->fcgx->in) : 0;
    if (got != n)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "request body ended early");
    req->body[n] = '\0';
    req->body_len = (size_t)n;
    return VC_OK;
}

static const char *env_or(const struct vc_request *req, const char *name, const char *dflt)
{
    const char *v = vc_request_env(req, name);

    return v != NULL ? v : dflt;
}

enum vc_code vc_request_read(struct vc_request *req, FCGX_Request *fcgx,
                             struct vc_worker *w, long body_limit, struct vc_error *err)
{
    memset(req, 0, sizeof(*req));
    req->fcgx = fcgx;
    req->worker = w;
    req->engine = -1;
    req->method = env_or(req, "REQUEST_METHOD", "GET");
    req->query = env_or(req, "QUERY_STRING", "");
    req->content_type = vc_request_env(req, "CONTENT_TYPE");
    req->accept = vc_request_env(req, "HTTP_ACCEPT");
    req->request_id = vc_request_env(req, "REQUEST_ID");
    req->remote_addr = vc_request_env(req, "REMOTE_ADDR");
    req->path = request_path(req);
    if (req->path == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_utf8_scrub(req->path);
    /* A bad query is the router's to refuse, once the route is known. */
    req->params_bad = vc_query_parse(req->query, req->params, VC_MAX_PARAMS, &req->nparams) != 0;
    return read_body(req, body_limit, err);
}

const char *vc_request_env(const struct vc_request *req, const char *name)
{
    return FCGX_GetParam(name, req->fcgx->envp);
}

const char *vc_request_param(const struct vc_request *req, const char *name)
{
    const char *found = NULL;

    for (size_t i = 0; i < req->nparams; i++) {
        if (strcmp(req->params[i].name, name) == 0)
            found = req->params[i].value;
    }
    return found;
}

struct vc_actor vc_request_actor(const struct vc_request *req)
{
    struct vc_actor who = { "anonymous", req->remote_addr, NULL };

    if (req->authenticated) {
        who.name = req->token.name;
        who.token_id = req->token.id;
    }
    return who;
}

int vc_request_wants_json(const struct vc_request *req)
{
    return req->accept != NULL && strstr(req->accept, "application/json") != NULL;
}

/* The slot of key in the request's log fields: the one it had, or a new
 * one; NULL when they are all taken. */
static struct vc_log_field *log_slot(struct vc_request *req, const char *key)
{
    for (size_t i = 0; i < req->nlog; i++)
        if (strcmp(req->log[i].key, key) == 0)
            return &req->log[i];
    if (req->nlog == VC_REQUEST_LOG_MAX)
        return NULL;
    req->log[req->nlog].key = key;
    return &req->log[req->nlog++];
}

void vc_request_log_str(struct vc_request *req, const char *key, const char *value)
{
    struct vc_log_field *f = value != NULL ? log_slot(req, key) : NULL;
    size_t room = sizeof(req->log_text) - req->log_used;
    size_t len;

    if (f == NULL)
        return;
    len = strlen(value);
    /* Cut on a character boundary, so the copy stays valid UTF-8. */
    if (len >= room) {
        len = room > 0 ? room - 1 : 0;
        while (len > 0 && ((unsigned char)value[len] & 0xC0) == 0x80)
            len--;
    }
    f->type = VC_LOG_STR;
    f->str = req->log_text + req->log_used;
    if (room > 0) {
        memcpy(req->log_text + req->log_used, value, len);
        req->log_text[req->log_used + len] = '\0';
        req->log_used += len + 1;
    } else {
        f->str = "";
    }
}

void vc_request_log_num(struct vc_request *req, const char *key, double value)
{
    struct vc_log_field *f = log_slot(req, key);

    if (f == NULL)
        return;
    f->type = VC_LOG_REAL;
    f->real = round(value * 100) / 100;
}

void vc_request_log_true(struct vc_request *req, const char *key)
{
    struct vc_log_field *f = log_slot(req, key);

    if (f != NULL)
        f->type = VC_LOG_TRUE;
}

void vc_request_free(struct vc_request *req)
{
    for (size_t i = 0; i < req->nparams; i++) {
        free(req->params[i].name);
        free(req->params[i].value);
    }
    req->nparams = 0;
    free(req->path);
    free(req->body);
    free(req->capture_buf);
    req->nlog = 0;
    req->log_used = 0;
    req->path = NULL;
    req->body = NULL;
    req->capture_buf = NULL;
}
