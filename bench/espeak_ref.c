/* espeak_ref.c - the reference for local synthesis in bench/run: the same
 * texts spoken by libespeak-ng in process, resampled to 24 kHz with libsoxr
 * and framed as WAV in memory, with no HTTP, database or cache. Prints the
 * syntheses per second over the run.
 *
 * usage: espeak_ref SECONDS WORD INDEX COUNT - the texts of process INDEX
 * of COUNT, as wrk_post.lua numbers them over its threads. */
#include <espeak-ng/speak_lib.h>
#include <soxr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int16_t *buf;
static size_t len, cap;

static int on_samples(short *wav, int n, espeak_EVENT *ev)
{
    (void)ev;
    if (wav == NULL || n <= 0)
        return 0;
    if (len + (size_t)n > cap) {
        size_t ncap = (len + (size_t)n) * 2;
        int16_t *g = realloc(buf, ncap * sizeof(*g));
        if (g == NULL)
            return 1;
        buf = g;
        cap = ncap;
    }
    memcpy(buf + len, wav, (size_t)n * sizeof(*wav));
    len += (size_t)n;
    return 0;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    const char *prefix = argc > 2 ? argv[2] : "alpha";
    long index = argc > 3 ? atol(argv[3]) : 0;
    long count = argc > 4 ? atol(argv[4]) : 1;
    int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT);
    soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    double start, end;
    long n = 0;

    if (rate <= 0 || espeak_SetVoiceByName("en-us+f2") != EE_OK)
        return 1;
    espeak_SetSynthCallback(on_samples);
    start = now();
    end = start + seconds;
    while (now() < end) {
        char text[256];
        size_t outcap, done = 0;
        unsigned char *wav;

        snprintf(text, sizeof(text), "%s number %ld: the quick brown fox jumps over the lazy dog",
                 prefix, n * count + index);
        len = 0;
        if (espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL)
            != EE_OK || espeak_Synchronize() != EE_OK)
            return 1;
        outcap = len * 24000 / (size_t)rate + 64;
        wav = malloc(44 + outcap * 2);
        if (wav == NULL)
            return 1;
        if (soxr_oneshot(rate, 24000, 1, buf, len, NULL, wav + 44, outcap, &done, &io, &q, NULL))
            return 1;
        free(wav);
        n++;
    }
    printf("%.2f\n", n / (now() - start));
    espeak_Terminate();
    free(buf);
    return 0;
}
