/* vc_log.h - JSON-lines logging on stderr.
 *
 * One object per line: ts, level, pid, msg, the current request id when a
 * request is being served, then any extra fields. The macro tests the level
 * before anything is formatted, so a disabled debug line costs a compare. */
#ifndef VC_LOG_H
#define VC_LOG_H

#include <jansson.h>

#include "vc_error.h"

enum vc_log_level { VC_LOG_DEBUG, VC_LOG_INFO, VC_LOG_WARN, VC_LOG_ERROR };

extern enum vc_log_level vc_log_threshold;

/* Set the threshold from a name (debug|info|warn|error); returns -1 and
 * changes nothing for an unknown name. */
int vc_log_set_level(const char *name);

/* The request id put in every line until cleared with NULL. Copied. */
void vc_log_set_request_id(const char *id);

/* Write one line. fields (borrowed, may be NULL) is a JSON object whose
 * members are added to the line. */
void vc_log_write(enum vc_log_level level, json_t *fields, const char *fmt, ...)
    VC_PRINTF(3, 4);

/* One extra member of a line written by vc_log_fields: a string (str),
 * an integer (num), a number (real, written as jansson's reals are) or
 * true. */
enum vc_log_type { VC_LOG_STR, VC_LOG_INT, VC_LOG_REAL, VC_LOG_TRUE };
struct vc_log_field {
    const char *key;
    enum vc_log_type type;
    const char *str;
    long long num;
    double real;
};

/* Write one line with msg and the n members of f: the same line as
 * vc_log_write, without a jansson tree to build and free - the access log
 * writes one for every request. msg is the program's own text, written
 * as it is (not a format); a string field that is not UTF-8 is left out. */
void vc_log_fields(enum vc_log_level level, const struct vc_log_field *f, size_t n,
                   const char *msg);

#define vc_log(level, ...) do { \
        if ((level) >= vc_log_threshold) vc_log_write((level), NULL, __VA_ARGS__); \
    } while (0)

#define vc_logf(level, fields, ...) do { \
        if ((level) >= vc_log_threshold) vc_log_write((level), (fields), __VA_ARGS__); \
    } while (0)

#endif
