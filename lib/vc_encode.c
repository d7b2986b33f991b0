/* vc_encode.c - WAV and PCM by hand; MP3, Ogg Opus, AAC and FLAC each
 * through its own small library, whose output goes straight to the sink
 * (or into a seekable file in memory for vc_encode_pcm).
 *
 * Each compressed format is a row of `codecs`: open, write, finish and
 * close. The libraries were chosen over FFmpeg's for a worker's memory:
 * libavcodec and libavformat brought some 130 shared libraries into every
 * worker and 6 MB of their pages into one that had encoded. */
#include "vc_encode.h"

#include <FLAC/stream_encoder.h>
#include <lame/lame.h>
#include <opus/opusenc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vo-aacenc/cmnMemory.h>
#include <vo-aacenc/voAAC.h>

#include "vc_log.h"
#include "vc_wav.h"

/* libmp3lame wants room for 1.25 times the samples plus 7,200 bytes. */
#define MP3_CHUNK 4608
#define MP3_ROOM (MP3_CHUNK * 5 / 4 + 7200)
#define AAC_FRAME 1024                  /* samples in an AAC frame */
#define AAC_DELAY 1600                  /* samples the encoder holds back */
#define AAC_ROOM 2048                   /* 768 bytes of frame and its ADTS header fit */
#define FLAC_CHUNK 4096
#define OPUS_CHUNK (1 << 20)
/* A stream's audio goes out after at most this long (48 kHz samples):
 * libopusenc would hold two seconds to decide on and a second to page. */
#define OPUS_STREAM_DELAY 9600

/* A whole file in memory: written at pos, which FLAC moves back to
 * finish its header (the total length and the MD5 of the samples). */
struct membuf {
    unsigned char *data;
    size_t len, cap, pos;
};

struct codec;

struct vc_encoder {
    enum vc_format format;
    int rate;
    vc_encode_sink sink;
    void *ctx;
    int stopped;                /* the sink said stop */
    int nomem;                  /* the file in memory could not grow */
    struct membuf *mem;         /* instead of the sink: a seekable file */
    const struct codec *codec;  /* NULL for WAV and PCM */
    union {
        struct {
            lame_t lame;
            unsigned char room[MP3_ROOM];
        } mp3;
        struct {
            OggOpusEnc *enc;
            OggOpusComments *comments;
        } opus;
        struct {
            VO_AUDIO_CODECAPI api;
            VO_MEM_OPERATOR memops;     /* the library keeps a pointer to it */
            VO_HANDLE handle;
            int16_t pending[AAC_FRAME];
            size_t npending;
        } aac;
        struct {
            FLAC__StreamEncoder *enc;
        } flac;
    } u;
};

static int send(struct vc_encoder *e, const unsigned char *data, size_t len)
{
    if (e->stopped || len == 0)
        return e->stopped ? -1 : 0;
    if (e->sink(e->ctx, data, len) != 0)
        e->stopped = 1;
    return e->stopped ? -1 : 0;
}

static int mem_write(struct membuf *b, const unsigned char *data, size_t len)
{
    if (b->pos + len > b->cap) {
        size_t cap = (b->pos + len) * 2;
        unsigned char *g = realloc(b->data, cap);
        if (g == NULL)
            return -1;
        b->data = g;
        b->cap = cap;
    }
    memcpy(b->data + b->pos, data, len);
    b->pos += len;
    if (b->pos > b->len)
        b->len = b->pos;
    return 0;
}

/* Every codec's output: to the sink, or into the file. */
static int output(struct vc_encoder *e, const unsigned char *data, size_t len)
{
    if (len == 0)
        return e->stopped ? -1 : 0;
    if (e->mem == NULL)
        return send(e, data, len);
    if (mem_write(e->mem, data, len) != 0) {
        e->nomem = 1;
        return -1;
    }
    return 0;
}

/* The outcome of a library call that returned ok or not: a sink that
 * stopped is the client gone, whatever the library made of it. */
static enum vc_code outcome(struct vc_encoder *e, int ok, const char *what,
                            struct vc_error *err)
{
    if (e->stopped)
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the client went away");
    if (e->nomem)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    if (!ok) {
        vc_log(VC_LOG_ERROR, "encoder: %s %s failed", vc_format_name(e->format), what);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "the audio could not be encoded");
    }
    return VC_OK;
}

/* ---- MP3: libmp3lame, constant bitrate, raw frames. ---- */

static void lame_quiet(const char *format, va_list ap)
{
    (void)format;
    (void)ap;
}

static void lame_error(const char *format, va_list ap)
{
    char why[256];

    vsnprintf(why, sizeof(why), format, ap);
    why[strcspn(why, "\n")] = '\0';
    vc_log(VC_LOG_ERROR, "encoder: libmp3lame: %s", why);
}

static int mp3_open(struct vc_encoder *e, long bitrate)
{
    lame_t l = lame_init();

    if (l == NULL)
        return 0;
    e->u.mp3.lame = l;
    lame_set_errorf(l, lame_error);
    lame_set_debugf(l, lame_quiet);
    lame_set_msgf(l, lame_quiet);
    lame_set_num_channels(l, 1);
    lame_set_mode(l, MONO);
    lame_set_in_samplerate(l, e->rate);
    lame_set_out_samplerate(l, e->rate);
    lame_set_brate(l, (int)(bitrate / 1000));
    /* Speech, not music: 7 is fast and loses nothing a listener (or
     * pocketsphinx) hears. No Xing frame: the bitrate is constant. */
    lame_set_quality(l, 7);
    lame_set_bWriteVbrTag(l, 0);
    return lame_init_params(l) >= 0;
}

static int mp3_write(struct vc_encoder *e, const int16_t *s, size_t n)
{
    while (n > 0) {
        int take = n < MP3_CHUNK ? (int)n : MP3_CHUNK;
        int got = lame_encode_buffer(e->u.mp3.lame, s, s, take, e->u.mp3.room, MP3_ROOM);
        if (got < 0 || output(e, e->u.mp3.room, (size_t)got) != 0)
            return 0;
        s += take;
        n -= (size_t)take;
    }
    return 1;
}

static int mp3_finish(struct vc_encoder *e)
{
    int got = lame_encode_flush(e->u.mp3.lame, e->u.mp3.room, MP3_ROOM);

    return got >= 0 && output(e, e->u.mp3.room, (size_t)got) == 0;
}

static void mp3_close(struct vc_encoder *e)
{
    if (e->u.mp3.lame != NULL)
        lame_close(e->u.mp3.lame);
}

/* ---- Ogg Opus: libopusenc (libopus, and the Ogg pages). ---- */

static int opus_page(void *ctx, const unsigned char *data, opus_int32 len)
{
    return output(ctx, data, (size_t)len) == 0 ? 0 : 1;
}

static int opus_done(void *ctx)
{
    (void)ctx;
    return 0;
}

static int opus_open(struct vc_encoder *e, long bitrate)
{
    static const OpusEncCallbacks callbacks = { opus_page, opus_done };
    int ret = OPE_OK;

    e->u.opus.comments = ope_comments_create();
    if (e->u.opus.comments == NULL)
        return 0;
    e->u.opus.enc = ope_encoder_create_callbacks(&callbacks, e, e->u.opus.comments, e->rate, 1, 0,
                                                 &ret);
    if (e->u.opus.enc == NULL || ret != OPE_OK)
        return 0;
    /* Speech: the voice application at a middling complexity costs a
     * fraction of the default's time for what a listener hears. */
    if (ope_encoder_ctl(e->u.opus.enc, OPUS_SET_BITRATE((opus_int32)bitrate)) != OPE_OK
        || ope_encoder_ctl(e->u.opus.enc, OPUS_SET_COMPLEXITY(5)) != OPE_OK
        || ope_encoder_ctl(e->u.opus.enc, OPUS_SET_APPLICATION(OPUS_APPLICATION_VOIP)) != OPE_OK)
        return 0;
    if (e->mem != NULL)
        return 1;
    /* A stream: its headers now, its pages soon after their audio. */
    return ope_encoder_ctl(e->u.opus.enc, OPE_SET_DECISION_DELAY(OPUS_STREAM_DELAY)) == OPE_OK
        && ope_encoder_ctl(e->u.opus.enc, OPE_SET_MUXING_DELAY(OPUS_STREAM_DELAY)) == OPE_OK
        && ope_encoder_flush_header(e->u.opus.enc) == OPE_OK;
}

static int opus_write(struct vc_encoder *e, const int16_t *s, size_t n)
{
    /* Its count is an int: hours of audio would not fit at once. */
    while (n > 0) {
        int take = n < OPUS_CHUNK ? (int)n : OPUS_CHUNK;
        if (ope_encoder_write(e->u.opus.enc, s, take) != OPE_OK)
            return 0;
        s += take;
        n -= (size_t)take;
    }
    return 1;
}

static int opus_finish(struct vc_encoder *e)
{
    return ope_encoder_drain(e->u.opus.enc) == OPE_OK;
}

static void opus_close(struct vc_encoder *e)
{
    if (e->u.opus.enc != NULL)
        ope_encoder_destroy(e->u.opus.enc);
    if (e->u.opus.comments != NULL)
        ope_comments_destroy(e->u.opus.comments);
}

/* ---- AAC in ADTS: VisualOn's encoder, a frame of 1,024 samples at a
 * time (the last padded with silence). ---- */

static int aac_open(struct vc_encoder *e, long bitrate)
{
    VO_CODEC_INIT_USERDATA user = { .memflag = VO_IMF_USERMEMOPERATOR,
                                    .memData = &e->u.aac.memops };
    AACENC_PARAM param = { .sampleRate = e->rate, .bitRate = (int)bitrate, .nChannels = 1,
                           .adtsUsed = 1 };

    e->u.aac.memops = (VO_MEM_OPERATOR){ .Alloc = cmnMemAlloc, .Free = cmnMemFree,
                                         .Set = cmnMemSet, .Copy = cmnMemCopy,
                                         .Check = cmnMemCheck, .Compare = cmnMemCompare,
                                         .Move = cmnMemMove };
    if (voGetAACEncAPI(&e->u.aac.api) != VO_ERR_NONE
        || e->u.aac.api.Init(&e->u.aac.handle, VO_AUDIO_CodingAAC, &user) != VO_ERR_NONE)
        return 0;
    return e->u.aac.api.SetParam(e->u.aac.handle, VO_PID_AAC_ENCPARAM, &param) == VO_ERR_NONE;
}

static int aac_frame(struct vc_encoder *e)
{
    unsigned char room[AAC_ROOM];
    VO_CODECBUFFER in = { .Buffer = (VO_PBYTE)e->u.aac.pending,
                          .Length = sizeof(e->u.aac.pending) };
    VO_CODECBUFFER out = { .Buffer = room, .Length = sizeof(room) };
    VO_AUDIO_OUTPUTINFO info;

    e->u.aac.npending = 0;
    if (e->u.aac.api.SetInputData(e->u.aac.handle, &in) != VO_ERR_NONE
        || e->u.aac.api.GetOutputData(e->u.aac.handle, &out, &info) != VO_ERR_NONE)
        return 0;
    return output(e, room, out.Length) == 0;
}

static int aac_write(struct vc_encoder *e, const int16_t *s, size_t n)
{
    while (n > 0) {
        size_t take = AAC_FRAME - e->u.aac.npending;
        if (take > n)
            take = n;
        memcpy(e->u.aac.pending + e->u.aac.npending, s, take * sizeof(*s));
        e->u.aac.npending += take;
        s += take;
        n -= take;
        if (e->u.aac.npending == AAC_FRAME && !aac_frame(e))
            return 0;
    }
    return 1;
}

static int aac_finish(struct vc_encoder *e)
{
    /* The last samples padded to a frame, then silence until the
     * encoder's delay has passed them too. */
    size_t silence = 0;

    while (silence < AAC_DELAY) {
        silence += AAC_FRAME - e->u.aac.npending;
        memset(e->u.aac.pending + e->u.aac.npending, 0,
               (AAC_FRAME - e->u.aac.npending) * sizeof(int16_t));
        if (!aac_frame(e))
            return 0;
    }
    return 1;
}

static void aac_close(struct vc_encoder *e)
{
    if (e->u.aac.handle != NULL)
        e->u.aac.api.Uninit(e->u.aac.handle);
}

/* ---- FLAC: libFLAC's stream encoder; in memory it seeks back at the
 * end to write the total length and MD5 into its header. ---- */

static FLAC__StreamEncoderWriteStatus flac_out(const FLAC__StreamEncoder *enc,
                                               const FLAC__byte *data, size_t len,
                                               uint32_t samples, uint32_t frame, void *ctx)
{
    (void)enc;
    (void)samples;
    (void)frame;
    return output(ctx, data, len) == 0 ? FLAC__STREAM_ENCODER_WRITE_STATUS_OK
                                       : FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
}

static FLAC__StreamEncoderSeekStatus flac_seek(const FLAC__StreamEncoder *enc, FLAC__uint64 to,
                                               void *ctx)
{
    struct membuf *b = ((struct vc_encoder *)ctx)->mem;

    (void)enc;
    if (to > b->len)
        return FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR;
    b->pos = (size_t)to;
    return FLAC__STREAM_ENCODER_SEEK_STATUS_OK;
}

static FLAC__StreamEncoderTellStatus flac_tell(const FLAC__StreamEncoder *enc, FLAC__uint64 *at,
                                               void *ctx)
{
    (void)enc;
    *at = ((struct vc_encoder *)ctx)->mem->pos;
    return FLAC__STREAM_ENCODER_TELL_STATUS_OK;
}

static int flac_open(struct vc_encoder *e, long bitrate)
{
    FLAC__StreamEncoder *f = FLAC__stream_encoder_new();

    (void)bitrate;                      /* lossless */
    if (f == NULL)
        return 0;
    e->u.flac.enc = f;
    if (!FLAC__stream_encoder_set_channels(f, 1) || !FLAC__stream_encoder_set_bits_per_sample(f, 16)
        || !FLAC__stream_encoder_set_sample_rate(f, (uint32_t)e->rate)
        || !FLAC__stream_encoder_set_compression_level(f, 5))
        return 0;
    return FLAC__stream_encoder_init_stream(f, flac_out, e->mem != NULL ? flac_seek : NULL,
                                            e->mem != NULL ? flac_tell : NULL, NULL, e)
        == FLAC__STREAM_ENCODER_INIT_STATUS_OK;
}

static int flac_write(struct vc_encoder *e, const int16_t *s, size_t n)
{
    FLAC__int32 wide[FLAC_CHUNK];

    while (n > 0) {
        size_t take = n < FLAC_CHUNK ? n : FLAC_CHUNK;
        for (size_t i = 0; i < take; i++)
            wide[i] = s[i];
        if (!FLAC__stream_encoder_process_interleaved(e->u.flac.enc, wide, (uint32_t)take))
            return 0;
        s += take;
        n -= take;
    }
    return 1;
}

static int flac_finish(struct vc_encoder *e)
{
    return FLAC__stream_encoder_finish(e->u.flac.enc);
}

static void flac_close(struct vc_encoder *e)
{
    if (e->u.flac.enc != NULL)
        FLAC__stream_encoder_delete(e->u.flac.enc);
}

/* How each compressed format is made. Each call returns nonzero when it
 * went well; the bitrate is a setting (0 for lossless FLAC). */
static const struct codec {
    enum vc_format format;
    int (*open)(struct vc_encoder *e, long bitrate);
    int (*write)(struct vc_encoder *e, const int16_t *samples, size_t n);
    int (*finish)(struct vc_encoder *e);
    void (*close)(struct vc_encoder *e);
} codecs[] = {
    { VC_FORMAT_MP3, mp3_open, mp3_write, mp3_finish, mp3_close },
    { VC_FORMAT_OPUS, opus_open, opus_write, opus_finish, opus_close },
    { VC_FORMAT_AAC, aac_open, aac_write, aac_finish, aac_close },
    { VC_FORMAT_FLAC, flac_open, flac_write, flac_finish, flac_close },
};

static long bitrate(const struct vc_config *cfg, enum vc_format f)
{
    switch (f) {
    case VC_FORMAT_MP3: return cfg->mp3_bitrate;
    case VC_FORMAT_OPUS: return cfg->opus_bitrate;
    case VC_FORMAT_AAC: return cfg->aac_bitrate;
    case VC_FORMAT_FLAC:
    case VC_FORMAT_WAV:
    case VC_FORMAT_PCM:
    case VC_FORMAT_COUNT:
        break;
    }
    return 0;
}

/* An encoder writing to sink, or to the seekable file mem when set. */
static enum vc_code encoder_open(const struct vc_config *cfg, enum vc_format format, int rate,
                                 vc_encode_sink sink, void *ctx, struct membuf *mem,
                                 struct vc_encoder **out, struct vc_error *err)
{
    struct vc_encoder *e = calloc(1, sizeof(*e));
    enum vc_code rc = VC_OK;

    *out = NULL;
    if (e == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    e->format = format;
    e->rate = rate;
    e->sink = sink;
    e->ctx = ctx;
    e->mem = mem;
    if (format == VC_FORMAT_WAV) {
        unsigned char head[VC_WAV_HEADER_SIZE];
        /* The length is not known yet: the largest the fields can say. */
        vc_wav_header(head, UINT32_MAX - 36, rate, 1, 16);
        if (send(e, head, sizeof(head)) != 0)
            rc = vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the client went away");
    } else if (format != VC_FORMAT_PCM) {
        for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
            if (codecs[i].format == format)
                e->codec = &codecs[i];
        if (e->codec == NULL)
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "format", "this build cannot encode %s",
                              vc_format_name(format));
        else
            rc = outcome(e, e->codec->open(e, bitrate(cfg, format)), "set-up", err);
    }
    if (rc != VC_OK) {
        vc_encoder_free(e);
        return rc;
    }
    *out = e;
    return VC_OK;
}

enum vc_code vc_encoder_new(const struct vc_config *cfg, enum vc_format format, int rate,
                            vc_encode_sink sink, void *ctx, struct vc_encoder **out,
                            struct vc_error *err)
{
    return encoder_open(cfg, format, rate, sink, ctx, NULL, out, err);
}

enum vc_code vc_encoder_write(struct vc_encoder *e, const int16_t *samples, size_t n,
                              struct vc_error *err)
{
    if (e->codec == NULL) {
        /* WAV and PCM: s16le on the machines voxcat runs on, the samples
         * as they are. */
        if (send(e, (const unsigned char *)samples, n * sizeof(*samples)) != 0)
            return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the client went away");
        return VC_OK;
    }
    return outcome(e, e->codec->write(e, samples, n), "encoding", err);
}

enum vc_code vc_encoder_finish(struct vc_encoder *e, struct vc_error *err)
{
    if (e->codec == NULL)
        return VC_OK;
    return outcome(e, e->codec->finish(e), "finish", err);
}

void vc_encoder_free(struct vc_encoder *e)
{
    if (e == NULL)
        return;
    if (e->codec != NULL)
        e->codec->close(e);
    free(e);
}

enum vc_code vc_encode_pcm(const struct vc_config *cfg, enum vc_format format,
                           const struct vc_pcm *pcm, unsigned char **out, size_t *len,
                           struct vc_error *err)
{
    struct membuf b = { NULL, 0, 0, 0 };
    struct vc_encoder *e = NULL;
    enum vc_code rc;

    *out = NULL;
    *len = 0;
    if (format == VC_FORMAT_WAV)
        return vc_wav_encode(pcm, out, len, err);
    if (format == VC_FORMAT_PCM) {
        b.data = malloc(pcm->len * sizeof(int16_t) + 1);
        if (b.data == NULL)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        memcpy(b.data, pcm->samples, pcm->len * sizeof(int16_t));
        *out = b.data;
        *len = pcm->len * sizeof(int16_t);
        return VC_OK;
    }
    rc = encoder_open(cfg, format, pcm->rate, NULL, NULL, &b, &e, err);
    if (rc == VC_OK)
        rc = vc_encoder_write(e, pcm->samples, pcm->len, err);
    if (rc == VC_OK)
        rc = vc_encoder_finish(e, err);
    vc_encoder_free(e);
    if (rc == VC_OK && b.len == 0)
        rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "the encoder made no audio");
    if (rc != VC_OK) {
        free(b.data);
        return rc;
    }
    *out = b.data;
    *len = b.len;
    return VC_OK;
}
