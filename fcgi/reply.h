/* reply.h - one FastCGI request as the handlers see it, and the helpers that
 * answer it.
 *
 * The worker fills a struct vc_request from the FastCGI parameters and body;
 * handlers validate, call the library and answer through exactly one of the
 * vc_reply_* functions. Every error body is written by vc_reply_error, from a
 * struct vc_error, so the JSON shape lives in one place. Per-request memory
 * hangs off the request and is freed by vc_request_free. */
#ifndef VC_REPLY_H
#define VC_REPLY_H

#include <fcgiapp.h>
#include <jansson.h>
#include <stddef.h>

#include "vc_error.h"

struct vc_worker;

#define VC_MAX_PARAMS 32

struct vc_param {
    char *name;             /* percent-decoded */
    char *value;            /* percent-decoded, may hold any bytes but NUL */
};

struct vc_request {
    FCGX_Request *fcgx;
    struct vc_worker *worker;   /* borrowed: the process's state */
    const char *method;         /* borrowed from the FastCGI params */
    char *path;                 /* owned: decoded path, query removed */
    const char *query;          /* raw query string, "" when none */
    const char *content_type;
    const char *accept;
    const char *request_id;
    const char *remote_addr;
    char *body;                 /* owned, NUL-terminated; NULL when none */
    size_t body_len;
    struct vc_param params[VC_MAX_PARAMS];
    size_t nparams;
    int params_bad;             /* query had too many or undecodable params */
    const char *route;          /* route name for logs and metrics */
    int route_index;            /* for metrics; see vc_route_count() */
    const char *captures[2];    /* {id}-style path segments, into path copy */
    char *capture_buf;          /* owned storage for captures */

    /* Filled by the reply helpers, read by the access log. */
    int status;
    size_t bytes_out;
    int replied;
    json_t *log;                /* owned: extra access-log fields */

    /* Work to run after the answer has been sent (the client is not kept
     * waiting); after_ctx is handed to it and it frees it. */
    void (*after)(struct vc_worker *w, void *ctx);
    void *after_ctx;
};

/* The value of FastCGI parameter name (borrowed), or NULL. */
const char *vc_request_env(const struct vc_request *req, const char *name);

/* The decoded query parameter name (borrowed), or NULL. When it appears
 * more than once the last wins. */
const char *vc_request_param(const struct vc_request *req, const char *name);

/* Whether the client prefers JSON over audio (Accept: application/json). */
int vc_request_wants_json(const struct vc_request *req);

/* Add a field to the access-log line of this request (takes value). */
void vc_request_log(struct vc_request *req, const char *key, json_t *value);

/* Free what the request owns. */
void vc_request_free(struct vc_request *req);

/* Answer with a JSON body (borrowed) and status. extra_headers (may be NULL)
 * are complete "Name: value\r\n" lines. */
void vc_reply_json(struct vc_request *req, int status, json_t *body,
                   const char *extra_headers);

/* Answer with the SPEC's error body for err. */
void vc_reply_error(struct vc_request *req, const struct vc_error *err);

/* Answer with raw bytes. */
void vc_reply_bytes(struct vc_request *req, int status, const char *content_type,
                    const char *extra_headers, const void *data, size_t len);

/* Answer with an empty body and headers only (e.g. X-Accel-Redirect). */
void vc_reply_headers(struct vc_request *req, int status, const char *headers);

#endif
