/* reply.h - the only writers of responses.
 *
 * Handlers validate, call the library and answer through exactly one of
 * the vc_reply_* functions. Every error body is written by vc_reply_error,
 * from a struct vc_error, so the JSON shape lives in one place. */
#ifndef VC_REPLY_H
#define VC_REPLY_H

#include <jansson.h>
#include <stddef.h>

#include "request.h"
#include "vc_error.h"

/* Answer with a JSON body (borrowed) and status. extra_headers (may be NULL)
 * are complete "Name: value\r\n" lines. */
void vc_reply_json(struct vc_request *req, int status, json_t *body,
                   const char *extra_headers);

/* Answer with body (taken: freed here) and status; a NULL body (a failed
 * build) is err's code, or out of memory. Returns what the handler returns. */
enum vc_code vc_reply_json_owned(struct vc_request *req, int status, json_t *body,
                                 const char *extra_headers, struct vc_error *err);

/* Answer with the SPEC's error body for err. */
void vc_reply_error(struct vc_request *req, const struct vc_error *err);

/* Answer with raw bytes. */
void vc_reply_bytes(struct vc_request *req, int status, const char *content_type,
                    const char *extra_headers, const void *data, size_t len);

/* Answer with an empty body and headers only (e.g. X-Accel-Redirect). */
void vc_reply_headers(struct vc_request *req, int status, const char *headers);

/* Start an answer whose length is not known: status and headers now, the
 * body in vc_reply_chunk calls, each sent at once (nginx is told not to
 * buffer it; it goes out chunked). */
void vc_reply_start(struct vc_request *req, int status, const char *content_type,
                    const char *extra_headers);

/* Send a piece of a started answer: 0, or -1 when the client is gone. */
int vc_reply_chunk(struct vc_request *req, const void *data, size_t len);

#endif
