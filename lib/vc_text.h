/* vc_text.h - small text checks shared by request validation and logs. */
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

#endif
