/* vc_base64.h - base64 through libcrypto: decoding audio that arrives
 * inside JSON, and the URL-safe form of opaque tokens such as search
 * cursors. */
#ifndef VC_BASE64_H
#define VC_BASE64_H

#include <stddef.h>

/* Decode len characters of in into a new buffer (caller frees) of *out_len
 * bytes. NULL when the input is not valid base64 or memory runs out. */
unsigned char *vc_base64_decode(const char *in, size_t len, size_t *out_len);

/* The URL-safe alphabet (RFC 4648 section 5) without padding: a new
 * NUL-terminated string (caller frees), or NULL when memory runs out. */
char *vc_base64url_encode(const unsigned char *in, size_t len);

/* Decode len characters of unpadded base64url into a new buffer (caller
 * frees) of *out_len bytes; NULL when the input is not valid. */
unsigned char *vc_base64url_decode(const char *in, size_t len, size_t *out_len);

#endif
