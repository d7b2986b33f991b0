/* vc_catalog.h - the audio catalog in PostgreSQL: tracks by id, status
 * transitions (bulk import and export are vc_jsonl).
 *
 * A track's public JSON is the database's vc_track_json_text(), the one
 * shape /search, /status and /tts share (vc_track_json() is it as
 * jsonb). Every write adds an audit_log row in the same transaction
 * (vc_audit). Status moves only as vc_track allows; anything else is a
 * conflict that changes nothing. */
#ifndef VC_CATALOG_H
#define VC_CATALOG_H

#include <jansson.h>

#include "vc_audit.h"
#include "vc_db.h"
#include "vc_error.h"
#include "vc_jsonw.h"
#include "vc_track.h"

/* Add "next" to a track's JSON: the statuses it may move to, so clients
 * (the admin page) offer exactly the moves vc_track allows. */
void vc_catalog_add_next(json_t *track);
/* The same "next" as JSON text, for a track's status (a search page
 * writes its tracks as text: see vc_search.c). */
void vc_catalog_write_next(struct vc_jsonw *w, const char *status);

/* The public JSON of track id (new reference), with "next": the statuses
 * it may move to; or NULL with err (VC_ERR_NOT_FOUND, or the database's
 * error). */
json_t *vc_catalog_get(struct vc_db *db, const char *id, struct vc_error *err);

/* The tracks of ids that exist, in the order asked (new reference). */
json_t *vc_catalog_get_many(struct vc_db *db, const char *const *ids, size_t n,
                            struct vc_error *err);

/* {id, status, retry_count, error_message, updated_at, next} (new
 * reference). */
json_t *vc_catalog_status(struct vc_db *db, const char *id, struct vc_error *err);

/* Move track id to status to (error_message may be NULL; kept for FAILED).
 * A move to PROCESSING leases the track for lease_s seconds. VC_ERR_CONFLICT
 * naming from -> to when the move is not allowed or the max_retries are
 * used up; VC_ERR_NOT_FOUND. Returns the new status JSON (new reference) or
 * NULL. */
json_t *vc_catalog_transition(struct vc_db *db, const char *id, const char *to,
                              const char *error_message, int max_retries, int lease_s,
                              const struct vc_actor *who, struct vc_error *err);

#endif
