/* vc_wav.c - RIFF/WAVE PCM headers. */
#include "vc_wav.h"

#include <stdlib.h>
#include <string.h>

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void vc_wav_header(unsigned char out[VC_WAV_HEADER_SIZE], uint32_t data_bytes,
                   int rate, int channels, int bits)
{
    uint16_t block = (uint16_t)(channels * bits / 8);

    memcpy(out, "RIFF", 4);
    put32(out + 4, 36 + data_bytes);
    memcpy(out + 8, "WAVEfmt ", 8);
    put32(out + 16, 16);
    put16(out + 20, 1);                 /* PCM */
    put16(out + 22, (uint16_t)channels);
    put32(out + 24, (uint32_t)rate);
    put32(out + 28, (uint32_t)rate * block);
    put16(out + 32, block);
    put16(out + 34, (uint16_t)bits);
    memcpy(out + 36, "data", 4);
    put32(out + 40, data_bytes);
}

enum vc_code vc_wav_encode(const struct vc_pcm *pcm, unsigned char **out, size_t *out_len,
                           struct vc_error *err)
{
    size_t data = pcm->len * 2;
    unsigned char *buf;

    if (data > UINT32_MAX - 36)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "audio too long for a WAV file");
    buf = malloc(VC_WAV_HEADER_SIZE + data);
    if (buf == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_wav_header(buf, (uint32_t)data, pcm->rate, 1, 16);
    for (size_t i = 0; i < pcm->len; i++)
        put16(buf + VC_WAV_HEADER_SIZE + 2 * i, (uint16_t)pcm->samples[i]);
    *out = buf;
    *out_len = VC_WAV_HEADER_SIZE + data;
    return VC_OK;
}

enum vc_code vc_wav_parse(const unsigned char *buf, size_t len, struct vc_wav_info *info,
                          struct vc_error *err)
{
    size_t pos = 12, riff_end;
    int have_fmt = 0;
    uint16_t block = 0;

    memset(info, 0, sizeof(*info));
    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio", "not a RIFF/WAVE file");
    riff_end = (size_t)get32(buf + 4) + 8;
    if (riff_end > len)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio",
                            "RIFF size %zu is past the end of the %zu bytes", riff_end, len);
    while (pos + 8 <= riff_end) {
        const unsigned char *chunk = buf + pos;
        size_t size = get32(chunk + 4);

        if (size > riff_end - pos - 8)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio",
                                "chunk '%.4s' of %zu bytes runs past the end", chunk, size);
        if (memcmp(chunk, "fmt ", 4) == 0) {
            if (size < 16)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio", "fmt chunk too short");
            if (get16(chunk + 8) != 1)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio", "not PCM (format %u)",
                                    get16(chunk + 8));
            info->channels = get16(chunk + 10);
            info->rate = (int)get32(chunk + 12);
            block = get16(chunk + 20);
            info->bits = get16(chunk + 22);
            if (info->channels == 0 || info->rate == 0)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio", "zero channels or rate");
            if (info->bits != 8 && info->bits != 16 && info->bits != 24 && info->bits != 32)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio",
                                    "unsupported sample size %d", info->bits);
            if (block != info->channels * info->bits / 8)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio",
                                    "block alignment %u does not match %d x %d bits",
                                    block, info->channels, info->bits);
            have_fmt = 1;
        } else if (memcmp(chunk, "data", 4) == 0) {
            if (!have_fmt)
                return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio", "data before fmt");
            info->data_offset = pos + 8;
            info->data_bytes = size;
            info->duration = (double)size / block / info->rate;
            return VC_OK;
        }
        pos += 8 + size + (size & 1);   /* chunks are padded to even sizes */
    }
    return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "audio", "no data chunk");
}
