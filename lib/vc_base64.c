/* vc_base64.c - base64 and base64url through libcrypto's EVP encoder. */
#include "vc_base64.h"

#include <ctype.h>
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

char *vc_base64url_encode(const unsigned char *in, size_t len)
{
    char *out;
    int n;

    if (len > INT_MAX / 2)
        return NULL;
    out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (int i = 0; i < n; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return out;
}

unsigned char *vc_base64url_decode(const char *in, size_t len, size_t *out_len)
{
    size_t padded = (len + 3) / 4 * 4;
    unsigned char *out;
    char *std;

    /* One character past a quantum carries fewer than 8 bits. */
    if (len % 4 == 1 || len > INT_MAX / 2)
        return NULL;
    std = malloc(padded + 1);
    if (std == NULL)
        return NULL;
    for (size_t i = 0; i < padded; i++) {
        char c = i < len ? in[i] : '=';
        /* Anything outside this alphabet (the decoder would skip a blank)
         * becomes a character the decoder refuses. */
        if (i < len && !(isalnum((unsigned char)c) || c == '-' || c == '_'))
            c = '!';
        std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    out = vc_base64_decode(std, padded, out_len);
    free(std);
    return out;
}
