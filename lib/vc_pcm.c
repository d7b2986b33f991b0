/* vc_pcm.c - growable s16 mono PCM buffers, resampled with libsoxr. */
#include "vc_pcm.h"

#include <soxr.h>
#include <stdlib.h>
#include <string.h>

void vc_pcm_init(struct vc_pcm *pcm, int rate)
{
    pcm->samples = NULL;
    pcm->len = 0;
    pcm->cap = 0;
    pcm->rate = rate;
}

void vc_pcm_free(struct vc_pcm *pcm)
{
    if (pcm == NULL)
        return;
    free(pcm->samples);
    pcm->samples = NULL;
    pcm->len = pcm->cap = 0;
}

/* Make room for n more samples. */
static enum vc_code reserve(struct vc_pcm *pcm, size_t n, struct vc_error *err)
{
    size_t need, cap;
    int16_t *grown;

    if (n > SIZE_MAX / sizeof(int16_t) - pcm->len)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "audio too long");
    need = pcm->len + n;
    if (need <= pcm->cap)
        return VC_OK;
    cap = pcm->cap ? pcm->cap : 4096;
    while (cap < need)
        cap = cap > SIZE_MAX / 4 ? need : cap * 2;
    grown = realloc(pcm->samples, cap * sizeof(int16_t));
    if (grown == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    pcm->samples = grown;
    pcm->cap = cap;
    return VC_OK;
}

enum vc_code vc_pcm_append(struct vc_pcm *pcm, const int16_t *samples, size_t n,
                           struct vc_error *err)
{
    enum vc_code rc = reserve(pcm, n, err);

    if (rc != VC_OK)
        return rc;
    if (n > 0)
        memcpy(pcm->samples + pcm->len, samples, n * sizeof(int16_t));
    pcm->len += n;
    return VC_OK;
}

enum vc_code vc_pcm_append_silence(struct vc_pcm *pcm, unsigned ms, struct vc_error *err)
{
    size_t n = (size_t)pcm->rate * ms / 1000;
    enum vc_code rc = reserve(pcm, n, err);

    if (rc != VC_OK)
        return rc;
    memset(pcm->samples + pcm->len, 0, n * sizeof(int16_t));
    pcm->len += n;
    return VC_OK;
}

enum vc_code vc_pcm_append_s16le(struct vc_pcm *pcm, const unsigned char *bytes,
                                 size_t nbytes, struct vc_error *err)
{
    size_t n = nbytes / 2;
    enum vc_code rc;

    if (nbytes % 2 != 0)
        return vc_error_set(err, VC_ERR_UPSTREAM, "audio",
                            "PCM data has an odd number of bytes (%zu)", nbytes);
    rc = reserve(pcm, n, err);
    if (rc != VC_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        pcm->samples[pcm->len + i] = (int16_t)(uint16_t)(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    pcm->len += n;
    return VC_OK;
}

enum vc_code vc_pcm_resample(struct vc_pcm *pcm, int rate, struct vc_error *err)
{
    soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    size_t cap, done = 0;
    int16_t *out;
    soxr_error_t e;

    if (pcm->rate == rate || pcm->len == 0) {
        pcm->rate = rate;
        return VC_OK;
    }
    if (pcm->rate <= 0 || rate <= 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "bad sample rate");
    /* libsoxr dithers 16-bit output with a seed from the clock, so the same
     * text would give different bytes each time. A track's bytes should
     * follow from its text (the tests that listen to it rely on that), and
     * the engines' samples are 16-bit already: dither adds only noise. */
    io.flags |= SOXR_NO_DITHER;
    cap = (size_t)((double)pcm->len * rate / pcm->rate) + 64;
    out = malloc(cap * sizeof(int16_t));
    if (out == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    e = soxr_oneshot(pcm->rate, rate, 1, pcm->samples, pcm->len, NULL,
                     out, cap, &done, &io, &q, NULL);
    if (e != NULL) {
        free(out);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "resampling failed: %s", e);
    }
    free(pcm->samples);
    pcm->samples = out;
    pcm->len = done;
    pcm->cap = cap;
    pcm->rate = rate;
    return VC_OK;
}

double vc_pcm_duration(const struct vc_pcm *pcm)
{
    return pcm->rate > 0 ? (double)pcm->len / pcm->rate : 0.0;
}
