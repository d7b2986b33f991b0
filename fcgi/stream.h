/* stream.h - speech sent while it is made: the sink that turns encoded
 * audio into a chunked answer (raw audio, or OpenAI's server-sent events
 * carrying base64 audio), writing the headers with the first bytes so an
 * error found before any audio is still a normal JSON error. */
#ifndef VC_STREAM_H
#define VC_STREAM_H

#include <stddef.h>

#include "request.h"

struct vc_stream {
    struct vc_request *req;         /* borrowed */
    const char *content_type;       /* of the audio */
    char extra[256];                /* more headers for the start */
    int sse;                        /* events, not raw audio */
    int started;
    size_t audio_bytes;
};

/* A vc_encode_sink over a struct vc_stream. */
int vc_stream_sink(void *ctx, const unsigned char *data, size_t len);

/* End an SSE stream with its "done" event (usage counts the characters
 * asked); nothing for raw audio. */
void vc_stream_done(struct vc_stream *s, long input_chars);

#endif
