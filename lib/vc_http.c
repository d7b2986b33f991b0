/* vc_http.c - the remote engines' HTTP client: keep-alive, retries,
 * backoff, budget. */
#include "config.h"

#include "vc_http.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "vc_log.h"
#include "vc_time.h"

#define BACKOFF_BASE_S 0.25
#define BACKOFF_CAP_S 8.0
#define MAX_ENGINES 4

static CURL *handle;

static struct {
    char name[16];
    struct vc_http_stats s;
} stats[MAX_ENGINES];

static struct vc_http_stats *stats_for(const char *engine)
{
    for (int i = 0; i < MAX_ENGINES; i++) {
        if (stats[i].name[0] == '\0')
            snprintf(stats[i].name, sizeof(stats[i].name), "%s", engine);
        if (strcmp(stats[i].name, engine) == 0)
            return &stats[i].s;
    }
    return &stats[MAX_ENGINES - 1].s;
}

void vc_http_stats_get(const char *engine, struct vc_http_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < MAX_ENGINES; i++) {
        if (strcmp(stats[i].name, engine) == 0)
            *out = stats[i].s;
    }
}

void vc_http_response_free(struct vc_http_response *resp)
{
    if (resp == NULL)
        return;
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}

void vc_http_shutdown(void)
{
    if (handle != NULL)
        curl_easy_cleanup(handle);
    handle = NULL;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct vc_http_response *resp = userp;
    size_t add = size * n;
    char *grown;

    /* A speech answer is a few MB at most; refuse anything absurd. */
    if (resp->len + add > 64u * 1024 * 1024)
        return 0;
    grown = realloc(resp->body, resp->len + add + 1);
    if (grown == NULL)
        return 0;
    resp->body = grown;
    memcpy(resp->body + resp->len, data, add);
    resp->len += add;
    resp->body[resp->len] = '\0';
    return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    struct vc_http_response *resp = userp;
    size_t len = size * n;

    if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        char *end;
        double v = strtod(data + 12, &end);
        if (end != data + 12 && v >= 0)
            resp->retry_after_s = v;
    }
    return len;
}

/* One attempt with at most budget_s. */
static void attempt(const struct vc_config *cfg, const struct vc_http_request *req,
                    double budget_s, struct vc_http_response *resp, CURLcode *cc)
{
    struct curl_slist *hdrs = NULL;
    long connect_ms = cfg->connect_timeout_ms;
    long total_ms = (long)(budget_s * 1000);
    char *ct = NULL;

    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        struct curl_slist *next = curl_slist_append(hdrs, req->headers[i]);
        if (next == NULL) {
            *cc = CURLE_OUT_OF_MEMORY;
            curl_slist_free_all(hdrs);
            return;
        }
        hdrs = next;
    }
    if (total_ms < 1)
        total_ms = 1;
    if (connect_ms > total_ms)
        connect_ms = total_ms;
    curl_easy_reset(handle);
    curl_easy_setopt(handle, CURLOPT_URL, req->url);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "voxcat/" PACKAGE_VERSION);
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    *cc = curl_easy_perform(handle);
    curl_slist_free_all(hdrs);
    if (*cc == CURLE_OK) {
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &resp->status);
        if (curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
            snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
    } else {
        resp->status = 0;
        resp->timed_out = *cc == CURLE_OPERATION_TIMEDOUT;
    }
    if (resp->body == NULL) {
        resp->body = calloc(1, 1);
        resp->len = 0;
    }
}

/* Exponential backoff with full jitter, capped. */
static double backoff(int n)
{
    double cap = BACKOFF_BASE_S * pow(2.0, n);

    if (cap > BACKOFF_CAP_S)
        cap = BACKOFF_CAP_S;
    return cap * (0.5 + 0.5 * ((double)rand() / RAND_MAX));
}

enum vc_code vc_http_call(const struct vc_config *cfg, const struct vc_http_request *req,
                          struct vc_http_response *resp, struct vc_error *err)
{
    struct vc_http_stats *st = stats_for(req->engine);
    double deadline = vc_time_mono_s() + cfg->http_timeout_ms / 1000.0;
    int timed_out = 0;

    if (req->deadline > 0 && req->deadline < deadline)
        deadline = req->deadline;

    memset(resp, 0, sizeof(*resp));
    if (handle == NULL) {
        handle = curl_easy_init();
        if (handle == NULL)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot start the HTTP client");
        srand((unsigned)(getpid() ^ time(NULL)));
    }
    st->calls++;
    vc_error_clear(err);
    for (int n = 0; n < cfg->retry_attempts; n++) {
        double start = vc_time_mono_s();
        double left = deadline - start;
        double delay = -1;
        CURLcode cc = CURLE_OK;
        enum vc_http_verdict v;
        json_t *f;

        if (left <= 0.001)
            break;
        if (n > 0)
            st->retries++;
        st->attempts++;
        attempt(cfg, req, left, resp, &cc);
        if (cc != CURLE_OK) {
            timed_out = resp->timed_out || vc_time_mono_s() >= deadline;
            v = VC_HTTP_RETRY;
        } else {
            v = req->classify(resp, &delay, req->ctx, err);
        }
        f = json_pack("{s:s, s:i, s:I, s:f, s:s}", "engine", req->engine, "attempt", n + 1,
                      "upstream_status", (json_int_t)resp->status,
                      "ms", round((vc_time_mono_s() - start) * 100000) / 100.0,
                      "outcome", cc != CURLE_OK ? curl_easy_strerror(cc)
                      : v == VC_HTTP_DONE ? "ok" : v == VC_HTTP_RETRY ? "retry" : "fail");
        vc_logf(v == VC_HTTP_DONE ? VC_LOG_INFO : VC_LOG_WARN, f, "upstream call");
        json_decref(f);
        if (v == VC_HTTP_DONE)
            return VC_OK;
        if (v == VC_HTTP_FAIL) {
            st->errors++;
            vc_http_response_free(resp);
            return err->code;
        }
        if (resp->status != 0)
            timed_out = 0;
        vc_http_response_free(resp);
        if (n + 1 == cfg->retry_attempts)
            break;
        if (delay < 0)
            delay = resp->retry_after_s >= 0 ? resp->retry_after_s : backoff(n);
        if (vc_time_mono_s() + delay >= deadline) {
            /* The server's wait (or ours) would overrun the budget. */
            break;
        }
        usleep((useconds_t)(delay * 1e6));
    }
    st->errors++;
    /* A classifier may have said what the last retryable answer means
     * when no attempt is left (e.g. quota_exceeded with Retry-After). */
    if (err != NULL && err->code != VC_OK && !timed_out)
        return err->code;
    if (timed_out || vc_time_mono_s() >= deadline) {
        st->timeouts++;
        return vc_error_set(err, VC_ERR_UPSTREAM_TIMEOUT, NULL, "%s did not answer in time",
                            req->engine);
    }
    return vc_error_set(err, VC_ERR_UPSTREAM, NULL, "%s failed after %d attempts",
                        req->engine, cfg->retry_attempts);
}
