/* vc_queue.h - the speech queue in PostgreSQL: asynchronous requests wait
 * as PENDING tracks (their request kept in the row), a worker claims one
 * with a lease (PROCESSING), and finishes it through vc_store (COMPLETED)
 * or fails it with the reason. A lease that runs out puts the track back
 * to PENDING for any worker: a worker that died loses no request. Workers
 * share the queue with FOR UPDATE SKIP LOCKED. Every status change here is
 * audited. */
#ifndef VC_QUEUE_H
#define VC_QUEUE_H

#include <jansson.h>

#include "vc_audit.h"
#include "vc_db.h"
#include "vc_error.h"
#include "vc_hash.h"
#include "vc_track.h"
#include "vc_tts_input.h"

/* Record a PENDING track for in under key (audited as track.create by
 * who), or find the track key already has: id gets it, *created says
 * which. */
enum vc_code vc_queue_add(struct vc_db *db, const struct vc_tts_input *in, const char *key,
                          const struct vc_actor *who, char id[VC_UUID_SIZE], int *created,
                          struct vc_error *err) VC_MUST_CHECK;

/* Claim PENDING track id for lease_s seconds (-> PROCESSING); *claimed is
 * 0 when another worker has it or it is done. */
enum vc_code vc_queue_claim(struct vc_db *db, const char *id, int lease_s,
                            const struct vc_actor *who, int *claimed,
                            struct vc_error *err) VC_MUST_CHECK;

/* Put every PROCESSING track whose lease ran out back to PENDING; *count
 * gets how many. */
enum vc_code vc_queue_requeue_expired(struct vc_db *db, long *count,
                                      struct vc_error *err) VC_MUST_CHECK;

/* Claim the oldest PENDING speech track that has waited two seconds (the
 * worker that took the request runs it first, as its own caller) for
 * lease_s seconds: id and key,
 * and its request as JSON text in *request (new string the caller frees).
 * *found is 0 when the queue is empty. */
enum vc_code vc_queue_take(struct vc_db *db, int lease_s, char id[VC_UUID_SIZE],
                           char key[VC_SHA256_HEX], char **request, int *found,
                           struct vc_error *err) VC_MUST_CHECK;

/* Mark claimed track id FAILED with message. Failures here are logged:
 * the lease still runs out and the track comes back. */
void vc_queue_fail(struct vc_db *db, const char *id, const char *message,
                   const struct vc_actor *who);

/* The queue at a glance (new reference), or NULL with err: {pending,
 * processing, lease_expired, failed, failed_retriable (under max_retries
 * retries), oldest_pending_s}. */
json_t *vc_queue_counts(struct vc_db *db, int max_retries, struct vc_error *err);

#endif
