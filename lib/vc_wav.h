/* vc_wav.h - RIFF/WAVE PCM headers: writing the canonical 44-byte header
 * and parsing (and distrusting) the headers of files we are handed.
 *
 * The service's audio is PCM s16le, 24000 Hz, mono (seed 004). A parsed
 * header must agree with the bytes that follow: sizes past the end of the
 * buffer, a missing fmt chunk or a block alignment that does not match are
 * refused rather than believed. */
#ifndef VC_WAV_H
#define VC_WAV_H

#include <stddef.h>
#include <stdint.h>

#include "vc_error.h"
#include "vc_pcm.h"

#define VC_WAV_HEADER_SIZE 44

struct vc_wav_info {
    int rate;
    int channels;
    int bits;
    size_t data_offset;
    size_t data_bytes;
    double duration;        /* seconds */
};

/* Write the canonical header for data_bytes of PCM into out. */
void vc_wav_header(unsigned char out[VC_WAV_HEADER_SIZE], uint32_t data_bytes,
                   int rate, int channels, int bits);

/* Header + little-endian samples of pcm as a new buffer (caller frees). */
enum vc_code vc_wav_encode(const struct vc_pcm *pcm, unsigned char **out, size_t *out_len,
                           struct vc_error *err) VC_MUST_CHECK;

/* Parse a WAV buffer: VC_ERR_INVALID_ARGUMENT (field "audio") when it is
 * truncated, lies about its sizes, or is not PCM. */
enum vc_code vc_wav_parse(const unsigned char *buf, size_t len, struct vc_wav_info *info,
                          struct vc_error *err) VC_MUST_CHECK;

#endif
