/* test_router.c - the route table: matching, captures, 404, 405 with
 * Allow, HEAD; and the query-string parser. */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "request.h"
#include "router.h"
#include "tap.h"

static enum vc_route_found find(const char *method, const char *path, struct vc_request *req,
                                const struct vc_route **r, char allow[VC_ALLOW_MAX])
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = strdup(path);
    return vc_route_find(req, r, allow);
}

static void done(struct vc_request *req)
{
    free(req->path);
    free(req->capture_buf);
}

static void test_routes(void)
{
    static const char id[] = "0f8fad5b-d9cb-469f-a165-70867728950e";
    char path[128], allow[VC_ALLOW_MAX];
    const struct vc_route *r;
    struct vc_request req;

    ok(find("GET", "/status", &req, &r, allow) == VC_ROUTE_FOUND && strcmp(r->name, "status") == 0
       && r->scope == VC_SCOPE_READ, "GET /status (a read)");
    done(&req);
    ok(find("HEAD", "/status", &req, &r, allow) == VC_ROUTE_FOUND && strcmp(r->name, "status") == 0,
       "HEAD is served by the GET route");
    done(&req);
    ok(find("HEAD", "/tts", &req, &r, allow) == VC_ROUTE_FOUND && strcmp(r->method, "GET") == 0,
       "HEAD /tts is GET /tts, not POST");
    done(&req);
    snprintf(path, sizeof(path), "/status/%s", id);
    ok(find("PUT", path, &req, &r, allow) == VC_ROUTE_FOUND && r->scope == VC_SCOPE_CATALOG_WRITE
       && strcmp(req.captures[0], id) == 0, "PUT /status/{id} needs catalog:write, captures the id");
    done(&req);
    ok(find("GET", "/status/live", &req, &r, allow) == VC_ROUTE_FOUND
       && strcmp(r->name, "status_live") == 0 && r->scope == VC_ACCESS_OPEN,
       "a literal route wins over {id}; the probes are open");
    done(&req);
    ok(find("GET", "/status/ready", &req, &r, allow) == VC_ROUTE_FOUND && r->scope == VC_ACCESS_OPEN,
       "/status/ready is open");
    done(&req);
    snprintf(path, sizeof(path), "/tts/audio/%064d.wav", 0);
    ok(find("GET", path, &req, &r, allow) == VC_ROUTE_FOUND && strcmp(r->name, "tts_audio") == 0
       && strlen(req.captures[0]) == 68, "/tts/audio/{key} captures the file name");
    done(&req);
    ok(find("POST", "/tts", &req, &r, allow) == VC_ROUTE_FOUND && r->scope == VC_SCOPE_TTS,
       "POST /tts needs tts");
    done(&req);
    ok(find("GET", "/tts", &req, &r, allow) == VC_ROUTE_FOUND && r->scope == VC_SCOPE_TTS,
       "GET /tts may synthesise: it needs tts too");
    done(&req);

    ok(find("GET", "/nowhere", &req, &r, allow) == VC_ROUTE_NOT_FOUND && r == NULL
       && strcmp(req.route, "not_found") == 0, "an unknown path is a 404");
    done(&req);
    ok(find("GET", "/status/", &req, &r, allow) == VC_ROUTE_NOT_FOUND, "an empty capture is a 404");
    done(&req);
    ok(find("GET", "/status/a/b", &req, &r, allow) == VC_ROUTE_NOT_FOUND,
       "a capture is one segment");
    done(&req);
    ok(find("GET", "/statusx", &req, &r, allow) == VC_ROUTE_NOT_FOUND, "no prefix matches");
    done(&req);
    ok(find("DELETE", "/tts", &req, &r, allow) == VC_ROUTE_BAD_METHOD
       && strcmp(req.route, "method_not_allowed") == 0, "a known path with another method is a 405");
    ok(strcmp(allow, "POST, GET, HEAD") == 0, "Allow lists the path's methods (got \"%s\")", allow);
    done(&req);
    ok(find("POST", "/search", &req, &r, allow) == VC_ROUTE_BAD_METHOD
       && strcmp(allow, "GET, HEAD") == 0, "POST /search: Allow: GET, HEAD");
    done(&req);
    ok(vc_route_count() > 3 && strcmp(vc_route_label(vc_route_count() - 1), "unrouted") == 0,
       "the metrics labels end with the pseudo-routes");
}

static void test_query(void)
{
    struct vc_param p[4];
    size_t n = 0;
    int rc;

    rc = vc_query_parse("text=Hello+world%21&voice=Kore&&flag&empty=", p, 4, &n);
    ok(rc == 0 && n == 4, "four pairs (an empty one skipped)");
    ok(strcmp(p[0].name, "text") == 0 && strcmp(p[0].value, "Hello world!") == 0,
       "'+' is a space and %%21 decodes");
    ok(strcmp(p[2].name, "flag") == 0 && strcmp(p[2].value, "") == 0, "a name without '='");
    ok(strcmp(p[3].name, "empty") == 0 && p[3].value[0] == '\0', "an empty value");
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    rc = vc_query_parse("a=1&b=%00&c=3", p, 4, &n);
    ok(rc != 0 && n == 1, "an encoded NUL fails, after what parsed");
    free(p[0].name);
    free(p[0].value);
    rc = vc_query_parse("a&b&c&d&e", p, 4, &n);
    ok(rc != 0 && n == 4, "more pairs than room fails");
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    ok(vc_query_parse("", p, 4, &n) == 0 && n == 0, "an empty query");
    ok(vc_query_parse("%zz=%4", p, 4, &n) == 0 && n == 1 && strcmp(p[0].name, "%zz") == 0,
       "bad escapes are kept as they are");
    free(p[0].name);
    free(p[0].value);
}

int main(void)
{
    test_routes();
    test_query();
    return done_testing();
}
