/* vc_base64.h - base64 decoding through libcrypto, for audio that arrives
 * inside JSON. */
#ifndef VC_BASE64_H
#define VC_BASE64_H

#include <stddef.h>

/* Decode len characters of in into a new buffer (caller frees) of *out_len
 * bytes. NULL when the input is not valid base64 or memory runs out. */
unsigned char *vc_base64_decode(const char *in, size_t len, size_t *out_len);

#endif
