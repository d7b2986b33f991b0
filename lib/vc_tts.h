/* vc_tts.h - the speech path: validate a request, find its audio in the
 * disk cache or PostgreSQL, or synthesise it once and store it.
 *
 * The cache key is the sha256 of the normalised request (model, voice,
 * language, speakers, speed, text, output format). A miss takes a
 * PostgreSQL advisory lock on the key, so N identical requests on any
 * workers or hosts sharing the database run one synthesis; the others wait
 * and find the blob. The blob, the COMPLETED track and its audit row are
 * written in one transaction, then the file. Without the database the
 * local engine still speaks (from the disk cache or synthesising), with no
 * track, and the result says it is degraded. */
#ifndef VC_TTS_H
#define VC_TTS_H

#include <jansson.h>
#include <stddef.h>

#include "vc_config.h"
#include "vc_db.h"
#include "vc_engine.h"
#include "vc_engines.h"
#include "vc_error.h"
#include "vc_hash.h"

#define VC_TTS_FIELD_MAX 500    /* title, artist, album, genre */

/* A validated request. All strings owned; free with vc_tts_input_free. */
struct vc_tts_input {
    char *text;                 /* normalised: trimmed, LF, single spaces */
    char *voice;
    char *language;             /* NULL = the engine's default */
    char *model;                /* the public name asked for */
    struct vc_model_choice choice;
    double speed;
    char *speaker_name[VC_MAX_SPEAKERS];
    char *speaker_voice[VC_MAX_SPEAKERS];
    size_t nspeakers;
    char *title, *artist, *album, *genre;
    int async;
};

/* Look up a named value of the request (query parameter); borrowed or NULL. */
typedef const char *(*vc_tts_getter)(void *ctx, const char *name);

/* Parse and validate a JSON body. 400 naming the field, 413 for text over
 * cfg->max_text. On failure in is freed. */
enum vc_code vc_tts_input_from_json(const struct vc_config *cfg, const char *body, size_t len,
                                    struct vc_tts_input *in, struct vc_error *err) VC_MUST_CHECK;

/* The same from query parameters (GET /tts?text=...). */
enum vc_code vc_tts_input_from_query(const struct vc_config *cfg, vc_tts_getter get, void *ctx,
                                     struct vc_tts_input *in, struct vc_error *err) VC_MUST_CHECK;

void vc_tts_input_free(struct vc_tts_input *in);

/* The cache key of a validated input. */
void vc_tts_cache_key(const struct vc_tts_input *in, char key[VC_SHA256_HEX]);

struct vc_tts_result {
    char key[VC_SHA256_HEX];
    char track_id[40];          /* "" when no track (degraded) */
    int hit;                    /* served from disk or PostgreSQL */
    int degraded;               /* PostgreSQL was unreachable */
    int synthesized;            /* this call ran the engine */
    double synth_ms;            /* time in the engine */
    double store_ms;            /* time storing blob, track and file */
};

/* Make sure the audio for in exists in the disk cache (and, with the
 * database up, as a blob and a track); fill res. ip and actor (may be NULL)
 * go to the audit row. */
enum vc_code vc_tts_speak(const struct vc_config *cfg, struct vc_db *db,
                          const struct vc_tts_input *in, const char *actor, const char *ip,
                          struct vc_tts_result *res, struct vc_error *err) VC_MUST_CHECK;

/* An asynchronous request: record a PENDING track for in (or find the
 * track its audio already has) in *id; *created says which. The synthesis
 * is left to vc_tts_run_queued, after the answer is sent. */
enum vc_code vc_tts_enqueue(const struct vc_config *cfg, struct vc_db *db,
                            const struct vc_tts_input *in, const char *ip, char id[40],
                            int *created, struct vc_error *err) VC_MUST_CHECK;

/* Claim queued track id (PENDING -> PROCESSING), synthesise and store it
 * (-> COMPLETED), or mark it FAILED with the reason. Nothing to do when
 * another worker claimed it first. */
enum vc_code vc_tts_run_queued(const struct vc_config *cfg, struct vc_db *db,
                               const struct vc_tts_input *in, const char *id,
                               struct vc_error *err) VC_MUST_CHECK;

/* The queue, for an idle worker: tracks PROCESSING past their lease go
 * back to PENDING, then the oldest PENDING speech track is claimed and
 * run (*ran says whether one was). Workers share it with SKIP LOCKED. */
enum vc_code vc_tts_work_queue(const struct vc_config *cfg, struct vc_db *db, int *ran,
                               struct vc_error *err) VC_MUST_CHECK;

/* Synthesise in to WAV bytes (new buffer the caller frees), no storage:
 * the library path of `voxcat say`. */
enum vc_code vc_tts_render(const struct vc_config *cfg, const struct vc_tts_input *in,
                           unsigned char **wav, size_t *len, struct vc_error *err) VC_MUST_CHECK;

/* Make sure the file for key is in the disk cache, rebuilding it from the
 * audio_blobs row: VC_ERR_NOT_FOUND when PostgreSQL has no such blob. */
enum vc_code vc_tts_restore(const struct vc_config *cfg, struct vc_db *db, const char *key,
                            struct vc_error *err) VC_MUST_CHECK;

/* The cache key of a track's audio: VC_ERR_NOT_FOUND for an unknown track
 * or one without audio. id must already be a well-formed uuid. */
enum vc_code vc_tts_track_key(struct vc_db *db, const char *id, char key[VC_SHA256_HEX],
                              struct vc_error *err) VC_MUST_CHECK;

#endif
