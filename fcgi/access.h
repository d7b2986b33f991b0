/* access.h - who may do what, decided in one place: the scope a route
 * declares in the route table against the bearer token the request
 * carries, under VOXCAT_AUTH (off, writes, all); and which browser origins
 * may call the API (VOXCAT_CORS_ORIGINS).
 *
 * Under "writes" every route that writes or may synthesise needs a token
 * with its scope and reads stay open; under "all" reads need "read" too;
 * the health probes are open always. A token arrives only as
 * "Authorization: Bearer <token>", never in a query string, and is never
 * logged or echoed. */
#ifndef VC_ACCESS_H
#define VC_ACCESS_H

#include "request.h"
#include "vc_auth.h"
#include "vc_error.h"

/* A route's requirement: a scope (enum vc_scope), or open to all. */
#define VC_ACCESS_OPEN 0u

/* Authenticate req (when it carries a token) and check that it may use a
 * route needing scope. 401 (no, unknown or revoked token), 403 naming the
 * missing scope, 503 when tokens cannot be checked. Fills req->token. */
enum vc_code vc_access_check(struct vc_request *req, unsigned scope,
                             struct vc_error *err) VC_MUST_CHECK;

/* The same for a further need found once the request is read (a paid
 * engine needs tts:remote). */
enum vc_code vc_access_require(struct vc_request *req, unsigned scope,
                               struct vc_error *err) VC_MUST_CHECK;

/* Whether the request's Origin may read answers (sets req->cors_origin). */
void vc_access_cors(struct vc_request *req);

#endif
