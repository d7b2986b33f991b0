/* reply.c - the only writers of responses. */
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vc_text.h"

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "Unknown";
}

/* Headers are put piece by piece, not printed: every answer writes them,
 * and printf's formats cost more than the copies (libfcgi's own printf
 * knows no %zu either). */
static void write_head(struct vc_request *req, int status, const char *content_type,
                       const char *extra, size_t len, int with_length)
{
    FCGX_Stream *out = req->fcgx->out;
    char line[512];
    char num[24];

    vc_utoa(status > 0 ? (unsigned)status : 0, num);
    FCGX_PutS("Status: ", out);
    FCGX_PutS(num, out);
    FCGX_PutS(" ", out);
    FCGX_PutS(reason(status), out);
    FCGX_PutS("\r\n", out);
    if (content_type != NULL) {
        FCGX_PutS("Content-Type: ", out);
        FCGX_PutS(content_type, out);
        FCGX_PutS("\r\n", out);
    }
    if (with_length) {
        vc_utoa(len, num);
        FCGX_PutS("Content-Length: ", out);
        FCGX_PutS(num, out);
        FCGX_PutS("\r\n", out);
    }
    if (req->cors_origin != NULL) {
        snprintf(line, sizeof(line), "Access-Control-Allow-Origin: %.400s\r\nVary: Origin\r\n",
                 req->cors_origin);
        FCGX_PutS(line, req->fcgx->out);
        FCGX_PutS("Access-Control-Expose-Headers: X-Track-Id, X-Cache, Content-Location, "
                  "Location, Retry-After\r\n", req->fcgx->out);
    }
    if (req->request_id != NULL && req->request_id[0]) {
        size_t n = strnlen(req->request_id, 64);
        FCGX_PutS("X-Request-Id: ", out);
        FCGX_PutStr(req->request_id, (int)n, out);
        FCGX_PutS("\r\n", out);
    }
    if (extra != NULL)
        FCGX_PutS(extra, req->fcgx->out);
    FCGX_PutS("\r\n", req->fcgx->out);
    req->status = status;
    req->replied = 1;
}

void vc_reply_bytes(struct vc_request *req, int status, const char *content_type,
                    const char *extra_headers, const void *data, size_t len)
{
    if (req->replied)
        return;
    write_head(req, status, content_type, extra_headers, len, 1);
    if (len > 0 && strcasecmp(req->method, "HEAD") != 0)
        FCGX_PutStr(data, (int)len, req->fcgx->out);
    req->bytes_out = len;
}

void vc_reply_start(struct vc_request *req, int status, const char *content_type,
                    const char *extra_headers)
{
    char extra[1024];

    if (req->replied)
        return;
    snprintf(extra, sizeof(extra), "X-Accel-Buffering: no\r\n%s",
             extra_headers ? extra_headers : "");
    write_head(req, status, content_type, extra, 0, 0);
    FCGX_FFlush(req->fcgx->out);
}

int vc_reply_chunk(struct vc_request *req, const void *data, size_t len)
{
    if (len > 0 && strcasecmp(req->method, "HEAD") != 0
        && FCGX_PutStr(data, (int)len, req->fcgx->out) != (int)len)
        return -1;
    req->bytes_out += len;
    return FCGX_FFlush(req->fcgx->out) == 0 ? 0 : -1;
}

void vc_reply_headers(struct vc_request *req, int status, const char *headers)
{
    if (req->replied)
        return;
    write_head(req, status, NULL, headers, 0, 0);
}

void vc_reply_json(struct vc_request *req, int status, json_t *body,
                   const char *extra_headers)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(9));

    if (text == NULL) {
        struct vc_error err;
        vc_error_set(&err, VC_ERR_INTERNAL, NULL, "could not encode the response");
        vc_reply_error(req, &err);
        return;
    }
    vc_reply_bytes(req, status, "application/json", extra_headers, text, strlen(text));
    free(text);
}

/* OpenAI's error body, {"error":{"message","type","param","code"}}, which
 * the SDKs turn into their own exceptions (by status). New string. */
static char *openai_error_json(const struct vc_error *err)
{
    int status = vc_error_http_status(err->code);
    const char *type = status == 401 ? "authentication_error"
                       : status == 403 ? "permission_error"
                       : status == 429 ? "rate_limit_error"
                       : status >= 500 ? "api_error" : "invalid_request_error";
    json_t *body = json_pack("{s:{s:s, s:s, s:s?, s:s}}", "error", "message", err->message,
                             "type", type, "param", err->field[0] ? err->field : NULL,
                             "code", vc_strerror(err->code));
    char *out = body ? json_dumps(body, JSON_COMPACT) : NULL;

    json_decref(body);
    return out;
}

/* The OpenAI-compatible routes live under /tts/v1/ and answer in its
 * error shape; everything else in voxcat's own. */
static int speaks_openai(const struct vc_request *req)
{
    return req->path != NULL && strncmp(req->path, "/tts/v1/", 8) == 0;
}

enum vc_code vc_reply_json_owned(struct vc_request *req, int status, json_t *body,
                                 const char *extra_headers, struct vc_error *err)
{
    if (body == NULL)
        return err->code != VC_OK ? err->code
                                  : vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_reply_json(req, status, body, extra_headers);
    json_decref(body);
    return VC_OK;
}

void vc_reply_error(struct vc_request *req, const struct vc_error *err)
{
    char extra[128] = "";
    char *body = speaks_openai(req) ? openai_error_json(err) : vc_error_json(err);
    int status = vc_error_http_status(err->code);
    static const char fallback[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";

    if ((err->code == VC_ERR_QUOTA_EXCEEDED || err->code == VC_ERR_UNAVAILABLE) &&
        err->retry_after > 0)
        snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", err->retry_after);
    if (err->code == VC_ERR_UNAUTHORIZED)
        snprintf(extra, sizeof(extra), "WWW-Authenticate: Bearer realm=\"voxcat\"\r\n");
    strncat(extra, "Cache-Control: no-store\r\n", sizeof(extra) - strlen(extra) - 1);
    if (body == NULL) {
        vc_reply_bytes(req, 500, "application/json", extra, fallback, sizeof(fallback) - 1);
        return;
    }
    vc_reply_bytes(req, status, "application/json", extra, body, strlen(body));
    free(body);
}
