/* vc_text.h - small text checks shared by request validation and logs,
 * and the string building of the per-request paths. */
#ifndef VC_TEXT_H
#define VC_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* One UTF-8 sequence at s (n bytes available, n > 0) into *cp: its length,
 * or 0 when it is malformed (truncated, overlong, a surrogate, above
 * U+10FFFF), the rules jansson applies. */
size_t vc_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* Whether len bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF) with no NUL byte. */
int vc_utf8_valid(const char *s, size_t len);

/* Replace every byte of a malformed UTF-8 string with '?' where it is not
 * ASCII, in place, so it can be put in JSON. */
void vc_utf8_scrub(char *s);

/* The strings of the NULL-ended list, one after another, into buf (size
 * bytes, NUL-terminated when size > 0): their length, or -1 when they did
 * not fit (buf holds what did, cut on a byte). What snprintf with only
 * "%s" does, without parsing a format: a cache hit built a dozen such
 * strings, and the formats cost more than the copies. */
int vc_strjoin(char *buf, size_t size, ...) __attribute__((sentinel));

/* v in decimal into buf (at least 21 bytes), NUL-terminated: its length. */
size_t vc_utoa(unsigned long long v, char *buf);

#endif
