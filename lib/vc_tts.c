/* vc_tts.c - render, speak with single-flight and the degraded path, and
 * run queued speech. */
#include "vc_tts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vc_auth.h"
#include "vc_cache.h"
#include "vc_encode.h"
#include "vc_log.h"
#include "vc_pcm.h"
#include "vc_queue.h"
#include "vc_store.h"
#include "vc_wav.h"
#include "vc_time.h"

/* Synthesise text (in's voice, speakers and speed) to PCM at
 * VC_PCM_RATE into pcm (initialised here; the caller frees it). */
/* Syntheses this process ran, by engine: whatever asked for them (a
 * request, its deferred work, the queue), for the pool's metrics. */
static uint64_t syntheses[VC_ENGINE_COUNT];

/* Counted, and logged with its key: a line per synthesis, whatever asked
 * for it, tells what each engine made (a paid one's cost) and shows a key
 * made twice. */
static void synthesized(struct vc_tts_result *res, const struct vc_tts_input *in)
{
    const struct vc_log_field f[2] = {
        { "engine", VC_LOG_STR, in->choice.engine->name, 0, 0 },
        { "key", VC_LOG_STR, res->key, 0, 0 },
    };

    res->synthesized = 1;
    if ((int)in->choice.engine->id >= 0 && in->choice.engine->id < VC_ENGINE_COUNT)
        syntheses[in->choice.engine->id]++;
    vc_log_fields(VC_LOG_INFO, f, 2, "synthesized");
}

uint64_t vc_tts_syntheses(enum vc_engine_id id)
{
    return (int)id >= 0 && id < VC_ENGINE_COUNT ? syntheses[id] : 0;
}

static enum vc_code render_pcm(const struct vc_config *cfg, const struct vc_tts_input *in,
                               const char *text, struct vc_pcm *pcm, struct vc_error *err)
{
    struct vc_tts_request req;
    enum vc_code rc;

    memset(&req, 0, sizeof(req));
    req.text = text;
    req.voice = in->voice;
    req.language = in->language;
    req.model = in->choice.resolved;
    req.speed = in->speed;
    req.instructions = in->instructions;
    for (size_t i = 0; i < in->nspeakers; i++) {
        req.speakers[i].name = in->speaker_name[i];
        req.speakers[i].voice = in->speaker_voice[i];
    }
    req.nspeakers = in->nspeakers;
    /* One deadline for the whole request: every segment, every retry. */
    req.deadline = vc_time_mono_s() + cfg->request_timeout_ms / 1000.0;

    vc_pcm_init(pcm, VC_PCM_RATE);
    rc = in->choice.engine->synthesize(cfg, &req, pcm, err);
    if (rc != VC_OK)
        return rc;
    if (pcm->len == 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "the %s engine produced no audio",
                            in->choice.engine->name);
    if (pcm->len / (size_t)pcm->rate > (size_t)cfg->max_audio_s)
        return vc_error_set(err, VC_ERR_PAYLOAD_TOO_LARGE, "text",
                            "the audio would be longer than %d s (VOXCAT_MAX_AUDIO_S)",
                            cfg->max_audio_s);
    return vc_pcm_resample(pcm, VC_PCM_RATE, err);
}

enum vc_code vc_tts_render(const struct vc_config *cfg, const struct vc_tts_input *in,
                           unsigned char **audio, size_t *len, double *duration,
                           struct vc_error *err)
{
    struct vc_pcm pcm;
    enum vc_code rc;

    rc = render_pcm(cfg, in, in->text, &pcm, err);
    if (rc == VC_OK) {
        if (duration != NULL)
            *duration = (double)pcm.len / VC_PCM_RATE;
        rc = vc_encode_pcm(cfg, in->format, &pcm, audio, len, err);
    }
    vc_pcm_free(&pcm);
    return rc;
}

/* Synthesise and keep only the file: the path when PostgreSQL is away.
 * A token's quota cannot be kept then, so a paid engine is not used on a
 * token's behalf. */
static enum vc_code speak_degraded(const struct vc_config *cfg, const struct vc_tts_input *in,
                                   const struct vc_actor *who, struct vc_tts_result *res,
                                   struct vc_error *err)
{
    unsigned char *wav = NULL;
    size_t len = 0;
    enum vc_code rc;

    res->degraded = 1;
    if (vc_cache_has(cfg, res->key, in->format, NULL)) {
        res->hit = 1;
        return VC_OK;
    }
    if (in->choice.engine->remote && who != NULL && who->token_id != NULL) {
        err->retry_after = 5;
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL,
                            "the database is unavailable: paid engines wait for it");
    }
    rc = vc_tts_render(cfg, in, &wav, &len, NULL, err);
    if (rc == VC_OK) {
        synthesized(res, in);
        rc = vc_cache_put(cfg, res->key, in->format, wav, len, err);
    }
    free(wav);
    return rc;
}

/* How long audio of format is: WAV says so in its header; for the
 * compressed formats -1 (not known without decoding). */
static double audio_duration(enum vc_format format, const unsigned char *data, size_t len)
{
    struct vc_wav_info info;

    if (format == VC_FORMAT_WAV && vc_wav_parse(data, len, &info, NULL) == VC_OK)
        return info.duration;
    return -1;
}

/* The disk cache has the file: make sure PostgreSQL knows the audio too
 * (it was made while the database was away). */
static enum vc_code from_disk(const struct vc_config *cfg, struct vc_db *db,
                              const struct vc_tts_input *in, const struct vc_actor *who,
                              struct vc_tts_result *res, struct vc_error *err)
{
    unsigned char *wav = NULL;
    size_t len = 0;
    enum vc_code rc;

    res->hit = 1;
    rc = vc_store_track_by_key(db, res->key, 0, res->track_id, err);
    if (rc != VC_OK || res->track_id[0] != '\0')
        return rc;
    rc = vc_cache_get(cfg, res->key, in->format, &wav, &len, err);
    if (rc == VC_OK)
        rc = vc_store_put(db, in, res->key, wav, len, audio_duration(in->format, wav, len), who,
                          NULL, NULL, res->track_id, err);
    free(wav);
    return rc;
}

/* Write the file of stored audio. A disk that takes no file is not a
 * failure of the request: res->uncached says to answer from PostgreSQL. */
static void keep_file(const struct vc_config *cfg, const struct vc_tts_input *in,
                      const unsigned char *data, size_t len, struct vc_tts_result *res)
{
    struct vc_error err;

    vc_error_clear(&err);
    if (vc_cache_put(cfg, res->key, in->format, data, len, &err) != VC_OK) {
        res->uncached = 1;
        vc_log(VC_LOG_WARN, "answering from PostgreSQL: %s", err.message);
    }
}

/* The file of a new synthesis, written while PostgreSQL commits it. */
struct keep_ctx {
    const struct vc_config *cfg;
    const struct vc_tts_input *in;
    const unsigned char *data;
    size_t len;
    struct vc_tts_result *res;
    int kept;
};

static void keep_meanwhile(void *vctx)
{
    struct keep_ctx *k = vctx;

    keep_file(k->cfg, k->in, k->data, k->len, k->res);
    k->kept = 1;
}

/* PostgreSQL has the blob (wav, borrowed): rebuild the file and make sure
 * a track owns it. */
static enum vc_code from_blob(const struct vc_config *cfg, struct vc_db *db,
                              const struct vc_tts_input *in, const struct vc_actor *who,
                              const unsigned char *wav, size_t len,
                              struct vc_tts_result *res, struct vc_error *err)
{
    enum vc_code rc;

    res->hit = 1;
    keep_file(cfg, in, wav, len, res);
    rc = vc_store_track_by_key(db, res->key, 0, res->track_id, err);
    if (rc == VC_OK && res->track_id[0] == '\0')
        rc = vc_store_put(db, in, res->key, wav, len, audio_duration(in->format, wav, len), who,
                          NULL, NULL, res->track_id, err);
    return rc;
}

/* Characters of text (UTF-8 code points): what a quota counts. */
static long count_chars(const char *text)
{
    long n = 0;

    for (; *text; text++)
        n += ((unsigned char)*text & 0xC0) != 0x80;
    return n;
}

/* A miss, under the key's lock: charge the token's quota, synthesise,
 * commit while the file is written. A failed synthesis, or a store the
 * database refused, gives the charge back: the caller gets no audio. */
static enum vc_code synthesise(const struct vc_config *cfg, struct vc_db *db,
                               const struct vc_tts_input *in, const struct vc_actor *who,
                               struct vc_tts_result *res, struct vc_error *err)
{
    const char *token = who != NULL ? who->token_id : NULL;
    const char *engine = in->choice.engine->name;
    struct vc_charge charge = { 0, "" };
    unsigned char *wav = NULL;
    size_t len = 0;
    double t0, duration = -1;
    enum vc_code rc;

    if (token != NULL) {
        rc = vc_auth_charge(db, token, engine, count_chars(in->text), &charge, err);
        if (rc != VC_OK)
            return rc;
    }
    t0 = vc_time_mono_s();
    rc = vc_tts_render(cfg, in, &wav, &len, &duration, err);
    res->synth_ms = (vc_time_mono_s() - t0) * 1000;
    if (rc != VC_OK) {
        if (token != NULL)
            vc_auth_refund(db, token, engine, &charge);
        goto out;
    }
    synthesized(res, in);
    t0 = vc_time_mono_s();
    {
        /* The file is written while the transaction commits (the answer
         * still waits for the commit). The audio is good even if it could
         * not be recorded for want of the database: the file is kept so the
         * degraded path does not synthesise it again; a store refused for
         * another reason keeps nothing. A request for the same text that
         * finds the file before the commit records its track itself
         * (from_disk), as after a crash between the two. */
        struct keep_ctx k = { cfg, in, wav, len, res, 0 };

        rc = vc_store_put(db, in, res->key, wav, len, duration, who, keep_meanwhile, &k,
                          res->track_id, err);
        if (!k.kept && rc == VC_ERR_UNAVAILABLE)
            keep_file(cfg, in, wav, len, res);
        else if (rc != VC_OK && rc != VC_ERR_UNAVAILABLE) {
            if (k.kept)
                vc_cache_drop(cfg, res->key, in->format);
            if (token != NULL)
                vc_auth_refund(db, token, engine, &charge);
        }
    }
    res->store_ms = (vc_time_mono_s() - t0) * 1000;
out:
    free(wav);
    return rc;
}

/* One synthesis per key across every worker and host: take the key's
 * lock, and when its audio is stored already (or was while we waited)
 * serve it as a hit (*served). A wait that runs out is not the database
 * being away: no second synthesis. The blob is looked for under the lock
 * only (in its round trip): a miss is the common case, and a file lost
 * from the disk cache is rare, so this beats an unlocked look first. The
 * lock is still held only when this returns VC_OK and served nothing:
 * the caller synthesises, then lets it go. */
static enum vc_code lock_key(const struct vc_config *cfg, struct vc_db *db,
                             const struct vc_tts_input *in, const struct vc_actor *who,
                             struct vc_tts_result *res, int *served, struct vc_error *err)
{
    unsigned char *wav = NULL;
    size_t len = 0;
    enum vc_format held;
    enum vc_code rc;

    *served = 0;
    rc = vc_store_lock(db, res->key, cfg->lock_wait_ms / 1000.0, &res->busy, &wav, &len, &held,
                       err);
    if (rc != VC_OK || wav == NULL)
        return rc;
    *served = 1;
    rc = from_blob(cfg, db, in, who, wav, len, res, err);
    free(wav);
    vc_store_unlock(db, res->key);
    if (rc == VC_OK)
        vc_store_memo_put(res->key, res->track_id);
    return rc;
}

static enum vc_code speak_stored(const struct vc_config *cfg, struct vc_db *db,
                                 const struct vc_tts_input *in, const struct vc_actor *who,
                                 struct vc_tts_result *res, struct vc_error *err)
{
    int served;
    enum vc_code rc;

    rc = vc_db_connect(db, err);
    if (rc != VC_OK)
        return rc;
    if (vc_cache_use(cfg, res->key, in->format)) {
        if (vc_store_memo_get(res->key, res->track_id)) {
            res->hit = 1;
            return VC_OK;           /* the memo has it already */
        }
        rc = from_disk(cfg, db, in, who, res, err);
    } else {
        rc = lock_key(cfg, db, in, who, res, &served, err);
        if (rc != VC_OK || served)
            return rc;
        rc = synthesise(cfg, db, in, who, res, err);
        vc_store_unlock(db, res->key);
    }
    if (rc == VC_OK)
        vc_store_memo_put(res->key, res->track_id);
    return rc;
}

enum vc_code vc_tts_speak(const struct vc_config *cfg, struct vc_db *db,
                          const struct vc_tts_input *in, const struct vc_actor *who,
                          struct vc_tts_result *res, struct vc_error *err)
{
    enum vc_code rc;

    memset(res, 0, sizeof(*res));
    vc_tts_cache_key(in, res->key);
    if (res->key[0] == '\0')
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "could not compute the cache key");
    rc = speak_stored(cfg, db, in, who, res, err);
    if (rc == VC_ERR_UNAVAILABLE && !res->busy) {
        /* PostgreSQL is away (or was lost on the way): the local engine
         * and the disk cache still answer, without a track. */
        vc_log(VC_LOG_WARN, "speech without the database: no track is recorded");
        vc_error_clear(err);
        res->track_id[0] = '\0';
        return speak_degraded(cfg, in, who, res, err);
    }
    return rc;
}

enum vc_code vc_tts_enqueue(struct vc_db *db, const struct vc_tts_input *in,
                            const struct vc_actor *who, char id[VC_UUID_SIZE], int *created,
                            struct vc_error *err)
{
    char key[VC_SHA256_HEX];

    id[0] = '\0';
    *created = 0;
    vc_tts_cache_key(in, key);
    if (key[0] == '\0')
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "could not compute the cache key");
    return vc_queue_add(db, in, key, who, id, created, err);
}

/* Synthesise and store a track this worker has claimed, or fail it. */
static enum vc_code run_claimed(const struct vc_config *cfg, struct vc_db *db,
                                const struct vc_tts_input *in, const char *id,
                                const struct vc_actor *who, struct vc_error *err)
{
    struct vc_tts_result res;
    enum vc_code rc;

    memset(&res, 0, sizeof(res));
    vc_tts_cache_key(in, res.key);
    rc = speak_stored(cfg, db, in, who, &res, err);
    if (rc != VC_OK)
        vc_queue_fail(db, id, err->message, who);
    return rc;
}

enum vc_code vc_tts_run_queued(const struct vc_config *cfg, struct vc_db *db,
                               const struct vc_tts_input *in, const char *id,
                               const struct vc_actor *who, struct vc_error *err)
{
    int claimed = 0;
    enum vc_code rc = vc_queue_claim(db, id, cfg->lease_s, who, &claimed, err);

    if (rc != VC_OK || !claimed)
        return rc;      /* another worker has it, or it is done */
    return run_claimed(cfg, db, in, id, who, err);
}

enum vc_code vc_tts_work_queue(const struct vc_config *cfg, struct vc_db *db, int *ran,
                               struct vc_error *err)
{
    char id[VC_UUID_SIZE], key[VC_SHA256_HEX], now_key[VC_SHA256_HEX];
    struct vc_tts_input in;
    char *request = NULL;
    long requeued;
    enum vc_code rc;

    *ran = 0;
    rc = vc_queue_requeue_expired(db, &requeued, err);
    if (rc == VC_OK)
        rc = vc_queue_take(db, cfg->lease_s, id, key, &request, ran, err);
    if (rc != VC_OK || !*ran)
        return rc;
    vc_log(VC_LOG_INFO, "taking queued track %s", id);
    rc = vc_tts_input_from_json(cfg, request, strlen(request), &in, err);
    free(request);
    if (rc != VC_OK) {
        vc_queue_fail(db, id, err->message, &vc_actor_system);
        return rc;
    }
    vc_tts_cache_key(&in, now_key);
    if (strcmp(now_key, key) != 0) {
        /* e.g. an alias now names another model: not this track's audio */
        rc = vc_error_set(err, VC_ERR_CONFLICT, NULL,
                          "the request no longer gives this track's audio");
        vc_queue_fail(db, id, err->message, &vc_actor_system);
    } else {
        rc = run_claimed(cfg, db, &in, id, &vc_actor_system, err);
    }
    vc_tts_input_free(&in);
    return rc;
}

/* ---- streaming --------------------------------------------------------- */

/* The next piece of text to speak on its own: up to and including a
 * sentence's end (. ! ? followed by a blank) or a line's. *len gets its
 * length; 0 at the end. */
static const char *next_sentence(const char *p, size_t *len)
{
    const char *s = p;

    while (*s == ' ' || *s == '\n')
        s++;
    p = s;
    while (*p && *p != '\n') {
        if ((*p == '.' || *p == '!' || *p == '?') && (p[1] == ' ' || p[1] == '\n' || !p[1])) {
            p++;
            break;
        }
        p++;
    }
    *len = (size_t)(p - s);
    return s;
}

/* Everything the stream wrote, kept for storage, on its way to the sink. */
struct tee {
    vc_encode_sink sink;
    void *ctx;
    unsigned char *data;
    size_t len, cap;
    int oom;
};

static int tee_write(void *vctx, const unsigned char *data, size_t len)
{
    struct tee *t = vctx;

    if (!t->oom && t->len + len > t->cap) {
        size_t cap = (t->len + len) * 2;
        unsigned char *g = realloc(t->data, cap);
        if (g == NULL)
            t->oom = 1;
        else {
            t->data = g;
            t->cap = cap;
        }
    }
    if (!t->oom) {
        memcpy(t->data + t->len, data, len);
        t->len += len;
    }
    return t->sink(t->ctx, data, len);
}

/* Synthesise in piece by piece into enc; all the PCM into all. */
static enum vc_code stream_pieces(const struct vc_config *cfg, const struct vc_tts_input *in,
                                  struct vc_encoder *enc, struct vc_pcm *all,
                                  struct vc_error *err)
{
    const char *p = in->text;
    enum vc_code rc = VC_OK;

    /* Speakers take turns line by line: such a text goes in one piece. */
    while (rc == VC_OK && *p) {
        size_t n;
        const char *s = in->nspeakers > 0 ? p : next_sentence(p, &n);
        char *piece;
        struct vc_pcm pcm;

        if (in->nspeakers > 0)
            n = strlen(p);
        if (n == 0)
            break;
        piece = strndup(s, n);
        if (piece == NULL)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        rc = render_pcm(cfg, in, piece, &pcm, err);
        free(piece);
        if (rc == VC_OK)
            rc = vc_encoder_write(enc, pcm.samples, pcm.len, err);
        if (rc == VC_OK)
            rc = vc_pcm_append(all, pcm.samples, pcm.len, err);
        if (rc == VC_OK && all->len / VC_PCM_RATE > (size_t)cfg->max_audio_s)
            rc = vc_error_set(err, VC_ERR_PAYLOAD_TOO_LARGE, "text",
                              "the audio would be longer than %d s (VOXCAT_MAX_AUDIO_S)",
                              cfg->max_audio_s);
        vc_pcm_free(&pcm);
        p = s + n;
    }
    if (rc == VC_OK)
        rc = vc_encoder_finish(enc, err);
    return rc;
}

/* Keep what was streamed: the blob and track (with the database), and the
 * file. Failures are logged: the client has its audio already. */
static void keep_streamed(const struct vc_config *cfg, struct vc_db *db,
                          const struct vc_tts_input *in, const struct vc_actor *who,
                          struct tee *t, const struct vc_pcm *all, struct vc_tts_result *res)
{
    unsigned char *wav = NULL;
    const unsigned char *data = t->data;
    size_t len = t->len;
    double duration = (double)all->len / VC_PCM_RATE;
    struct vc_error err;

    vc_error_clear(&err);
    /* A stream's WAV and FLAC headers could not know the length: store
     * exact ones (FLAC's also has the samples' MD5). */
    if (in->format == VC_FORMAT_WAV || in->format == VC_FORMAT_FLAC) {
        if (vc_encode_pcm(cfg, in->format, all, &wav, &len, &err) != VC_OK)
            goto fail;
        data = wav;
    } else if (t->oom) {
        vc_error_set(&err, VC_ERR_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (!res->degraded && vc_store_put(db, in, res->key, data, len, duration, who, NULL, NULL,
                                       res->track_id, &err) != VC_OK)
        goto fail;
    if (vc_cache_put(cfg, res->key, in->format, data, len, &err) != VC_OK)
        goto fail;
    vc_store_memo_put(res->key, res->track_id);
    free(wav);
    return;
fail:
    vc_log(VC_LOG_WARN, "streamed audio not kept: %s", err.message);
    free(wav);
}

enum vc_code vc_tts_stream(const struct vc_config *cfg, struct vc_db *db,
                           const struct vc_tts_input *in, const struct vc_actor *who,
                           vc_encode_sink sink, void *ctx, struct vc_tts_result *res,
                           struct vc_error *err)
{
    struct tee t = { sink, ctx, NULL, 0, 0, 0 };
    const char *token = who != NULL ? who->token_id : NULL;
    struct vc_charge charge = { 0, "" };
    struct vc_encoder *enc = NULL;
    struct vc_pcm all;
    double t0;
    int locked = 0;
    enum vc_code rc;

    memset(res, 0, sizeof(*res));
    vc_tts_cache_key(in, res->key);
    if (res->key[0] == '\0')
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "could not compute the cache key");
    if (vc_cache_has(cfg, res->key, in->format, NULL)) {
        res->hit = 1;
        return VC_OK;
    }
    if (vc_db_connect(db, err) != VC_OK) {
        vc_error_clear(err);
        res->degraded = 1;
        if (in->choice.engine->remote && token != NULL) {
            err->retry_after = 5;
            return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL,
                                "the database is unavailable: paid engines wait for it");
        }
    } else {
        /* As for a whole answer: a second stream of the same text waits,
         * then is served what the first stored. */
        int served;

        rc = lock_key(cfg, db, in, who, res, &served, err);
        if (rc != VC_OK || served)
            return rc;
        locked = 1;
        if (token != NULL) {
            rc = vc_auth_charge(db, token, in->choice.engine->name, count_chars(in->text),
                                &charge, err);
            if (rc != VC_OK)
                goto out;
        }
    }
    vc_pcm_init(&all, VC_PCM_RATE);
    t0 = vc_time_mono_s();
    rc = vc_encoder_new(cfg, in->format, VC_PCM_RATE, tee_write, &t, &enc, err);
    if (rc == VC_OK)
        rc = stream_pieces(cfg, in, enc, &all, err);
    res->synth_ms = (vc_time_mono_s() - t0) * 1000;
    vc_encoder_free(enc);
    if (rc == VC_OK) {
        synthesized(res, in);
        t0 = vc_time_mono_s();
        keep_streamed(cfg, db, in, who, &t, &all, res);
        res->store_ms = (vc_time_mono_s() - t0) * 1000;
    } else if (token != NULL && !res->degraded) {
        vc_auth_refund(db, token, in->choice.engine->name, &charge);
    }
    vc_pcm_free(&all);
    free(t.data);
out:
    if (locked)
        vc_store_unlock(db, res->key);
    return rc;
}
