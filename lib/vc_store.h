/* vc_store.h - generated audio in PostgreSQL: the blob by cache key, the
 * track that owns it, and the single-flight lock that makes N identical
 * requests on any workers or hosts run one synthesis.
 *
 * The blob, its COMPLETED track and the audit row are written in one
 * transaction: a track is never COMPLETED without its audio. The disk
 * cache (vc_cache) is a copy rebuilt from here. Per-process memos map
 * keys to the tracks they belong to and tracks to their keys, so a
 * disk-cache hit needs no round trip; tracks are never deleted and a
 * track's key never changes, so an entry cannot go stale. */
#ifndef VC_STORE_H
#define VC_STORE_H

#include <stddef.h>

#include "vc_audit.h"
#include "vc_config.h"
#include "vc_db.h"
#include "vc_error.h"
#include "vc_hash.h"
#include "vc_track.h"
#include "vc_tts_input.h"

/* The blob for key into *wav (new buffer the caller frees), *len and its
 * *format. VC_ERR_NOT_FOUND when PostgreSQL has none. */
enum vc_code vc_store_blob_get(struct vc_db *db, const char *key, unsigned char **wav,
                               size_t *len, enum vc_format *format,
                               struct vc_error *err) VC_MUST_CHECK;

/* The oldest track whose audio is key into id ("" when none): only a
 * COMPLETED one unless any_status (an async request's PENDING track is not
 * yet the owner of audio found on disk: storing it completes that track). */
enum vc_code vc_store_track_by_key(struct vc_db *db, const char *key, int any_status,
                                   char id[VC_UUID_SIZE], struct vc_error *err) VC_MUST_CHECK;

/* The caller's own work, done while the server commits a put. */
typedef void (*vc_store_meanwhile_fn)(void *ctx);

/* Record wav (borrowed: audio in in->format, duration seconds long, -1
 * when not known) as the audio of in under key, in one transaction: the
 * blob, the track (created COMPLETED, or an async request's track
 * completed) and its audit row by who. id gets the track. meanwhile, when
 * not NULL, is called once the transaction is on its way and before its
 * outcome is known (so it runs whether or not it commits; not at all when
 * it could not be sent). */
enum vc_code vc_store_put(struct vc_db *db, const struct vc_tts_input *in, const char *key,
                          const unsigned char *wav, size_t len, double duration,
                          const struct vc_actor *who, vc_store_meanwhile_fn meanwhile,
                          void *ctx, char id[VC_UUID_SIZE], struct vc_error *err) VC_MUST_CHECK;

/* Make sure the disk cache has key's file in format f, rebuilding it from
 * its blob: VC_ERR_NOT_FOUND when PostgreSQL has no such blob in f. */
enum vc_code vc_store_restore(const struct vc_config *cfg, struct vc_db *db, const char *key,
                              enum vc_format f, struct vc_error *err) VC_MUST_CHECK;

/* The cache key and format of track id's audio: VC_ERR_NOT_FOUND for an
 * unknown track or one without audio. id must already be a well-formed
 * uuid. */
enum vc_code vc_store_track_key(struct vc_db *db, const char *id, char key[VC_SHA256_HEX],
                                enum vc_format *format, struct vc_error *err) VC_MUST_CHECK;

/* Take the single-flight lock of key, waiting at most budget_s for the
 * worker that holds it: VC_ERR_UNAVAILABLE with *busy set when the wait
 * runs out (err->retry_after says when to ask again). In the same round
 * trip, key's blob as vc_store_blob_get gives it, *wav NULL when
 * PostgreSQL has none. Not held when this fails. */
enum vc_code vc_store_lock(struct vc_db *db, const char *key, double budget_s, int *busy,
                           unsigned char **wav, size_t *len, enum vc_format *format,
                           struct vc_error *err) VC_MUST_CHECK;

/* Give the lock of key back. */
void vc_store_unlock(struct vc_db *db, const char *key);

/* The memo: the track of key into id (1), or 0 when not remembered. */
int vc_store_memo_get(const char *key, char id[VC_UUID_SIZE]);

/* Remember that key belongs to track id (ignored when id is ""). */
void vc_store_memo_put(const char *key, const char *id);

#endif
