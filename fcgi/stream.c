/* stream.c - chunked audio and server-sent events. */
#include "stream.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

static void start(struct vc_stream *s)
{
    if (s->started)
        return;
    s->started = 1;
    vc_reply_start(s->req, 200, s->sse ? "text/event-stream" : s->content_type, s->extra);
}

/* One "speech.audio.delta" event with len bytes as base64. */
static int send_event(struct vc_stream *s, const unsigned char *data, size_t len)
{
    static const char head[] = "data: {\"type\":\"speech.audio.delta\",\"audio\":\"";
    static const char tail[] = "\"}\n\n";
    size_t b64 = 4 * ((len + 2) / 3);
    char *buf = malloc(sizeof(head) + b64 + sizeof(tail));
    size_t n = sizeof(head) - 1;
    int rc;

    if (buf == NULL)
        return -1;
    memcpy(buf, head, n);
    n += (size_t)EVP_EncodeBlock((unsigned char *)buf + n, data, (int)len);
    memcpy(buf + n, tail, sizeof(tail) - 1);
    n += sizeof(tail) - 1;
    rc = vc_reply_chunk(s->req, buf, n);
    free(buf);
    return rc;
}

int vc_stream_sink(void *ctx, const unsigned char *data, size_t len)
{
    struct vc_stream *s = ctx;

    start(s);
    s->audio_bytes += len;
    return s->sse ? send_event(s, data, len) : vc_reply_chunk(s->req, data, len);
}

void vc_stream_done(struct vc_stream *s, long input_chars)
{
    char done[160];

    if (!s->sse)
        return;
    start(s);
    snprintf(done, sizeof(done),
             "data: {\"type\":\"speech.audio.done\",\"usage\":{\"input_tokens\":%ld,"
             "\"output_tokens\":0,\"total_tokens\":%ld}}\n\n", input_chars, input_chars);
    vc_reply_chunk(s->req, done, strlen(done));
}
