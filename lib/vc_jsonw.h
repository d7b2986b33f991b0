/* vc_jsonw.h - a small JSON text writer for the paths every request takes
 * (the access-log line, the cache key): it appends to one buffer, on the
 * stack until a line outgrows it, with no tree to build and free. Strings
 * are escaped exactly as jansson's json_dumps escapes them (the cache key
 * must stay byte for byte what it was; tests/unit/test_jsonw.c compares
 * the two on every kind of character), and text that is not valid UTF-8
 * fails the writer, as it fails jansson. */
#ifndef VC_JSONW_H
#define VC_JSONW_H

#include <jansson.h>
#include <stddef.h>
#include <string.h>

#define VC_JSONW_INLINE 1024

struct vc_jsonw {
    char *buf;              /* inline_buf until it grows */
    size_t len, cap;
    int ascii;              /* escape every non-ASCII character (\uXXXX) */
    int failed;             /* out of memory or invalid UTF-8 */
    char inline_buf[VC_JSONW_INLINE];
};

/* ensure_ascii: as jansson's JSON_ENSURE_ASCII. */
void vc_jsonw_init(struct vc_jsonw *w, int ensure_ascii);
/* Make room for n more bytes and a NUL (the slow path of vc_jsonw_raw). */
int vc_jsonw_grow(struct vc_jsonw *w, size_t n);

/* n bytes as they are. Inline: a line is written in many small pieces. */
static inline void vc_jsonw_raw(struct vc_jsonw *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->cap && vc_jsonw_grow(w, n) != 0)
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* A string literal, as is. */
#define VC_JSONW_LIT(w, lit) vc_jsonw_raw((w), "" lit, sizeof(lit) - 1)
/* A JSON string of n bytes of UTF-8, quoted and escaped. */
void vc_jsonw_string(struct vc_jsonw *w, const char *s, size_t n);
void vc_jsonw_cstring(struct vc_jsonw *w, const char *s);
void vc_jsonw_int(struct vc_jsonw *w, long long v);
/* %.{precision}g, with ".0" when that reads as an integer (as jansson);
 * a value of at most two decimals (a rounded duration) is written without
 * printf, as the same text. */
void vc_jsonw_real(struct vc_jsonw *w, double v, int precision);
/* "key": with the separator before it unless it is the object's first. */
void vc_jsonw_key(struct vc_jsonw *w, const char *key, int first);
/* Any jansson value, compact, objects in their insertion order. */
void vc_jsonw_value(struct vc_jsonw *w, const json_t *v, int precision);
/* n bytes of JSON text written by another (PostgreSQL's json type, which
 * spaces its separators: {"id" : 1, "a" : 2}), copied without the
 * whitespace between its tokens, as json_dumps would print it. The text
 * is taken as valid JSON: only its strings are told apart, so that the
 * spaces inside them stay. */
void vc_jsonw_json(struct vc_jsonw *w, const char *s, size_t n);

/* The text so far (NUL-terminated; owned by w), or NULL when failed. */
const char *vc_jsonw_text(struct vc_jsonw *w, size_t *len);
void vc_jsonw_release(struct vc_jsonw *w);

#endif
