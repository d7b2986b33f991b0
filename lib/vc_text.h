/* vc_text.h - small text checks shared by request validation and logs. */
#ifndef VC_TEXT_H
#define VC_TEXT_H

#include <stddef.h>

/* Whether len bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF) with no NUL byte. */
int vc_utf8_valid(const char *s, size_t len);

/* Replace every byte of a malformed UTF-8 string with '?' where it is not
 * ASCII, in place, so it can be put in JSON. */
void vc_utf8_scrub(char *s);

#endif
