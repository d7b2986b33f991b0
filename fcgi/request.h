/* request.h - one FastCGI request as the handlers see it, parsed in one
 * place: method, path, query parameters, the headers voxcat reads, and the
 * body (bounded before it is read).
 *
 * Per-request memory hangs off the request and is freed by
 * vc_request_free. The handlers answer through reply.h; the worker loop
 * only calls vc_request_read and vc_request_free. */
#ifndef VC_REQUEST_H
#define VC_REQUEST_H

#include <fcgiapp.h>
#include <jansson.h>
#include <stddef.h>

#include "vc_audit.h"
#include "vc_auth.h"
#include "vc_error.h"
#include "vc_log.h"

struct vc_worker;

#define VC_ACTOR_MAX VC_TOKEN_NAME_MAX     /* an actor's name, with its NUL */

#define VC_MAX_PARAMS 32
#define VC_REQUEST_LOG_MAX 12     /* a speech request logs 7 */
#define VC_REQUEST_LOG_TEXT 1024

struct vc_param {
    char *name;             /* percent-decoded */
    char *value;            /* percent-decoded, may hold any bytes but NUL */
};

/* What a request did with the speech path, for the pool's counters. */
enum vc_request_cache { VC_REQ_CACHE_NONE, VC_REQ_CACHE_HIT, VC_REQ_CACHE_MISS };

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
    const char *captures[2];    /* {id}-style path segments, into capture_buf */
    char *capture_buf;          /* owned storage for captures */

    /* Set by access.c: the caller's token, and an Origin allowed to read. */
    struct vc_token token;
    int authenticated;
    const char *cors_origin;

    /* Filled by the reply helpers, read by the access log. */
    int status;
    size_t bytes_out;
    int replied;
    /* Extra access-log fields, their strings copied into log_text. */
    struct vc_log_field log[VC_REQUEST_LOG_MAX];
    size_t nlog;
    char log_text[VC_REQUEST_LOG_TEXT];
    size_t log_used;

    /* Filled by the speech handlers, read by the pool's counters. */
    enum vc_request_cache cache;
    int engine;                 /* enum vc_engine_id, or -1 */
    int synthesized;

    /* Work to run after the answer has been sent (the client is not kept
     * waiting); after_ctx is handed to it and it frees it. */
    void (*after)(struct vc_worker *w, void *ctx);
    void *after_ctx;
};

/* Fill req from the accepted fcgx (borrowed): parameters, path, query,
 * and the body up to body_limit bytes. On failure err says why (400, 413,
 * 500) and req is still safe to answer and free. */
enum vc_code vc_request_read(struct vc_request *req, FCGX_Request *fcgx,
                             struct vc_worker *w, long body_limit,
                             struct vc_error *err) VC_MUST_CHECK;

/* Split a raw query string into decoded name/value pairs (new strings in
 * params, at most max; *n gets how many, which the caller frees, failure
 * or not). '+' is a space. Returns 0, or -1 when there are too many pairs
 * or one cannot be decoded (an encoded NUL, or out of memory). */
int vc_query_parse(const char *query, struct vc_param *params, size_t max, size_t *n);

/* The value of FastCGI parameter name (borrowed), or NULL. */
const char *vc_request_env(const struct vc_request *req, const char *name);

/* The decoded query parameter name (borrowed), or NULL. When it appears
 * more than once the last wins. */
const char *vc_request_param(const struct vc_request *req, const char *name);

/* Who makes this request, for the audit log and the quota: the token's
 * name, or "anonymous" (strings borrowed from req). */
struct vc_actor vc_request_actor(const struct vc_request *req);

/* Whether the client prefers JSON over audio (Accept: application/json). */
int vc_request_wants_json(const struct vc_request *req);

/* Add a field to the access-log line of this request, or replace the
 * one of the same key. key must outlive the request (a literal); a string
 * value is copied (cut short when the request's log text is full). */
void vc_request_log_str(struct vc_request *req, const char *key, const char *value);
/* A number with two decimals (rounded), and true. */
void vc_request_log_num(struct vc_request *req, const char *key, double value);
void vc_request_log_true(struct vc_request *req, const char *key);

/* Free what the request owns. */
void vc_request_free(struct vc_request *req);

#endif
