/* router.c - the route table and the dispatch over it. */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "handlers.h"
#include "scoreboard.h"

#define OPEN VC_ACCESS_OPEN
#define READ VC_SCOPE_READ

/* Every route, with the scope it needs (READ only under VOXCAT_AUTH=all;
 * speech needs tts, and tts:remote once a paid model is asked for). */
static const struct vc_route routes[] = {
    { "GET", "/status",       vc_handle_status,       READ, "status" },
    { "GET", "/status/live",  vc_handle_status_live,  OPEN, "status_live" },
    { "GET", "/status/ready", vc_handle_status_ready, OPEN, "status_ready" },
    { "GET", "/status/metrics", vc_handle_status_metrics, READ, "status_metrics" },
    { "GET", "/status/tokens", vc_handle_tokens_list, VC_SCOPE_ADMIN, "tokens" },
    { "POST", "/status/tokens", vc_handle_tokens_create, VC_SCOPE_ADMIN, "tokens" },
    { "DELETE", "/status/tokens/{name}", vc_handle_tokens_revoke, VC_SCOPE_ADMIN, "tokens" },
    { "GET", "/status/{id}",  vc_handle_track_status_get, READ, "status_track" },
    { "PUT", "/status/{id}",  vc_handle_track_status_put, VC_SCOPE_CATALOG_WRITE, "status_track" },
    { "GET", "/search",        vc_handle_search,        READ, "search" },
    { "GET", "/search/facets", vc_handle_search_facets, READ, "search_facets" },
    { "GET", "/search/{id}",   vc_handle_search_track,  READ, "search_track" },
    { "POST", "/tts",             vc_handle_tts_post,      VC_SCOPE_TTS, "tts" },
    { "GET",  "/tts",             vc_handle_tts_get,       VC_SCOPE_TTS, "tts" },
    { "GET",  "/tts/voices",      vc_handle_tts_voices,    READ, "tts_voices" },
    { "GET",  "/tts/languages",   vc_handle_tts_languages, READ, "tts_languages" },
    { "GET",  "/tts/models",      vc_handle_tts_models,    READ, "tts_models" },
    { "GET",  "/tts/audio/{key}", vc_handle_tts_audio,     READ, "tts_audio" },
    { "POST", "/tts/v1/audio/speech", vc_handle_openai_speech, VC_SCOPE_TTS, "openai_speech" },
    { "GET",  "/tts/v1/models",       vc_handle_openai_models, READ, "openai_models" },
    { "GET",  "/tts/v1/audio/voices", vc_handle_openai_voices, READ, "openai_voices" },
    { "GET",  "/tts/{id}",        vc_handle_tts_track,     READ, "tts_track" },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *const pseudo[] = { "not_found", "method_not_allowed", "unrouted" };
#define NPSEUDO 3

_Static_assert(NROUTES + NPSEUDO <= VC_SB_ROUTES, "raise VC_SB_ROUTES");

int vc_route_count(void)
{
    return (int)(NROUTES + NPSEUDO);
}

const char *vc_route_label(int i)
{
    if (i >= 0 && (size_t)i < NROUTES)
        return routes[i].name;
    if (i >= 0 && (size_t)i < NROUTES + NPSEUDO)
        return pseudo[i - NROUTES];
    return "unrouted";
}

/* Match path against pattern; on success store up to two {captures} into
 * req (pointing into req->capture_buf). */
static int match(const char *pattern, const char *path, struct vc_request *req, int capture)
{
    const char *p = pattern;
    const char *s = path;
    int ncap = 0;
    char *buf = NULL;

    if (capture) {
        buf = malloc(strlen(path) + 1);
        if (buf == NULL)
            return 0;
    }
    while (*p && *s) {
        if (*p == '{') {
            const char *pend = strchr(p, '}');
            size_t seg = strcspn(s, "/");
            if (pend == NULL || seg == 0 || ncap == 2)
                goto fail;
            if (capture) {
                char *dst = buf + (s - path);
                memcpy(dst, s, seg);
                dst[seg] = '\0';
                req->captures[ncap] = dst;
            }
            ncap++;
            p = pend + 1;
            s += seg;
            continue;
        }
        if (*p != *s)
            goto fail;
        p++;
        s++;
    }
    if (*p != '\0' || *s != '\0')
        goto fail;
    if (capture) {
        free(req->capture_buf);
        req->capture_buf = buf;
    }
    return 1;
fail:
    free(buf);
    return 0;
}

static int method_ok(const struct vc_route *r, const char *method)
{
    if (strcmp(r->method, method) == 0)
        return 1;
    return strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

/* The methods allowed on path, as an Allow header's value. */
static void allowed_methods(struct vc_request *req, char *allow, size_t len)
{
    allow[0] = '\0';
    for (size_t i = 0; i < NROUTES; i++) {
        if (!match(routes[i].pattern, req->path, req, 0))
            continue;
        if (allow[0])
            strncat(allow, ", ", len - strlen(allow) - 1);
        strncat(allow, routes[i].method, len - strlen(allow) - 1);
        if (strcmp(routes[i].method, "GET") == 0)
            strncat(allow, ", HEAD", len - strlen(allow) - 1);
    }
}

static void reply_405(struct vc_request *req, const char *allow)
{
    char headers[192];
    struct vc_error err;
    char *body;

    vc_error_set(&err, VC_ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s (allowed: %s)",
                 req->method, req->path, allow);
    snprintf(headers, sizeof(headers), "Allow: %s\r\n", allow);
    body = vc_error_json(&err);
    if (body == NULL) {
        vc_reply_error(req, &err);
        return;
    }
    vc_reply_bytes(req, 405, "application/json", headers, body, strlen(body));
    free(body);
}

enum vc_route_found vc_route_find(struct vc_request *req, const struct vc_route **route,
                                  char allow[VC_ALLOW_MAX])
{
    int path_known = 0;

    *route = NULL;
    allow[0] = '\0';
    for (size_t i = 0; i < NROUTES; i++) {
        const struct vc_route *r = &routes[i];
        if (!match(r->pattern, req->path, req, 0))
            continue;
        path_known = 1;
        if (!method_ok(r, req->method))
            continue;
        req->route = r->name;
        req->route_index = (int)i;
        *route = r;
        return match(r->pattern, req->path, req, 1) ? VC_ROUTE_FOUND : VC_ROUTE_NO_MEMORY;
    }
    if (path_known) {
        req->route = "method_not_allowed";
        req->route_index = (int)NROUTES + 1;
        allowed_methods(req, allow, VC_ALLOW_MAX);
        return VC_ROUTE_BAD_METHOD;
    }
    req->route = "not_found";
    req->route_index = (int)NROUTES;
    return VC_ROUTE_NOT_FOUND;
}

/* A browser's preflight from an allowed origin: what it may send. */
static void reply_preflight(struct vc_request *req, const char *allow)
{
    char headers[VC_ALLOW_MAX + 200];

    snprintf(headers, sizeof(headers),
             "Access-Control-Allow-Methods: %s\r\n"
             "Access-Control-Allow-Headers: Authorization, Content-Type, Accept\r\n"
             "Access-Control-Max-Age: 600\r\n", allow);
    vc_reply_headers(req, 204, headers);
}

void vc_route(struct vc_request *req)
{
    const struct vc_route *r;
    char allow[VC_ALLOW_MAX];
    struct vc_error err;

    vc_error_clear(&err);
    vc_access_cors(req);
    switch (vc_route_find(req, &r, allow)) {
    case VC_ROUTE_NOT_FOUND:
        vc_error_set(&err, VC_ERR_NOT_FOUND, NULL, "no such resource: %s", req->path);
        vc_reply_error(req, &err);
        return;
    case VC_ROUTE_BAD_METHOD:
        if (strcmp(req->method, "OPTIONS") == 0 && req->cors_origin != NULL)
            reply_preflight(req, allow);
        else
            reply_405(req, allow);
        return;
    case VC_ROUTE_NO_MEMORY:
        vc_error_set(&err, VC_ERR_INTERNAL, NULL, "out of memory");
        vc_reply_error(req, &err);
        return;
    case VC_ROUTE_FOUND:
        break;
    }
    if (vc_access_check(req, r->scope, &err) != VC_OK) {
        vc_reply_error(req, &err);
        return;
    }
    if (req->params_bad) {
        vc_error_set(&err, VC_ERR_INVALID_ARGUMENT, "query",
                     "the query string has too many or malformed parameters");
        vc_reply_error(req, &err);
        return;
    }
    if (r->handler(req, &err) != VC_OK || !req->replied) {
        if (err.code == VC_OK)
            vc_error_set(&err, VC_ERR_INTERNAL, NULL, "the handler gave no answer");
        /* Server-side failures are ours to look into: keep the why. */
        if (vc_error_http_status(err.code) >= 500)
            vc_request_log_str(req, "error", err.message);
        vc_reply_error(req, &err);
    }
}
