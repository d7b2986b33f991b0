/* vc_encode.h - PCM (s16le mono, 24 kHz) into the audio formats of
 * vc_format: MP3 (libmp3lame), Ogg Opus (libopusenc), AAC in ADTS
 * (vo-aacenc) and FLAC (libFLAC); WAV and raw PCM are written here.
 *
 * An encoder hands its output to a sink as soon as a frame or page is
 * made, so speech can go out while it is being made (a streamed FLAC's
 * header cannot say its length); vc_encode_pcm encodes a whole buffer,
 * with a complete header. Bitrates are settings (VOXCAT_MP3_BITRATE,
 * ...). */
#ifndef VC_ENCODE_H
#define VC_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "vc_config.h"
#include "vc_error.h"
#include "vc_format.h"
#include "vc_pcm.h"

struct vc_encoder;

/* Where encoded bytes go: 0, or -1 to stop (the client went away). */
typedef int (*vc_encode_sink)(void *ctx, const unsigned char *data, size_t len);

/* A new encoder of format at rate Hz writing to sink (new; free with
 * vc_encoder_free). A WAV stream starts with an open-ended header, as its
 * length is not known yet. */
enum vc_code vc_encoder_new(const struct vc_config *cfg, enum vc_format format, int rate,
                            vc_encode_sink sink, void *ctx, struct vc_encoder **out,
                            struct vc_error *err) VC_MUST_CHECK;

/* Encode n samples. VC_ERR_UNAVAILABLE when the sink stopped. */
enum vc_code vc_encoder_write(struct vc_encoder *e, const int16_t *samples, size_t n,
                              struct vc_error *err) VC_MUST_CHECK;

/* Flush the last frames and the container's trailer. */
enum vc_code vc_encoder_finish(struct vc_encoder *e, struct vc_error *err) VC_MUST_CHECK;

/* Free an encoder. Accepts NULL. */
void vc_encoder_free(struct vc_encoder *e);

/* The whole of pcm (at VC_PCM_RATE) as format: a new buffer the caller
 * frees, with its exact WAV header when format is WAV. */
enum vc_code vc_encode_pcm(const struct vc_config *cfg, enum vc_format format,
                           const struct vc_pcm *pcm, unsigned char **out, size_t *len,
                           struct vc_error *err) VC_MUST_CHECK;

#endif
