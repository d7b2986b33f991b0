/* fuzz_wav.c - libFuzzer: bytes through the WAV header parser. */
#include <stdint.h>

#include "vc_wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vc_wav_info info;

    vc_wav_parse(data, size, &info, NULL);
    return 0;
}
