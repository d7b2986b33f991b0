/* vc_track.c - track statuses, transitions, ids and default titles. */
#include "vc_track.h"

#include <ctype.h>
#include <string.h>

static const char *const names[VC_STATUS_COUNT] = {
#define X(name, text) text,
#include "vc_track.def"
#undef X
};

const char *vc_status_name(enum vc_status s)
{
    return (unsigned)s < VC_STATUS_COUNT ? names[s] : "UNKNOWN";
}

int vc_status_parse(const char *name, enum vc_status *out)
{
    for (int i = 0; name != NULL && i < VC_STATUS_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum vc_status)i;
            return 0;
        }
    }
    return -1;
}

int vc_status_allowed(enum vc_status from, enum vc_status to)
{
    /* allowed[from][to] */
    static const unsigned char allowed[VC_STATUS_COUNT][VC_STATUS_COUNT] = {
        [VC_STATUS_PENDING] = { [VC_STATUS_PROCESSING] = 1 },
        [VC_STATUS_PROCESSING] = { [VC_STATUS_COMPLETED] = 1, [VC_STATUS_FAILED] = 1,
                                   [VC_STATUS_PENDING] = 1 },
        [VC_STATUS_FAILED] = { [VC_STATUS_PENDING] = 1 },
    };

    if ((unsigned)from >= VC_STATUS_COUNT || (unsigned)to >= VC_STATUS_COUNT)
        return 0;
    return allowed[from][to];
}

const char *vc_status_list(void)
{
    return "PENDING, PROCESSING, COMPLETED or FAILED";
}

int vc_uuid_valid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (s == NULL || strlen(s) != VC_UUID_LEN)
        return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

void vc_track_default_title(const char *text, char *out, size_t len)
{
    size_t n = strcspn(text, "\n");

    if (len == 0)
        return;
    if (n >= len)
        n = len - 1;
    /* Do not cut a UTF-8 sequence in two. */
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, text, n);
    out[n] = '\0';
}
