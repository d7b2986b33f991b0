/* vc_format.h - the audio formats: their names (which are also the file
 * extensions of content-addressed audio), Content-Types, and the Accept
 * header that asks for one. Pure. */
#ifndef VC_FORMAT_H
#define VC_FORMAT_H

enum vc_format {
#define X(id, name, type) id,
#include "vc_format.def"
#undef X
    VC_FORMAT_COUNT
};

/* "mp3" (static); "wav" for anything out of range. */
const char *vc_format_name(enum vc_format f);

/* "audio/mpeg" (static). */
const char *vc_format_type(enum vc_format f);

/* The format called name into *out: 0, or -1 when unknown. */
int vc_format_parse(const char *name, enum vc_format *out);

/* The first audio format an Accept header names (audio/mpeg, audio/ogg,
 * audio/opus, audio/aac, audio/flac, audio/wav, audio/pcm, audio/L16)
 * into *out: 0, or -1 when it names none. */
int vc_format_from_accept(const char *accept, enum vc_format *out);

/* "mp3, opus, aac, flac, wav or pcm" (static), for messages. */
const char *vc_format_list(void);

#endif
