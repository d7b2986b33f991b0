/* vc_encode.c - WAV and PCM by hand, the rest through libavcodec and
 * libavformat with a custom write callback. */
#include "vc_encode.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <stdlib.h>
#include <string.h>

#include "vc_log.h"
#include "vc_wav.h"

#define IO_BUFFER 4096

/* A whole file in memory: written at pos, which a muxer may move back to
 * finish its header (FLAC's total length, MP3's Xing frame). */
struct membuf {
    unsigned char *data;
    size_t len, cap, pos;
};

struct vc_encoder {
    enum vc_format format;
    int rate;
    vc_encode_sink sink;
    void *ctx;
    int stopped;                /* the sink said stop */
    /* FFmpeg's side, for the compressed formats. */
    AVFormatContext *fmt;
    AVCodecContext *codec;
    AVStream *st;
    AVFrame *frame;
    AVPacket *pkt;
    int16_t *pending;           /* samples waiting for a whole frame */
    size_t npending, frame_size;
    int64_t pts;
    int header_written;
    struct membuf *mem;         /* instead of the sink: a seekable file */
};

/* How each compressed format is made: FFmpeg's muxer and encoder names,
 * and its bitrate setting (0: the codec's own, for lossless FLAC). */
static const struct {
    enum vc_format format;
    const char *muxer, *codec;
} recipes[] = {
    { VC_FORMAT_MP3, "mp3", "libmp3lame" },
    { VC_FORMAT_OPUS, "ogg", "libopus" },
    { VC_FORMAT_AAC, "adts", "aac" },
    { VC_FORMAT_FLAC, "flac", "flac" },
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

/* libavformat's output: straight to the sink, or into the file. */
static int write_packet(void *opaque, uint8_t *buf, int size)
{
    struct vc_encoder *e = opaque;

    if (e->mem != NULL)
        return mem_write(e->mem, buf, (size_t)size) == 0 ? size : AVERROR(ENOMEM);
    return send(e, buf, (size_t)size) == 0 ? size : AVERROR(EPIPE);
}

static int64_t seek_packet(void *opaque, int64_t offset, int whence)
{
    struct membuf *b = ((struct vc_encoder *)opaque)->mem;

    if (whence == AVSEEK_SIZE)
        return (int64_t)b->len;
    whence &= ~AVSEEK_FORCE;
    if (whence == SEEK_CUR)
        offset += (int64_t)b->pos;
    else if (whence == SEEK_END)
        offset += (int64_t)b->len;
    else if (whence != SEEK_SET)
        return AVERROR(EINVAL);
    if (offset < 0 || (size_t)offset > b->len)
        return AVERROR(EINVAL);
    b->pos = (size_t)offset;
    return offset;
}

static enum vc_code av_fail(const char *what, int ret, struct vc_error *err)
{
    char why[AV_ERROR_MAX_STRING_SIZE];

    av_strerror(ret, why, sizeof(why));
    vc_log(ret == AVERROR(EPIPE) ? VC_LOG_INFO : VC_LOG_ERROR, "encoder: %s: %s", what, why);
    return vc_error_set(err, ret == AVERROR(EPIPE) ? VC_ERR_UNAVAILABLE : VC_ERR_INTERNAL, NULL,
                        ret == AVERROR(EPIPE) ? "the client went away" : "the audio could not be encoded");
}

static enum vc_code open_av(const struct vc_config *cfg, struct vc_encoder *e,
                            struct vc_error *err)
{
    const AVOutputFormat *ofmt = NULL;
    const AVCodec *codec = NULL;
    const enum AVSampleFormat *sf;
    unsigned char *buf;
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    int ret;

    for (size_t i = 0; i < sizeof(recipes) / sizeof(recipes[0]); i++) {
        if (recipes[i].format == e->format) {
            ofmt = av_guess_format(recipes[i].muxer, NULL, NULL);
            codec = avcodec_find_encoder_by_name(recipes[i].codec);
        }
    }
    if (ofmt == NULL || codec == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "format",
                            "this build cannot encode %s", vc_format_name(e->format));
    ret = avformat_alloc_output_context2(&e->fmt, ofmt, NULL, NULL);
    if (ret < 0)
        return av_fail("output", ret, err);
    e->codec = avcodec_alloc_context3(codec);
    e->frame = av_frame_alloc();
    e->pkt = av_packet_alloc();
    e->st = avformat_new_stream(e->fmt, NULL);
    buf = av_malloc(IO_BUFFER);
    if (e->codec == NULL || e->frame == NULL || e->pkt == NULL || e->st == NULL || buf == NULL) {
        av_free(buf);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    e->fmt->pb = avio_alloc_context(buf, IO_BUFFER, 1, e, NULL, write_packet,
                                    e->mem != NULL ? seek_packet : NULL);
    if (e->fmt->pb == NULL) {
        av_free(buf);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    e->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;

    /* Mono is the same in planar and packed layouts: take the first of
     * the four sample formats we can fill that the encoder accepts. */
    e->codec->sample_fmt = AV_SAMPLE_FMT_NONE;
    for (sf = codec->sample_fmts; sf != NULL && *sf != AV_SAMPLE_FMT_NONE; sf++) {
        if (*sf == AV_SAMPLE_FMT_S16 || *sf == AV_SAMPLE_FMT_S16P || *sf == AV_SAMPLE_FMT_FLT
            || *sf == AV_SAMPLE_FMT_FLTP) {
            e->codec->sample_fmt = *sf;
            break;
        }
    }
    if (e->codec->sample_fmt == AV_SAMPLE_FMT_NONE)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "no usable sample format for %s",
                            codec->name);
    e->codec->sample_rate = e->rate;
    ret = av_channel_layout_copy(&e->codec->ch_layout, &mono);
    if (ret < 0)
        return av_fail("channel layout", ret, err);
    e->codec->time_base = (AVRational){ 1, e->rate };
    if (bitrate(cfg, e->format) > 0)
        e->codec->bit_rate = bitrate(cfg, e->format);
    if (e->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        e->codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    /* Speech, not music: the encoders' faster settings lose nothing a
     * listener (or pocketsphinx) hears, and cost a fraction of the time. */
    if (e->format == VC_FORMAT_OPUS) {
        e->codec->compression_level = 5;
        av_opt_set(e->codec->priv_data, "application", "voip", 0);
    } else if (e->format == VC_FORMAT_MP3) {
        e->codec->compression_level = 7;
    } else if (e->format == VC_FORMAT_AAC) {
        av_opt_set(e->codec->priv_data, "aac_coder", "fast", 0);
    }
    ret = avcodec_open2(e->codec, codec, NULL);
    if (ret < 0)
        return av_fail("codec", ret, err);
    ret = avcodec_parameters_from_context(e->st->codecpar, e->codec);
    if (ret < 0)
        return av_fail("stream", ret, err);
    e->st->time_base = e->codec->time_base;
    e->frame_size = e->codec->frame_size > 0 ? (size_t)e->codec->frame_size : 1024;
    e->pending = malloc(e->frame_size * sizeof(*e->pending));
    if (e->pending == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    ret = avformat_write_header(e->fmt, NULL);
    if (ret < 0)
        return av_fail("header", ret, err);
    e->header_written = 1;
    avio_flush(e->fmt->pb);
    return VC_OK;
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
    av_log_set_level(AV_LOG_ERROR);
    if (format == VC_FORMAT_WAV) {
        unsigned char head[VC_WAV_HEADER_SIZE];
        /* The length is not known yet: the largest the fields can say. */
        vc_wav_header(head, UINT32_MAX - 36, rate, 1, 16);
        if (send(e, head, sizeof(head)) != 0)
            rc = vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the client went away");
    } else if (format != VC_FORMAT_PCM) {
        rc = open_av(cfg, e, err);
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

/* Encode a frame (NULL flushes) and mux what comes out. */
static enum vc_code encode(struct vc_encoder *e, AVFrame *frame, struct vc_error *err)
{
    int ret = avcodec_send_frame(e->codec, frame);

    if (ret < 0)
        return av_fail("encode", ret, err);
    for (;;) {
        ret = avcodec_receive_packet(e->codec, e->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            break;
        if (ret < 0)
            return av_fail("encode", ret, err);
        av_packet_rescale_ts(e->pkt, e->codec->time_base, e->st->time_base);
        e->pkt->stream_index = e->st->index;
        ret = av_write_frame(e->fmt, e->pkt);
        av_packet_unref(e->pkt);
        if (ret < 0)
            return av_fail("mux", ret, err);
    }
    /* Out now, not when the buffer fills: this is what streams. */
    avio_flush(e->fmt->pb);
    return e->stopped ? vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the client went away") : VC_OK;
}

/* Encode the pending samples (padded with silence to a whole frame when
 * the codec takes no short frame) as one frame. */
static enum vc_code encode_pending(struct vc_encoder *e, struct vc_error *err)
{
    size_t n = e->npending;
    int ret;

    if (n < e->frame_size && !(e->codec->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME)
        && !(e->codec->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE)) {
        memset(e->pending + n, 0, (e->frame_size - n) * sizeof(*e->pending));
        n = e->frame_size;
    }
    e->frame->nb_samples = (int)n;
    e->frame->format = e->codec->sample_fmt;
    e->frame->sample_rate = e->rate;
    ret = av_channel_layout_copy(&e->frame->ch_layout, &e->codec->ch_layout);
    if (ret >= 0)
        ret = av_frame_get_buffer(e->frame, 0);
    if (ret >= 0)
        ret = av_frame_make_writable(e->frame);
    if (ret < 0)
        return av_fail("frame", ret, err);
    if (e->codec->sample_fmt == AV_SAMPLE_FMT_S16 || e->codec->sample_fmt == AV_SAMPLE_FMT_S16P) {
        memcpy(e->frame->data[0], e->pending, n * sizeof(int16_t));
    } else {
        float *f = (float *)e->frame->data[0];
        for (size_t i = 0; i < n; i++)
            f[i] = e->pending[i] / 32768.0f;
    }
    e->frame->pts = e->pts;
    e->pts += (int64_t)n;
    e->npending = 0;
    {
        enum vc_code rc = encode(e, e->frame, err);
        av_frame_unref(e->frame);
        return rc;
    }
}

enum vc_code vc_encoder_write(struct vc_encoder *e, const int16_t *samples, size_t n,
                              struct vc_error *err)
{
    if (e->format == VC_FORMAT_WAV || e->format == VC_FORMAT_PCM) {
        /* s16le on the machines voxcat runs on: the samples as they are. */
        if (send(e, (const unsigned char *)samples, n * sizeof(*samples)) != 0)
            return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the client went away");
        return VC_OK;
    }
    while (n > 0) {
        size_t take = e->frame_size - e->npending;
        if (take > n)
            take = n;
        memcpy(e->pending + e->npending, samples, take * sizeof(*samples));
        e->npending += take;
        samples += take;
        n -= take;
        if (e->npending == e->frame_size) {
            enum vc_code rc = encode_pending(e, err);
            if (rc != VC_OK)
                return rc;
        }
    }
    return VC_OK;
}

enum vc_code vc_encoder_finish(struct vc_encoder *e, struct vc_error *err)
{
    enum vc_code rc = VC_OK;
    int ret;

    if (e->fmt == NULL)
        return VC_OK;
    if (e->npending > 0)
        rc = encode_pending(e, err);
    if (rc == VC_OK)
        rc = encode(e, NULL, err);
    if (rc != VC_OK)
        return rc;
    ret = av_write_trailer(e->fmt);
    e->header_written = 0;
    if (ret < 0)
        return av_fail("trailer", ret, err);
    avio_flush(e->fmt->pb);
    return e->stopped ? vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the client went away") : VC_OK;
}

void vc_encoder_free(struct vc_encoder *e)
{
    if (e == NULL)
        return;
    if (e->fmt != NULL) {
        if (e->fmt->pb != NULL) {
            av_freep(&e->fmt->pb->buffer);
            avio_context_free(&e->fmt->pb);
        }
        avformat_free_context(e->fmt);
    }
    avcodec_free_context(&e->codec);
    av_frame_free(&e->frame);
    av_packet_free(&e->pkt);
    free(e->pending);
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
