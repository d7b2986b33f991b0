/* router.h - the route table: path pattern and method to handler.
 *
 * Patterns are literal segments and {name} segments that capture one path
 * segment (into req->captures, in order). A path that matches a pattern
 * with another method is a 405 with an Allow header; no pattern, a 404.
 * Each route declares the scope a caller needs, so the access check
 * (access.h) happens here, in one place, before any handler runs. */
#ifndef VC_ROUTER_H
#define VC_ROUTER_H

#include "reply.h"

/* A handler validates, works through the library and answers with one
 * vc_reply_* call; or returns an error code with err filled and the router
 * answers with it. */
typedef enum vc_code (*vc_handler_fn)(struct vc_request *req, struct vc_error *err);

struct vc_route {
    const char *method;     /* "GET" also serves HEAD */
    const char *pattern;
    vc_handler_fn handler;
    unsigned scope;         /* what a caller needs: see access.h */
    const char *name;       /* for logs and metrics */
};

#define VC_ALLOW_MAX 128

enum vc_route_found {
    VC_ROUTE_FOUND,
    VC_ROUTE_NOT_FOUND,         /* no pattern matches the path: 404 */
    VC_ROUTE_BAD_METHOD,        /* a pattern matches, not the method: 405 */
    VC_ROUTE_NO_MEMORY
};

/* Find the route of req->method and req->path: *route (static) and
 * req->captures when found, the Allow value when the method is wrong.
 * Sets req->route and req->route_index for the logs and metrics. HEAD is
 * served by GET routes. */
enum vc_route_found vc_route_find(struct vc_request *req, const struct vc_route **route,
                                  char allow[VC_ALLOW_MAX]);

/* Route req to its handler and make sure it has been answered. */
void vc_route(struct vc_request *req);

/* Metrics labels: the number of route indexes (table entries plus the
 * pseudo-routes not_found, method_not_allowed and unrouted) and the label
 * of each. Several entries may share a label (GET and POST /tts). */
int vc_route_count(void);
const char *vc_route_label(int i);

#endif
