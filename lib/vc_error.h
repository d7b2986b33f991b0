/* vc_error.h - error codes and the error value passed up to the one place
 * that reports it.
 *
 * Every failure in libvoxcat is a vc_code from vc_error.def. A function that
 * can fail fills a caller-owned struct vc_error (code, offending field, human
 * message) and returns the code; the FastCGI reply module and the CLI turn it
 * into a JSON body or a message. Messages never carry SQL text or secrets. */
#ifndef VC_ERROR_H
#define VC_ERROR_H

#include <stddef.h>

#define VC_MUST_CHECK __attribute__((warn_unused_result))
#define VC_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum vc_code {
#define X(name, json, http) name,
#include "vc_error.def"
#undef X
};

#define VC_ERR_FIELD_MAX 64
#define VC_ERR_MSG_MAX 256

struct vc_error {
    enum vc_code code;
    char field[VC_ERR_FIELD_MAX];   /* "" when no single field is to blame */
    char message[VC_ERR_MSG_MAX];
    int retry_after;                /* seconds, for quota_exceeded; 0 = none */
};

/* Stable name of a code, e.g. "invalid_argument". Never NULL. */
const char *vc_strerror(enum vc_code code);

/* HTTP status a code maps to. */
int vc_error_http_status(enum vc_code code);

/* Reset err to VC_OK with empty field and message. err may be NULL. */
void vc_error_clear(struct vc_error *err);

/* Fill err (may be NULL) and return code, so callers can write
 * `return vc_error_set(err, VC_ERR_..., "field", "fmt", ...);`.
 * field may be NULL. */
enum vc_code vc_error_set(struct vc_error *err, enum vc_code code,
                          const char *field, const char *fmt, ...)
    VC_PRINTF(4, 5);

/* The SPEC's JSON body {"error":{"code","message","field"}} for err, as a
 * new NUL-terminated string the caller frees, or NULL when out of memory. */
char *vc_error_json(const struct vc_error *err);

#endif
