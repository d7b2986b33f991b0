/* vc_hash.h - sha256 digests as lowercase hex, via OpenSSL's libcrypto.
 *
 * Used for migration checksums, cache keys and API token hashes. */
#ifndef VC_HASH_H
#define VC_HASH_H

#include <stddef.h>

#define VC_SHA256_HEX 65    /* 64 hex digits + NUL */

/* Hex sha256 of len bytes at data into out. Returns 0, or -1 when libcrypto
 * fails (out is then ""). */
int vc_sha256_hex(const void *data, size_t len, char out[VC_SHA256_HEX]);

#endif
