/* test_encode.c - every output format from the same PCM: its container's
 * magic bytes, a stream that arrives in pieces, and a sink that stops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vc_encode.h"

static struct vc_config cfg;

struct count {
    size_t calls, bytes, stop_after;
};

static int counting(void *ctx, const unsigned char *data, size_t len)
{
    struct count *c = ctx;

    (void)data;
    c->calls++;
    c->bytes += len;
    return c->stop_after && c->calls >= c->stop_after ? -1 : 0;
}

/* The ADTS frames in an AAC stream (each says its own length). */
static size_t adts_frames(const unsigned char *b, size_t len)
{
    size_t n = 0, at = 0;

    while (at + 7 <= len && b[at] == 0xff && (b[at + 1] & 0xf0) == 0xf0) {
        size_t flen = ((size_t)(b[at + 3] & 3) << 11) | ((size_t)b[at + 4] << 3) | (b[at + 5] >> 5);
        if (flen < 7)
            break;
        at += flen;
        n++;
    }
    return at == len ? n : 0;
}

int main(void)
{
    static const struct {
        enum vc_format f;
        const char *magic;
        size_t n;
    } magic[] = {
        { VC_FORMAT_WAV, "RIFF", 4 },
        { VC_FORMAT_MP3, "\xff\xf3", 2 },   /* MPEG-2 layer III frames (24 kHz), no tag */
        { VC_FORMAT_OPUS, "OggS", 4 },
        { VC_FORMAT_AAC, "\xff", 1 },       /* ADTS sync */
        { VC_FORMAT_FLAC, "fLaC", 4 },
    };
    FILE *devnull = fopen("/dev/null", "w");
    struct vc_pcm pcm;
    struct vc_error err;

    if (vc_config_load(&cfg, devnull) != VC_OK) {
        puts("Bail out! the default configuration does not load");
        return 1;
    }
    fclose(devnull);
    vc_pcm_init(&pcm, VC_PCM_RATE);
    pcm.samples = malloc(24000 * sizeof(int16_t));
    pcm.len = pcm.cap = 24000;          /* one second of 440 Hz */
    for (size_t i = 0; i < pcm.len; i++)
        pcm.samples[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i / 24000.0));

    for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++) {
        unsigned char *out = NULL;
        size_t len = 0;
        enum vc_code rc;

        vc_error_clear(&err);
        rc = vc_encode_pcm(&cfg, magic[i].f, &pcm, &out, &len, &err);
        ok(rc == VC_OK && len > 100 && memcmp(out, magic[i].magic, magic[i].n) == 0,
           "%s: %zu bytes starting with its container's magic (%s)", vc_format_name(magic[i].f),
           len, err.message);
        if (magic[i].f == VC_FORMAT_MP3)
            ok(len > 64000 / 8 * 0.8 && len < 64000 / 8 * 1.5, "mp3 at ~64 kbit/s: %zu bytes a second", len);

        free(out);
    }
    {
        /* 23,000 samples: 472 in the last frame, more than a frame of
         * silence after them leaves inside the encoder's delay. */
        struct vc_pcm part = pcm;
        unsigned char *out = NULL;
        size_t len = 0, frames;

        part.len = 23000;
        frames = vc_encode_pcm(&cfg, VC_FORMAT_AAC, &part, &out, &len, &err) == VC_OK
                 ? adts_frames(out, len) : 0;
        ok(frames * 1024 >= part.len + 1600,
           "aac: %zu frames hold every sample past the encoder's delay of 1,600", frames);
        free(out);
    }
    {
        unsigned char *out = NULL;
        size_t len = 0;
        ok(vc_encode_pcm(&cfg, VC_FORMAT_PCM, &pcm, &out, &len, &err) == VC_OK
           && len == pcm.len * 2 && memcmp(out, pcm.samples, len) == 0, "pcm is the samples as they are");
        free(out);
    }
    {
        struct count c = { 0, 0, 0 };
        struct vc_encoder *e = NULL;
        int good = vc_encoder_new(&cfg, VC_FORMAT_MP3, VC_PCM_RATE, counting, &c, &e, &err) == VC_OK;
        for (size_t at = 0; good && at < pcm.len; at += 2400)
            good = vc_encoder_write(e, pcm.samples + at, 2400, &err) == VC_OK;
        ok(good && c.calls >= 5, "an mp3 stream reaches the sink in pieces while it is written (%zu)",
           c.calls);
        ok(vc_encoder_finish(e, &err) == VC_OK && c.bytes > 0, "and finishes");
        vc_encoder_free(e);
    }
    {
        /* Opus holds audio back to decide and to page: a stream's first
         * second must be out before it ends, past the two header pages. */
        struct count c = { 0, 0, 0 };
        struct vc_encoder *e = NULL;
        int good = vc_encoder_new(&cfg, VC_FORMAT_OPUS, VC_PCM_RATE, counting, &c, &e, &err) == VC_OK;
        for (size_t at = 0; good && at < pcm.len; at += 2400)
            good = vc_encoder_write(e, pcm.samples + at, 2400, &err) == VC_OK;
        ok(good && c.calls > 2, "an opus stream's audio reaches the sink before it ends (%zu pages)",
           c.calls);
        vc_encoder_free(e);
    }
    {
        /* The sink stops at the first piece after the header, so the
         * write is what stops. */
        static const enum vc_format stops[] = { VC_FORMAT_OPUS, VC_FORMAT_AAC, VC_FORMAT_FLAC,
                                                VC_FORMAT_MP3 };
        for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
            struct count c = { 0, 0, 0 };
            struct vc_encoder *e = NULL;
            enum vc_code rc = vc_encoder_new(&cfg, stops[i], VC_PCM_RATE, counting, &c, &e, &err);
            int opened = rc == VC_OK;
            c.stop_after = c.calls + 1;
            for (size_t at = 0; rc == VC_OK && at < pcm.len; at += 2400)
                rc = vc_encoder_write(e, pcm.samples + at, 2400, &err);
            if (rc == VC_OK)
                rc = vc_encoder_finish(e, &err);
            ok(opened && rc == VC_ERR_UNAVAILABLE, "%s: a sink that stops stops the encoder",
               vc_format_name(stops[i]));
            vc_encoder_free(e);
        }
    }
    {
        enum vc_format f;
        ok(vc_format_from_accept("text/html, audio/mpeg;q=0.9", &f) == 0 && f == VC_FORMAT_MP3,
           "Accept: audio/mpeg is mp3");
        ok(vc_format_from_accept("audio/opus", &f) == 0 && f == VC_FORMAT_OPUS, "audio/opus is opus");
        ok(vc_format_from_accept("application/json", &f) != 0, "JSON is no audio format");
        ok(vc_format_parse("flac", &f) == 0 && f == VC_FORMAT_FLAC && vc_format_parse("ogg", &f) != 0,
           "names parse");
    }
    vc_pcm_free(&pcm);
    vc_config_free(&cfg);
    return done_testing();
}
