/* vc_base64.c - base64 decoding through libcrypto's EVP encoder. */
#include "vc_base64.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>

unsigned char *vc_base64_decode(const char *in, size_t len, size_t *out_len)
{
    EVP_ENCODE_CTX *ctx = NULL;
    unsigned char *out = NULL;
    int n = 0, tail = 0;

    if (len > INT_MAX / 2)
        return NULL;
    out = malloc(len / 4 * 3 + 4);
    ctx = EVP_ENCODE_CTX_new();
    if (out == NULL || ctx == NULL)
        goto fail;
    EVP_DecodeInit(ctx);
    if (EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)in, (int)len) < 0)
        goto fail;
    if (EVP_DecodeFinal(ctx, out + n, &tail) < 0)
        goto fail;
    /* A length that is not a whole number of quanta means a cut answer. */
    if (len % 4 != 0)
        goto fail;
    EVP_ENCODE_CTX_free(ctx);
    *out_len = (size_t)(n + tail);
    return out;
fail:
    EVP_ENCODE_CTX_free(ctx);
    free(out);
    return NULL;
}
