/* flite_ref.c - the reference for Flite synthesis in bench/run: the same
 * texts as voxcat's uncached POST /tts spoken by libflite's slt voice in
 * process, resampled to 24 kHz with libsoxr into memory, with no HTTP,
 * database or cache. Prints the syntheses per second over the run.
 *
 * usage: flite_ref SECONDS WORD INDEX COUNT - the texts of process INDEX
 * of COUNT, as wrk_post.lua numbers them over its threads. */
#include <flite/flite.h>
#include <soxr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

cst_voice *register_cmu_us_slt(const char *voxdir);

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
    soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    cst_voice *voice;
    double start, end;
    long n = 0;

    flite_init();
    voice = register_cmu_us_slt(NULL);
    if (voice == NULL)
        return 1;
    start = now();
    end = start + seconds;
    while (now() < end) {
        char text[256];
        size_t outcap, done = 0;
        int16_t *out;
        cst_wave *w;

        /* The words wrk_post.lua sends, so both sides speak the same. */
        snprintf(text, sizeof(text), "%s number %ld: the quick brown fox jumps over the lazy dog",
                 prefix, n * count + index);
        w = flite_text_to_wave(text, voice);
        if (w == NULL)
            return 1;
        outcap = (size_t)w->num_samples * 24000 / (size_t)w->sample_rate + 64;
        out = malloc(44 + outcap * 2);
        if (out == NULL || soxr_oneshot(w->sample_rate, 24000, 1, w->samples, (size_t)w->num_samples,
                                        NULL, out + 22, outcap, &done, &io, &q, NULL))
            return 1;
        free(out);
        delete_wave(w);
        n++;
    }
    printf("%.2f\n", n / (now() - start));
    return 0;
}
