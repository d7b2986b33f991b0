/* fuzz_tts_input.c - libFuzzer: a POST /tts body through parsing,
 * validation, normalisation and the cache key. */
#include <stdint.h>
#include <stdio.h>

#include "vc_tts_input.h"

static struct vc_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *quiet = fopen("/dev/null", "w");

    (void)argc;
    (void)argv;
    return vc_config_load(&cfg, quiet) == VC_OK ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vc_tts_input in;
    struct vc_error err;
    char key[VC_SHA256_HEX];

    vc_error_clear(&err);
    if (vc_tts_input_from_json(&cfg, (const char *)data, size, &in, &err) == VC_OK) {
        vc_tts_cache_key(&in, key);
        vc_tts_input_free(&in);
    }
    return 0;
}
