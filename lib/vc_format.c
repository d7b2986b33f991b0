/* vc_format.c - the audio format table. */
#include "vc_format.h"

#include <string.h>
#include <strings.h>

static const struct {
    const char *name, *type;
} formats[VC_FORMAT_COUNT] = {
#define X(id, name, type) { name, type },
#include "vc_format.def"
#undef X
};

const char *vc_format_name(enum vc_format f)
{
    return (unsigned)f < VC_FORMAT_COUNT ? formats[f].name : formats[VC_FORMAT_WAV].name;
}

const char *vc_format_type(enum vc_format f)
{
    return (unsigned)f < VC_FORMAT_COUNT ? formats[f].type : formats[VC_FORMAT_WAV].type;
}

int vc_format_parse(const char *name, enum vc_format *out)
{
    for (int i = 0; name != NULL && i < VC_FORMAT_COUNT; i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *out = (enum vc_format)i;
            return 0;
        }
    }
    return -1;
}

int vc_format_from_accept(const char *accept, enum vc_format *out)
{
    /* Media types beyond the table's own that clients send for a format. */
    static const struct {
        const char *type;
        enum vc_format f;
    } aliases[] = {
        { "audio/mp3", VC_FORMAT_MP3 }, { "audio/opus", VC_FORMAT_OPUS },
        { "audio/x-wav", VC_FORMAT_WAV }, { "audio/wave", VC_FORMAT_WAV },
        { "audio/l16", VC_FORMAT_PCM }, { "audio/x-flac", VC_FORMAT_FLAC },
    };
    const char *p = accept;

    while (p != NULL && *p) {
        size_t n;

        p += strspn(p, " ,");
        n = strcspn(p, ",; ");
        for (int i = 0; i < VC_FORMAT_COUNT; i++) {
            if (strlen(formats[i].type) == n && strncasecmp(p, formats[i].type, n) == 0) {
                *out = (enum vc_format)i;
                return 0;
            }
        }
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
            if (strlen(aliases[i].type) == n && strncasecmp(p, aliases[i].type, n) == 0) {
                *out = aliases[i].f;
                return 0;
            }
        }
        p = strchr(p, ',');
    }
    return -1;
}

const char *vc_format_list(void)
{
    return "mp3, opus, aac, flac, wav or pcm";
}
