/* vc_hash.c - sha256 hex digests through libcrypto's EVP interface. */
#include "vc_hash.h"

#include <openssl/evp.h>

/* Fetched once per process: EVP_sha256() makes OpenSSL 3 look the
 * algorithm up in its provider tables on every digest, which cost more
 * than hashing a request. Never freed: it lives as long as the process. */
static EVP_MD *sha256(void)
{
    static EVP_MD *md;

    if (md == NULL)
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
    return md;
}

int vc_sha256_hex(const void *data, size_t len, char out[VC_SHA256_HEX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD *alg = sha256();

    out[0] = '\0';
    if (alg == NULL || EVP_Digest(data, len, md, &mdlen, alg, NULL) != 1 || mdlen != 32)
        return -1;
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}
