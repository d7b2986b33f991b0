/* vc_catalog.h - the audio catalog in PostgreSQL: tracks by id, status
 * transitions, and bulk import/export of JSON lines.
 *
 * A track's public JSON is the database's vc_track_json(), the one shape
 * /search, /status and /tts share. Every write adds an audit_log row in the
 * same transaction. Status moves only along PENDING -> PROCESSING ->
 * COMPLETED | FAILED, FAILED -> PENDING (a retry, counted and capped) and
 * PROCESSING -> PENDING (a lease given back); anything else is a conflict
 * that changes nothing. */
#ifndef VC_CATALOG_H
#define VC_CATALOG_H

#include <jansson.h>
#include <stdio.h>

#include "vc_db.h"
#include "vc_error.h"

/* Who did a write, for the audit log. Strings borrowed, may be NULL. */
struct vc_actor {
    const char *name;
    const char *ip;
};

/* Whether s has the 8-4-4-4-12 hex shape of a uuid. */
int vc_uuid_valid(const char *s);

/* The public JSON of track id (new reference), or NULL with err
 * (VC_ERR_NOT_FOUND, or the database's error). */
json_t *vc_catalog_get(struct vc_db *db, const char *id, struct vc_error *err);

/* The tracks of ids that exist, in the order asked (new reference). */
json_t *vc_catalog_get_many(struct vc_db *db, const char *const *ids, size_t n,
                            struct vc_error *err);

/* {id, status, retry_count, error_message, updated_at} (new reference). */
json_t *vc_catalog_status(struct vc_db *db, const char *id, struct vc_error *err);

/* Move track id to status to (error_message may be NULL; kept for FAILED).
 * VC_ERR_CONFLICT naming from -> to when the move is not allowed or the
 * retries are used up; VC_ERR_NOT_FOUND. Returns the new status JSON (new
 * reference) or NULL. */
json_t *vc_catalog_transition(struct vc_db *db, const char *id, const char *to,
                              const char *error_message, int max_retries,
                              const struct vc_actor *who, struct vc_error *err);

/* Import JSON lines from in (borrowed; read to the end), all or nothing,
 * in one transaction with COPY, audited as catalog.import. A bad line
 * (bad JSON, unknown field, wrong type, out of range, an id or cache_key
 * already taken or repeated) is reported as "line N: field: reason" in
 * err->message and nothing is written. *count gets the number of tracks
 * imported (0 on failure). */
enum vc_code vc_catalog_import(struct vc_db *db, FILE *in, const struct vc_actor *who,
                               long *count, struct vc_error *err) VC_MUST_CHECK;

/* Write every track to out (borrowed) as one JSON object per line, in the
 * format import reads, then add a catalog.export audit row. *count gets
 * the number written. */
enum vc_code vc_catalog_export(struct vc_db *db, FILE *out, const struct vc_actor *who,
                               long *count, struct vc_error *err) VC_MUST_CHECK;

#endif
