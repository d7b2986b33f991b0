/* vc_tts.h - the speech path: find a request's audio in the disk cache or
 * PostgreSQL, or synthesise it once and store it; run the speech queue.
 *
 * A miss takes the single-flight lock of the key (vc_store), so N
 * identical requests on any workers or hosts sharing the database run one
 * synthesis; the others wait and find the blob. The blob, the COMPLETED
 * track and its audit row are committed before the file is written and
 * before the answer goes out. Without the database the local engine still
 * speaks (from the disk cache or synthesising), with no track, and the
 * result says it is degraded. Parsing and the cache key live in
 * vc_tts_input, storage in vc_store, the queue's rows in vc_queue. */
#ifndef VC_TTS_H
#define VC_TTS_H

#include <stddef.h>

#include "vc_audit.h"
#include "vc_config.h"
#include "vc_db.h"
#include <stdint.h>

#include "vc_encode.h"
#include "vc_engine.h"
#include "vc_error.h"
#include "vc_hash.h"
#include "vc_track.h"
#include "vc_tts_input.h"

/* Syntheses this process has run with engine id, from every path. */
uint64_t vc_tts_syntheses(enum vc_engine_id id);

struct vc_tts_result {
    char key[VC_SHA256_HEX];
    char track_id[VC_UUID_SIZE];    /* "" when no track (degraded) */
    int hit;                        /* served from disk or PostgreSQL */
    int degraded;                   /* PostgreSQL was unreachable */
    int synthesized;                /* this call ran the engine */
    int busy;                       /* another worker holds the key */
    int uncached;                   /* the disk took no file: answer from PostgreSQL */
    double synth_ms;                /* time in the engine */
    double store_ms;                /* time storing blob, track and file */
};

/* Make sure the audio for in exists in the disk cache (and, with the
 * database up, as a blob and a track); fill res. who (may be NULL) goes
 * to the audit row, and its token (if any) pays for a synthesis from its
 * daily quota: VC_ERR_QUOTA_EXCEEDED, nothing synthesised, when it would
 * go past it. A wait for another worker's synthesis of the same key that
 * runs out is VC_ERR_UNAVAILABLE with res->busy and a Retry-After: never
 * a second synthesis. */
enum vc_code vc_tts_speak(const struct vc_config *cfg, struct vc_db *db,
                          const struct vc_tts_input *in, const struct vc_actor *who,
                          struct vc_tts_result *res, struct vc_error *err) VC_MUST_CHECK;

/* An asynchronous request: record a PENDING track for in (or find the
 * track its audio already has) in id; *created says which. The synthesis
 * is left to vc_tts_run_queued, after the answer is sent. */
enum vc_code vc_tts_enqueue(struct vc_db *db, const struct vc_tts_input *in,
                            const struct vc_actor *who, char id[VC_UUID_SIZE], int *created,
                            struct vc_error *err) VC_MUST_CHECK;

/* Claim queued track id (PENDING -> PROCESSING), synthesise and store it
 * (-> COMPLETED), or mark it FAILED with the reason. Nothing to do when
 * another worker claimed it first. */
enum vc_code vc_tts_run_queued(const struct vc_config *cfg, struct vc_db *db,
                               const struct vc_tts_input *in, const char *id,
                               const struct vc_actor *who, struct vc_error *err) VC_MUST_CHECK;

/* The queue, for an idle worker: tracks PROCESSING past their lease go
 * back to PENDING, then the oldest PENDING speech track is claimed and
 * run (*ran says whether one was). */
enum vc_code vc_tts_work_queue(const struct vc_config *cfg, struct vc_db *db, int *ran,
                               struct vc_error *err) VC_MUST_CHECK;

/* Synthesise in to audio in in->format (new buffer the caller frees; its
 * length in seconds into *duration when not NULL), no storage: the
 * library path of `voxcat say` and of every synthesis. */
enum vc_code vc_tts_render(const struct vc_config *cfg, const struct vc_tts_input *in,
                           unsigned char **audio, size_t *len, double *duration,
                           struct vc_error *err) VC_MUST_CHECK;

/* Speak in while it is being made: when its audio is neither on disk nor
 * in PostgreSQL, synthesise it a sentence at a time and hand the encoded
 * bytes to sink as each sentence is done, then store the whole (blob,
 * track, file) like vc_tts_speak. res->hit says the audio was there
 * already and sink was never called (serve the file instead). A sink that
 * stops (the client went away) stops the synthesis, and nothing is
 * stored. A stream holds the key's single-flight lock while it is made: a
 * second stream of the same text waits for it (VOXCAT_LOCK_WAIT_MS, then
 * VC_ERR_UNAVAILABLE with res->busy) and is served what it stored. */
enum vc_code vc_tts_stream(const struct vc_config *cfg, struct vc_db *db,
                           const struct vc_tts_input *in, const struct vc_actor *who,
                           vc_encode_sink sink, void *ctx, struct vc_tts_result *res,
                           struct vc_error *err) VC_MUST_CHECK;

#endif
