/* vc_pcm.h - in-memory PCM audio: a growable buffer of signed 16-bit mono
 * samples at a stated rate, resampling (libsoxr) and joining with silence.
 *
 * Engines produce a struct vc_pcm; the speech path resamples it to the
 * service rate (24000 Hz) and wraps it in a WAV header (vc_wav). */
#ifndef VC_PCM_H
#define VC_PCM_H

#include <stddef.h>
#include <stdint.h>

#include "vc_error.h"

#define VC_PCM_RATE 24000   /* the service's output rate (seed 004) */

struct vc_pcm {
    int16_t *samples;       /* owned; NULL when empty */
    size_t len;             /* samples in use */
    size_t cap;             /* samples allocated */
    int rate;               /* Hz */
};

/* Initialise an empty buffer at rate. Never fails. */
void vc_pcm_init(struct vc_pcm *pcm, int rate);

/* Free the samples (pcm itself is the caller's). Accepts NULL. */
void vc_pcm_free(struct vc_pcm *pcm);

/* Append n samples (copied). Fails only when out of memory. */
enum vc_code vc_pcm_append(struct vc_pcm *pcm, const int16_t *samples,
                           size_t n, struct vc_error *err) VC_MUST_CHECK;

/* Append ms milliseconds of silence. */
enum vc_code vc_pcm_append_silence(struct vc_pcm *pcm, unsigned ms,
                                   struct vc_error *err) VC_MUST_CHECK;

/* Append little-endian s16 bytes (as remote engines send them); an odd
 * trailing byte is an error. */
enum vc_code vc_pcm_append_s16le(struct vc_pcm *pcm, const unsigned char *bytes,
                                 size_t nbytes, struct vc_error *err) VC_MUST_CHECK;

/* Resample pcm in place to rate (a no-op when already there), with libsoxr's
 * high quality preset and no dither: the same input gives the same samples.
 * On failure pcm is unchanged. */
enum vc_code vc_pcm_resample(struct vc_pcm *pcm, int rate,
                             struct vc_error *err) VC_MUST_CHECK;

/* Duration in seconds. */
double vc_pcm_duration(const struct vc_pcm *pcm);

#endif
