/* vc_hash.c - sha256 hex digests through libcrypto's EVP interface. */
#include "vc_hash.h"

#include <openssl/evp.h>

/* The algorithm is fetched once, and one context is kept and re-used:
 * EVP_sha256() makes OpenSSL 3 look the algorithm up in its provider
 * tables on every digest, and a fresh context allocates twice - together
 * more than hashing a request. Never freed: they live as long as the
 * process (a fork copies them, which is safe: no thread holds them). */
static EVP_MD_CTX *context(void)
{
    static EVP_MD *md;
    static EVP_MD_CTX *ctx;

    if (md == NULL)
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (ctx == NULL)
        ctx = EVP_MD_CTX_new();
    if (md == NULL || ctx == NULL || EVP_DigestInit_ex2(ctx, md, NULL) != 1)
        return NULL;
    return ctx;
}

int vc_sha256_hex(const void *data, size_t len, char out[VC_SHA256_HEX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = context();

    out[0] = '\0';
    if (ctx == NULL || EVP_DigestUpdate(ctx, data, len) != 1
        || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
        return -1;
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}
