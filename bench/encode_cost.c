/* encode_cost.c - what each output format costs next to the synthesis it
 * encodes: the same texts, spoken once by the default engine, then encoded
 * in every format, in one run. Prints one line a format: format,
 * syntheses/s, encodes/s, and encode time as a fraction of synthesis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_encode.h"
#include "vc_engines.h"
#include "vc_time.h"
#include "vc_tts.h"
#include "vc_wav.h"

static const char *const texts[] = {
    "The library opens at nine on Sunday.",
    "Please leave your bags at the front desk before you go upstairs.",
    "Tomorrow will be cloudy in the morning with rain by the evening.",
    "The train to the coast leaves from platform four every hour.",
    "Thank you for calling; all of our staff are busy at the moment.",
};
#define NTEXTS (sizeof(texts) / sizeof(texts[0]))

static const char *get_text(void *ctx, const char *name)
{
    return strcmp(name, "text") == 0 ? ctx : NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    struct vc_config cfg;
    struct vc_error err;
    struct vc_pcm pcm[NTEXTS];
    double synth = 0;

    vc_error_clear(&err);
    if (vc_config_load(&cfg, stderr) != VC_OK || vc_engines_init(&cfg, &err) != VC_OK) {
        fprintf(stderr, "encode_cost: %s\n", err.message);
        return 1;
    }
    /* Synthesis, timed: the reference. Its PCM is what gets encoded. */
    for (size_t i = 0; i < NTEXTS; i++) {
        struct vc_tts_input in;
        struct vc_wav_info info;
        unsigned char *wav = NULL;
        size_t len = 0;
        double t0;

        if (vc_tts_input_from_query(&cfg, get_text, (void *)texts[i], &in, &err) != VC_OK)
            return 1;
        t0 = vc_time_mono_s();
        for (int r = 0; r < rounds; r++) {
            free(wav);
            if (vc_tts_render(&cfg, &in, &wav, &len, NULL, &err) != VC_OK)
                return 1;
        }
        synth += vc_time_mono_s() - t0;
        if (vc_wav_parse(wav, len, &info, &err) != VC_OK)
            return 1;
        vc_pcm_init(&pcm[i], VC_PCM_RATE);
        if (vc_pcm_append(&pcm[i], (const int16_t *)(wav + info.data_offset), info.data_bytes / 2,
                          &err) != VC_OK)
            return 1;
        free(wav);
        vc_tts_input_free(&in);
    }
    printf("%-6s %12s %12s %10s\n", "format", "synth/s", "encode/s", "cost");
    for (int f = 0; f < VC_FORMAT_COUNT; f++) {
        double t0 = vc_time_mono_s(), enc;
        for (int r = 0; r < rounds; r++) {
            for (size_t i = 0; i < NTEXTS; i++) {
                unsigned char *out = NULL;
                size_t len = 0;
                if (vc_encode_pcm(&cfg, (enum vc_format)f, &pcm[i], &out, &len, &err) != VC_OK)
                    return 1;
                free(out);
            }
        }
        enc = vc_time_mono_s() - t0;
        printf("%-6s %12.1f %12.1f %9.3fx\n", vc_format_name((enum vc_format)f),
               rounds * NTEXTS / synth, rounds * NTEXTS / enc, enc / synth);
    }
    for (size_t i = 0; i < NTEXTS; i++)
        vc_pcm_free(&pcm[i]);
    vc_engines_shutdown();
    vc_config_free(&cfg);
    return 0;
}
