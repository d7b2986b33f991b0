/* vc_http.h - the HTTP client of the remote speech engines.
 *
 * One libcurl easy handle per process, reused so connections stay alive.
 * vc_http_call() runs a POST with retries: the engine's classify callback
 * says whether an answer is done, worth another attempt (with the delay the
 * server asked for, if any) or a final error. Attempts back off
 * exponentially with jitter, honour Retry-After, and never run past the
 * total budget (VOXCAT_HTTP_TIMEOUT_MS) or the request's own deadline,
 * whatever the upstream does. Each
 * attempt is logged with its latency and outcome, never with a key. */
#ifndef VC_HTTP_H
#define VC_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "vc_config.h"
#include "vc_error.h"

struct vc_http_response {
    long status;            /* 0 when no answer came (timeout, refused) */
    char *body;             /* owned, NUL-terminated */
    size_t len;
    char content_type[128];
    double retry_after_s;   /* from Retry-After, -1 when absent */
    int timed_out;
};

enum vc_http_verdict { VC_HTTP_DONE, VC_HTTP_RETRY, VC_HTTP_FAIL };

/* Look at one attempt's answer. For VC_HTTP_RETRY, *delay_s (preset to -1)
 * may be set to the delay the server asked for, and err may say what the
 * answer means if no attempt is left; for VC_HTTP_FAIL, err must be
 * filled. */
typedef enum vc_http_verdict (*vc_http_classify)(const struct vc_http_response *resp,
                                                 double *delay_s, void *ctx,
                                                 struct vc_error *err);

struct vc_http_request {
    const char *engine;         /* for logs and counters */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines */
    const char *body;
    size_t body_len;
    vc_http_classify classify;
    void *ctx;
    double deadline;            /* vc_time_mono_s() the whole request ends by; 0: none */
};

/* Per-process counters by engine, for /status and metrics. */
struct vc_http_stats {
    unsigned long calls, attempts, retries, errors, timeouts;
};

/* Run req; on VC_OK resp holds the accepted answer (free it with
 * vc_http_response_free). On failure err is filled: the classifier's error,
 * or upstream_timeout / upstream_error when the attempts or the budget ran
 * out. */
enum vc_code vc_http_call(const struct vc_config *cfg, const struct vc_http_request *req,
                          struct vc_http_response *resp, struct vc_error *err) VC_MUST_CHECK;

void vc_http_response_free(struct vc_http_response *resp);

/* Counters of engine (zeros when it made no call). */
void vc_http_stats_get(const char *engine, struct vc_http_stats *out);

/* Free the process's curl handle. */
void vc_http_shutdown(void);

#endif
