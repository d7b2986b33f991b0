/* handle_tts.c - /tts: speech, the audio files, and the voice, language
 * and model lists.
 *
 * Audio is never copied through the worker: once the file is in the disk
 * cache the worker answers with X-Accel-Redirect and nginx sends it
 * (sendfile, Range, conditional GET). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "handlers.h"
#include "stream.h"
#include "engine_espeak.h"
#include "engine_flite.h"
#include "vc_cache.h"
#include "vc_catalog.h"
#include "vc_engines.h"
#include "vc_log.h"
#include "vc_text.h"
#include "vc_store.h"
#include "vc_track.h"
#include "vc_tts.h"
#include "worker.h"

/* Answer with the cached file for key through nginx; Content-Location
 * names its content-addressed, immutable URL. */
static void reply_audio(struct vc_request *req, const char *key, enum vc_format f,
                        const char *extra, int immutable)
{
    char uri[VC_CACHE_PATH_MAX];
    char headers[VC_CACHE_PATH_MAX + 640];

    vc_cache_accel_uri(req->worker->cfg, key, f, uri);
    (void)vc_strjoin(headers, sizeof(headers), "X-Accel-Redirect: ", uri,
                     "\r\nCache-Control: ",
                     immutable ? "public, max-age=31536000, immutable" : "public, max-age=3600",
                     "\r\nContent-Location: /tts/audio/", key, ".", vc_format_name(f), "\r\n",
                     extra ? extra : "", (char *)NULL);
    vc_reply_headers(req, 200, headers);
}

/* The audio of key straight from PostgreSQL, through the worker: when the
 * disk cache takes no file (full, read-only) the audio is still served. */
static enum vc_code reply_from_db(struct vc_request *req, const char *key, enum vc_format f,
                                  const char *extra, struct vc_error *err)
{
    char headers[640];
    unsigned char *data = NULL;
    size_t len = 0;
    enum vc_format held;
    enum vc_code rc = vc_store_blob_get(req->worker->db, key, &data, &len, &held, err);

    if (rc == VC_OK && held != f)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no %s audio for this key", vc_format_name(f));
    if (rc == VC_OK) {
        snprintf(headers, sizeof(headers), "Cache-Control: public, max-age=3600\r\n"
                 "Content-Location: /tts/audio/%s.%s\r\nX-Voxcat-Cache: unavailable\r\n%s",
                 key, vc_format_name(f), extra ? extra : "");
        vc_reply_bytes(req, 200, vc_format_type(f), headers, data, len);
    }
    free(data);
    return rc;
}

/* Make sure the file of key is on disk and answer with it; when the disk
 * takes no file, answer from PostgreSQL. */
static enum vc_code reply_restored(struct vc_request *req, const char *key, enum vc_format f,
                                   const char *extra, int immutable, struct vc_error *err)
{
    enum vc_code rc = vc_store_restore(req->worker->cfg, req->worker->db, key, f, err);

    if (rc == VC_OK) {
        reply_audio(req, key, f, extra, immutable);
        return VC_OK;
    }
    if (rc != VC_ERR_UNAVAILABLE)
        return rc;
    vc_error_clear(err);
    return reply_from_db(req, key, f, extra, err);
}

/* A cached file as server-sent events (a stream asked for audio that was
 * already made). */
static enum vc_code reply_cached_events(struct vc_request *req, const char *key, enum vc_format f,
                                        struct vc_stream *s, struct vc_error *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    enum vc_code rc = vc_cache_get(req->worker->cfg, key, f, &data, &len, err);

    for (size_t at = 0; rc == VC_OK && at < len; at += 16384) {
        if (vc_stream_sink(s, data + at, len - at < 16384 ? len - at : 16384) != 0)
            break;
    }
    free(data);
    return rc;
}

/* Record what the speech path did, for the log and the pool's counters. */
static void note(struct vc_request *req, const struct vc_tts_input *in,
                 const struct vc_tts_result *res)
{
    req->engine = (int)in->choice.engine->id;
    req->cache = res->hit ? VC_REQ_CACHE_HIT : VC_REQ_CACHE_MISS;
    req->synthesized = res->synthesized;
    vc_request_log_str(req, "engine", in->choice.engine->name);
    vc_request_log_str(req, "cache", res->hit ? "HIT" : "MISS");
    vc_request_log_str(req, "format", vc_format_name(in->format));
    if (res->track_id[0])
        vc_request_log_str(req, "track_id", res->track_id);
    if (res->synthesized) {
        vc_request_log_true(req, "synthesized");
        vc_request_log_num(req, "synth_ms", res->synth_ms);
        vc_request_log_num(req, "store_ms", res->store_ms);
    }
}

/* Speech sent while it is made (raw or as events); audio made before is
 * served as a file (or, for events, from the file). */
static enum vc_code speak_streaming(struct vc_request *req, struct vc_tts_input *in, int sse,
                                    struct vc_error *err)
{
    struct vc_worker *w = req->worker;
    struct vc_actor who = vc_request_actor(req);
    struct vc_stream s;
    struct vc_tts_result res;
    enum vc_code rc;

    memset(&s, 0, sizeof(s));
    s.req = req;
    s.sse = sse;
    s.content_type = vc_format_type(in->format);
    snprintf(s.extra, sizeof(s.extra), "Cache-Control: no-store\r\n");
    rc = vc_tts_stream(w->cfg, w->db, in, &who, vc_stream_sink, &s, &res, err);
    note(req, in, &res);
    if (rc != VC_OK && s.started) {
        /* The status is out already: the stream just ends. */
        vc_request_log_str(req, "error", err->message);
        return VC_OK;
    }
    if (rc != VC_OK)
        return rc;
    if (res.hit && !sse) {
        reply_audio(req, res.key, in->format, "X-Cache: HIT\r\n", 0);
        return VC_OK;
    }
    if (res.hit)
        rc = reply_cached_events(req, res.key, in->format, &s, err);
    if (rc == VC_OK)
        vc_stream_done(&s, (long)strlen(in->text));
    return rc;
}

static const char *query_get(void *ctx, const char *name)
{
    return vc_request_param(ctx, name);
}

static int content_type_is_json(const char *ct)
{
    size_t n = strlen("application/json");

    if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
        return 0;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

struct queued {
    struct vc_tts_input in;
    char id[VC_UUID_SIZE];
    char actor[VC_ACTOR_MAX];
    char token_id[VC_UUID_SIZE];    /* "" when no token pays */
};

static void run_queued(struct vc_worker *w, void *ctx)
{
    struct queued *q = ctx;
    struct vc_actor who = { q->actor, NULL, q->token_id[0] ? q->token_id : NULL };
    struct vc_error err;

    vc_error_clear(&err);
    if (vc_tts_run_queued(w->cfg, w->db, &q->in, q->id, &who, &err) == VC_OK)
        vc_log(VC_LOG_INFO, "queued track %s done", q->id);
    vc_tts_input_free(&q->in);
    free(q);
}

/* "async": true - 202 with the track, synthesis after the answer. The
 * request owns in until then; on success it passes to the hook. */
static enum vc_code speak_later(struct vc_request *req, struct vc_tts_input *in,
                                struct vc_error *err)
{
    struct vc_worker *w = req->worker;
    struct vc_actor who = vc_request_actor(req);
    struct queued *q = calloc(1, sizeof(*q));
    char headers[128];
    json_t *track;
    int created = 0;
    enum vc_code rc;

    if (q == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    rc = vc_tts_enqueue(w->db, in, &who, q->id, &created, err);
    if (rc == VC_OK && q->id[0] == '\0')
        rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "the track was not recorded");
    track = rc == VC_OK ? vc_catalog_get(w->db, q->id, err) : NULL;
    if (track == NULL) {
        free(q);
        return err->code != VC_OK ? err->code : rc;
    }
    snprintf(headers, sizeof(headers), "Location: /status/%s\r\nX-Track-Id: %s\r\n", q->id, q->id);
    vc_request_log_str(req, "track_id", q->id);
    vc_reply_json(req, 202, track, headers);
    json_decref(track);
    if (!created) {
        free(q);
        return VC_OK;       /* already queued or done: nothing more to run */
    }
    q->in = *in;
    memset(in, 0, sizeof(*in));
    snprintf(q->actor, sizeof(q->actor), "%s", who.name);
    snprintf(q->token_id, sizeof(q->token_id), "%s", who.token_id ? who.token_id : "");
    req->after = run_queued;
    req->after_ctx = q;
    return VC_OK;
}

enum vc_code vc_speak_answer(struct vc_request *req, struct vc_tts_input *in,
                             enum vc_answer how, struct vc_error *err)
{
    struct vc_worker *w = req->worker;
    struct vc_actor who = vc_request_actor(req);
    struct vc_tts_result res;
    char extra[256];
    enum vc_code rc;

    /* A paid engine spends the operator's money: it needs its own scope. */
    if (in->choice.engine->remote) {
        rc = vc_access_require(req, VC_SCOPE_TTS_REMOTE, err);
        if (rc != VC_OK)
            return rc;
    }
    /* An Accept header may ask for the format the body did not name. */
    if (!in->format_set && !vc_request_wants_json(req) && req->accept != NULL)
        in->format_set = vc_format_from_accept(req->accept, &in->format) == 0;
    if (in->async)
        return speak_later(req, in, err);
    if (how != VC_ANSWER_FILE || in->stream)
        return speak_streaming(req, in, how == VC_ANSWER_EVENTS, err);
    rc = vc_tts_speak(w->cfg, w->db, in, &who, &res, err);
    note(req, in, &res);
    if (rc != VC_OK)
        return rc;

    if (vc_request_wants_json(req) && !res.degraded) {
        json_t *track = vc_catalog_get(w->db, res.track_id, err);
        char hdr[128];
        if (track == NULL)
            return err->code;
        json_object_set_new(track, "cache", json_string(res.hit ? "HIT" : "MISS"));
        json_object_set_new(track, "cache_key", json_string(res.key));
        snprintf(hdr, sizeof(hdr), "X-Track-Id: %s\r\nX-Cache: %s\r\n", res.track_id,
                 res.hit ? "HIT" : "MISS");
        vc_reply_json(req, 200, track, hdr);
        json_decref(track);
        return VC_OK;
    }
    (void)vc_strjoin(extra, sizeof(extra), res.track_id[0] ? "X-Track-Id: " : "", res.track_id,
                     res.track_id[0] ? "\r\n" : "", "X-Cache: ", res.hit ? "HIT" : "MISS", "\r\n",
                     res.degraded ? "X-Voxcat-Degraded: db\r\n" : "", (char *)NULL);
    if (res.uncached)
        return reply_from_db(req, res.key, in->format, extra, err);
    reply_audio(req, res.key, in->format, extra, 0);
    return VC_OK;
}

enum vc_code vc_handle_tts_post(struct vc_request *req, struct vc_error *err)
{
    struct vc_tts_input in;
    enum vc_code rc;

    if (!content_type_is_json(req->content_type))
        return vc_error_set(err, VC_ERR_UNSUPPORTED_MEDIA, "Content-Type",
                            "POST /tts takes application/json");
    rc = vc_tts_input_from_json(req->worker->cfg, req->body, req->body_len, &in, err);
    if (rc != VC_OK)
        return rc;
    rc = vc_speak_answer(req, &in, VC_ANSWER_FILE, err);
    vc_tts_input_free(&in);
    return rc;
}

enum vc_code vc_handle_tts_get(struct vc_request *req, struct vc_error *err)
{
    struct vc_tts_input in;
    enum vc_code rc;

    rc = vc_tts_input_from_query(req->worker->cfg, query_get, req, &in, err);
    if (rc != VC_OK)
        return rc;
    rc = vc_speak_answer(req, &in, VC_ANSWER_FILE, err);
    vc_tts_input_free(&in);
    return rc;
}

/* "<name>.<ext>" with a known format: the name into out (at most size
 * bytes with its NUL) and the format; 0, or -1. */
static int split_file(const char *file, char *out, size_t size, enum vc_format *f)
{
    const char *dot = strrchr(file, '.');
    size_t n = dot ? (size_t)(dot - file) : 0;

    if (dot == NULL || n == 0 || n >= size || vc_format_parse(dot + 1, f) != 0)
        return -1;
    memcpy(out, file, n);
    out[n] = '\0';
    return 0;
}

/* GET /tts/audio/<sha256>.<format>: nginx found no file; rebuild it. */
enum vc_code vc_handle_tts_audio(struct vc_request *req, struct vc_error *err)
{
    char key[VC_SHA256_HEX];
    enum vc_format f;

    if (split_file(req->captures[0], key, sizeof(key), &f) != 0 || !vc_cache_key_valid(key))
        return vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no such audio file");
    return reply_restored(req, key, f, NULL, 1, err);
}

/* GET /tts/<track id>.<its format>: the links tracks handed out before
 * their audio had content-addressed URLs. */
enum vc_code vc_handle_tts_track(struct vc_request *req, struct vc_error *err)
{
    char id[VC_UUID_SIZE];
    char key[VC_SHA256_HEX];
    char extra[80];
    enum vc_format asked, held;
    enum vc_code rc;

    if (split_file(req->captures[0], id, sizeof(id), &asked) != 0)
        return vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no such resource: %s", req->path);
    if (!vc_uuid_valid(id))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "id", "malformed track id");
    rc = vc_store_track_key(req->worker->db, id, key, &held, err);
    if (rc == VC_OK && held != asked)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "track %s has %s audio, not %s", id,
                          vc_format_name(held), vc_format_name(asked));
    if (rc != VC_OK)
        return rc;
    snprintf(extra, sizeof(extra), "X-Track-Id: %s\r\n", id);
    return reply_restored(req, key, held, extra, 0, err);
}

static enum vc_code reply_list(struct vc_request *req, const char *name,
                               const char *const *list, const char *(*espeak)(const char *),
                               const char *espeak_key, struct vc_error *err)
{
    json_t *arr = json_array();
    json_t *body;

    if (arr == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; list[i] != NULL; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", list[i], espeak_key,
                                             espeak(list[i])));
    body = json_pack("{s:o}", name, arr);
    if (body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_reply_json(req, 200, body, "Cache-Control: public, max-age=300\r\n");
    json_decref(body);
    return VC_OK;
}

/* Each public voice: its gender, and what speaks it under each local
 * model, in which languages (the remote engines speak all 24). */
enum vc_code vc_handle_tts_voices(struct vc_request *req, struct vc_error *err)
{
    static const char *const english[] = { "en-US", "en-IN", NULL };
    json_t *all = json_array(), *en = json_array(), *list = json_array(), *body;

    if (all == NULL || en == NULL || list == NULL)
        goto oom;
    for (size_t i = 0; vc_languages[i] != NULL; i++)
        json_array_append_new(all, json_string(vc_languages[i]));
    for (size_t i = 0; english[i] != NULL; i++)
        json_array_append_new(en, json_string(english[i]));
    for (size_t i = 0; vc_voices[i] != NULL; i++) {
        const char *v = vc_voices[i];
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:O}, {s:s, s:s, s:O}]}",
            "name", v, "gender", vc_voice_gender(v), "espeak_variant", vc_espeak_variant(v),
            "flite_voice", vc_flite_voice(v), "models",
            "model", "flite", "speaks_as", vc_flite_voice(v), "languages", en,
            "model", "espeak", "speaks_as", vc_espeak_variant(v), "languages", all));
    }
    body = json_pack("{s:o}", "voices", list);
    json_decref(all);
    json_decref(en);
    if (body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_reply_json(req, 200, body, "Cache-Control: public, max-age=300\r\n");
    json_decref(body);
    return VC_OK;
oom:
    json_decref(all);
    json_decref(en);
    json_decref(list);
    return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
}

enum vc_code vc_handle_tts_languages(struct vc_request *req, struct vc_error *err)
{
    return reply_list(req, "languages", vc_languages, vc_espeak_language, "espeak_voice", err);
}

enum vc_code vc_handle_tts_models(struct vc_request *req, struct vc_error *err)
{
    json_t *body = vc_engines_models_json(req->worker->cfg);

    if (body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_reply_json(req, 200, body, "Cache-Control: no-store\r\n");
    json_decref(body);
    return VC_OK;
}
