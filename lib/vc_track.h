/* vc_track.h - the words of the catalog: a track's statuses and the moves
 * allowed between them, the shape of a track id, and a track's default
 * title. Pure: the database, the HTTP layer and the CLI all ask here.
 *
 * Status moves only along PENDING -> PROCESSING -> COMPLETED | FAILED,
 * FAILED -> PENDING (a retry, counted and capped elsewhere) and
 * PROCESSING -> PENDING (a lease given back). */
#ifndef VC_TRACK_H
#define VC_TRACK_H

#include <stddef.h>

enum vc_status {
#define X(name, text) name,
#include "vc_track.def"
#undef X
    VC_STATUS_COUNT
};

/* A uuid in text: 36 characters, and the buffer that holds one. */
#define VC_UUID_LEN 36
#define VC_UUID_SIZE (VC_UUID_LEN + 1)

/* "PENDING" ... (static). Never NULL. */
const char *vc_status_name(enum vc_status s);

/* The status called name (exact, upper case) into *out: 0, or -1 when
 * name is NULL or no status. */
int vc_status_parse(const char *name, enum vc_status *out);

/* Whether a track may move from one status to another. */
int vc_status_allowed(enum vc_status from, enum vc_status to);

/* "PENDING, PROCESSING, COMPLETED or FAILED" (static), for messages. */
const char *vc_status_list(void);

/* Whether s has the 8-4-4-4-12 hex shape of a uuid. */
int vc_uuid_valid(const char *s);

/* A title for a track that was given none: the first line of text, cut to
 * fit len bytes (with its NUL) without splitting a UTF-8 sequence. */
void vc_track_default_title(const char *text, char *out, size_t len);

#endif
