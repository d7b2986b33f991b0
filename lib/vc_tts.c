/* vc_tts.c - the speech path: validation, cache key, single-flight
 * synthesis and storage. */
#include "vc_tts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vc_cache.h"
#include "vc_log.h"
#include "vc_pcm.h"
#include "vc_text.h"
#include "vc_wav.h"

#define OUTPUT_FORMAT "wav-s16le-24000-mono"
#define SPEAKER_NAME_MAX 64
#define LOCK_POLL_US 50000

/* ---- validation ---------------------------------------------------- */

void vc_tts_input_free(struct vc_tts_input *in)
{
    if (in == NULL)
        return;
    free(in->text);
    free(in->voice);
    free(in->language);
    free(in->model);
    for (size_t i = 0; i < VC_MAX_SPEAKERS; i++) {
        free(in->speaker_name[i]);
        free(in->speaker_voice[i]);
    }
    free(in->title);
    free(in->artist);
    free(in->album);
    free(in->genre);
    memset(in, 0, sizeof(*in));
}

/* Normalise text: CR/CRLF to LF, runs of blanks to one space, each line
 * trimmed, blank lines dropped. New string, or NULL when out of memory. */
static char *normalise_text(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    size_t o = 0;
    int pending_space = 0, at_line_start = 1;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '\r' || c == '\n') {
            if (!at_line_start) {
                out[o++] = '\n';
                at_line_start = 1;
            }
            pending_space = 0;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
            pending_space = !at_line_start;
            continue;
        }
        if (pending_space)
            out[o++] = ' ';
        pending_space = 0;
        at_line_start = 0;
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == '\n')
        o--;
    out[o] = '\0';
    return out;
}

static enum vc_code dup_field(const char *value, const char *field, size_t max,
                              char **out, struct vc_error *err)
{
    if (!vc_utf8_valid(value, strlen(value)))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field, "%s is not valid UTF-8", field);
    if (strlen(value) > max)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field,
                            "%s is longer than %zu bytes", field, max);
    *out = strdup(value);
    if (*out == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    return VC_OK;
}

/* Whether text has a line that starts with "name:". */
static int text_has_speaker(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *line = text;

    while (line != NULL && *line) {
        if (strncmp(line, name, n) == 0 && line[n] == ':')
            return 1;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return 0;
}

struct raw_input {
    const char *text, *voice, *language, *model;
    const char *title, *artist, *album, *genre;
    double speed;
    int has_speed;
    int async;
    const char *sp_name[VC_MAX_SPEAKERS];
    const char *sp_voice[VC_MAX_SPEAKERS];
    size_t nspeakers;
};

/* Check a raw input and copy it into in. */
static enum vc_code validate(const struct vc_config *cfg, const struct raw_input *raw,
                             struct vc_tts_input *in, struct vc_error *err)
{
    enum vc_code rc;
    const char *voice = raw->voice ? raw->voice : cfg->default_voice;

    memset(in, 0, sizeof(*in));
    if (raw->text == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "text", "text is required");
    if (strlen(raw->text) > (size_t)cfg->max_text)
        return vc_error_set(err, VC_ERR_PAYLOAD_TOO_LARGE, "text",
                            "text is %zu bytes, over the limit of %ld", strlen(raw->text),
                            cfg->max_text);
    if (!vc_utf8_valid(raw->text, strlen(raw->text)))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "text", "text is not valid UTF-8");
    in->text = normalise_text(raw->text);
    if (in->text == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    if (in->text[0] == '\0') {
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "text", "text is empty");
        goto fail;
    }
    if (vc_list_index(vc_voices, voice) < 0) {
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "voice",
                          "unknown voice (see GET /tts/voices)");
        goto fail;
    }
    rc = dup_field(voice, "voice", 64, &in->voice, err);
    if (rc != VC_OK)
        goto fail;
    if (raw->language != NULL && raw->language[0] != '\0') {
        if (vc_list_index(vc_languages, raw->language) < 0) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "language",
                              "unknown language (see GET /tts/languages)");
            goto fail;
        }
        rc = dup_field(raw->language, "language", 16, &in->language, err);
        if (rc != VC_OK)
            goto fail;
    }
    if (raw->model != NULL && !vc_utf8_valid(raw->model, strlen(raw->model))) {
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "model", "unknown model");
        goto fail;
    }
    rc = vc_engines_resolve(cfg, raw->model, &in->choice, err);
    if (rc != VC_OK)
        goto fail;
    rc = dup_field(raw->model && raw->model[0] ? raw->model : cfg->default_model, "model",
                   VC_MODEL_MAX, &in->model, err);
    if (rc != VC_OK)
        goto fail;
    in->speed = raw->has_speed ? raw->speed : 1.0;
    if (!(in->speed >= 0.5 && in->speed <= 2.0)) {
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speed", "speed must be between 0.5 and 2.0");
        goto fail;
    }
    /* Two decimals is all any engine honours; rounding keeps the key stable. */
    in->speed = round(in->speed * 100.0) / 100.0;
    for (size_t i = 0; i < raw->nspeakers; i++) {
        const char *name = raw->sp_name[i];
        if (name == NULL || name[0] == '\0' || strlen(name) > SPEAKER_NAME_MAX
            || strpbrk(name, ":\n\r") != NULL) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speakers",
                              "speaker %zu needs a name of 1-%d characters without ':'",
                              i + 1, SPEAKER_NAME_MAX);
            goto fail;
        }
        if (raw->sp_voice[i] == NULL || vc_list_index(vc_voices, raw->sp_voice[i]) < 0) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speakers",
                              "speaker %zu has an unknown voice", i + 1);
            goto fail;
        }
        if (i > 0 && strcmp(name, raw->sp_name[0]) == 0) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speakers", "speaker names must differ");
            goto fail;
        }
        if (!text_has_speaker(in->text, name)) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speakers",
                              "no line of text starts with \"%s:\"", name);
            goto fail;
        }
        rc = dup_field(name, "speakers", SPEAKER_NAME_MAX, &in->speaker_name[i], err);
        if (rc == VC_OK)
            rc = dup_field(raw->sp_voice[i], "speakers", 64, &in->speaker_voice[i], err);
        if (rc != VC_OK)
            goto fail;
        in->nspeakers++;
    }
    {
        const char *vals[4] = { raw->title, raw->artist, raw->album, raw->genre };
        const char *names[4] = { "title", "artist", "album", "genre" };
        char **outs[4] = { &in->title, &in->artist, &in->album, &in->genre };
        for (int i = 0; i < 4; i++) {
            if (vals[i] == NULL)
                continue;
            rc = dup_field(vals[i], names[i], VC_TTS_FIELD_MAX, outs[i], err);
            if (rc != VC_OK)
                goto fail;
        }
    }
    in->async = raw->async;
    return VC_OK;
fail:
    vc_tts_input_free(in);
    return rc;
}

static enum vc_code json_str(json_t *obj, const char *field, const char **out, struct vc_error *err)
{
    json_t *v = json_object_get(obj, field);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return VC_OK;
    if (!json_is_string(v))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field, "%s must be a string", field);
    *out = json_string_value(v);
    return VC_OK;
}

enum vc_code vc_tts_input_from_json(const struct vc_config *cfg, const char *body, size_t len,
                                    struct vc_tts_input *in, struct vc_error *err)
{
    static const char *const known[] = { "text", "voice", "language", "model", "speakers",
                                         "speed", "title", "artist", "album", "genre",
                                         "async", NULL };
    struct raw_input raw;
    json_error_t jerr;
    json_t *root;
    json_t *v;
    const char *key;
    enum vc_code rc = VC_OK;

    memset(&raw, 0, sizeof(raw));
    memset(in, 0, sizeof(*in));
    root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body",
                            "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                            jerr.text);
    if (!json_is_object(root)) {
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body", "the body must be a JSON object");
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (vc_list_index(known, key) < 0) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, key, "unknown field \"%s\"", key);
            goto out;
        }
    }
    {
        static const char *const fields[] = { "text", "voice", "language", "model",
                                              "title", "artist", "album", "genre" };
        const char **dst[] = { &raw.text, &raw.voice, &raw.language, &raw.model,
                               &raw.title, &raw.artist, &raw.album, &raw.genre };
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            rc = json_str(root, fields[i], dst[i], err);
            if (rc != VC_OK)
                goto out;
        }
    }
    v = json_object_get(root, "speed");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_number(v)) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speed", "speed must be a number");
            goto out;
        }
        raw.speed = json_number_value(v);
        raw.has_speed = 1;
    }
    v = json_object_get(root, "async");
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "async", "async must be true or false");
            goto out;
        }
        raw.async = json_is_true(v);
    }
    v = json_object_get(root, "speakers");
    if (v != NULL && !json_is_null(v)) {
        size_t i;
        json_t *sp;
        if (!json_is_array(v) || json_array_size(v) > VC_MAX_SPEAKERS) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speakers",
                              "speakers must be an array of at most %d {name, voice}",
                              VC_MAX_SPEAKERS);
            goto out;
        }
        json_array_foreach(v, i, sp) {
            json_t *n = json_object_get(sp, "name");
            json_t *vo = json_object_get(sp, "voice");
            if (!json_is_object(sp) || !json_is_string(n) || !json_is_string(vo)) {
                rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speakers",
                                  "speaker %zu must be {\"name\": string, \"voice\": string}", i + 1);
                goto out;
            }
            raw.sp_name[i] = json_string_value(n);
            raw.sp_voice[i] = json_string_value(vo);
            raw.nspeakers++;
        }
    }
    rc = validate(cfg, &raw, in, err);
out:
    json_decref(root);
    return rc;
}

enum vc_code vc_tts_input_from_query(const struct vc_config *cfg, vc_tts_getter get, void *ctx,
                                     struct vc_tts_input *in, struct vc_error *err)
{
    struct raw_input raw;
    const char *speed;

    memset(&raw, 0, sizeof(raw));
    raw.text = get(ctx, "text");
    raw.voice = get(ctx, "voice");
    raw.language = get(ctx, "language");
    raw.model = get(ctx, "model");
    raw.title = get(ctx, "title");
    raw.artist = get(ctx, "artist");
    raw.album = get(ctx, "album");
    raw.genre = get(ctx, "genre");
    speed = get(ctx, "speed");
    if (speed != NULL && speed[0] != '\0') {
        char *end;
        errno = 0;
        raw.speed = strtod(speed, &end);
        if (errno != 0 || *end != '\0')
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speed", "speed must be a number");
        raw.has_speed = 1;
    }
    return validate(cfg, &raw, in, err);
}

/* ---- cache key ----------------------------------------------------- */

void vc_tts_cache_key(const struct vc_tts_input *in, char key[VC_SHA256_HEX])
{
    /* Fields joined with the unit separator, which no field may contain
     * unnoticed: text is the last field, the rest are from fixed lists. */
    char head[1024];
    char *buf;
    size_t hl, tl;
    int n;

    n = snprintf(head, sizeof(head), "v1\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%.2f\x1f" OUTPUT_FORMAT "\x1f",
                 in->choice.resolved, in->voice, in->language ? in->language : "",
                 in->nspeakers > 0 ? in->speaker_name[0] : "",
                 in->nspeakers > 0 ? in->speaker_voice[0] : "",
                 in->nspeakers > 1 ? in->speaker_name[1] : "",
                 in->nspeakers > 1 ? in->speaker_voice[1] : "", in->speed);
    hl = n < 0 ? 0 : (size_t)n < sizeof(head) ? (size_t)n : sizeof(head) - 1;
    tl = strlen(in->text);
    buf = malloc(hl + tl);
    if (buf == NULL) {
        /* Out of memory: hash the head alone would collide; an empty key
         * makes the caller's cache checks fail safely instead. */
        key[0] = '\0';
        return;
    }
    memcpy(buf, head, hl);
    memcpy(buf + hl, in->text, tl);
    if (vc_sha256_hex(buf, hl + tl, key) != 0)
        key[0] = '\0';
    free(buf);
}

/* ---- synthesis ----------------------------------------------------- */

enum vc_code vc_tts_render(const struct vc_config *cfg, const struct vc_tts_input *in,
                           unsigned char **wav, size_t *len, struct vc_error *err)
{
    struct vc_tts_request req;
    struct vc_pcm pcm;
    enum vc_code rc;

    memset(&req, 0, sizeof(req));
    req.text = in->text;
    req.voice = in->voice;
    req.language = in->language;
    req.model = in->choice.resolved;
    req.speed = in->speed;
    for (size_t i = 0; i < in->nspeakers; i++) {
        req.speakers[i].name = in->speaker_name[i];
        req.speakers[i].voice = in->speaker_voice[i];
    }
    req.nspeakers = in->nspeakers;

    vc_pcm_init(&pcm, VC_PCM_RATE);
    rc = in->choice.engine->synthesize(cfg, &req, &pcm, err);
    if (rc != VC_OK)
        goto out;
    if (pcm.len == 0) {
        rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "the %s engine produced no audio",
                          in->choice.engine->name);
        goto out;
    }
    rc = vc_pcm_resample(&pcm, VC_PCM_RATE, err);
    if (rc != VC_OK)
        goto out;
    rc = vc_wav_encode(&pcm, wav, len, err);
out:
    vc_pcm_free(&pcm);
    return rc;
}

/* ---- storage ------------------------------------------------------- */

/* Which track a cached key belongs to, remembered per process: a disk-cache
 * hit then needs no database round trip. Tracks are never deleted, so an
 * entry cannot go stale; a collision just costs one query. */
#define KNOWN_SLOTS 4096

static struct {
    char key[VC_SHA256_HEX];
    char id[40];
} known[KNOWN_SLOTS];

static unsigned known_slot(const char *key)
{
    /* The key is a sha256 in hex: its first digits are already uniform. */
    unsigned h = 0;

    for (int i = 0; i < 8; i++)
        h = h * 16 + (unsigned)(key[i] <= '9' ? key[i] - '0' : key[i] - 'a' + 10);
    return h % KNOWN_SLOTS;
}

static int known_get(const char *key, char id[40])
{
    unsigned i = known_slot(key);

    if (strcmp(known[i].key, key) != 0)
        return 0;
    snprintf(id, 40, "%s", known[i].id);
    return 1;
}

static void known_put(const char *key, const char *id)
{
    unsigned i = known_slot(key);

    if (id[0] == '\0')
        return;
    snprintf(known[i].key, sizeof(known[i].key), "%s", key);
    snprintf(known[i].id, sizeof(known[i].id), "%s", id);
}

static const struct vc_stmt st_blob_get = {
    "vc_tts_blob_get", "SELECT wav FROM audio_blobs WHERE cache_key = $1", 1
};
static const struct vc_stmt st_track_by_key = {
    "vc_tts_track_by_key",
    "SELECT id FROM audio_tracks WHERE cache_key = $1 ORDER BY created_at LIMIT 1", 1
};
static const struct vc_stmt st_blob_put = {
    "vc_tts_blob_put",
    "INSERT INTO audio_blobs (cache_key, wav, bytes) VALUES ($1, $2::bytea, length($2::bytea)) "
    "ON CONFLICT (cache_key) DO NOTHING", 2
};
static const struct vc_stmt st_track_put = {
    "vc_tts_track_put",
    "INSERT INTO audio_tracks (status, title, artist, album, genre, duration, channels, "
    " sample_rate, bitrate, format, audio_path, text, voice, language, model, cache_key) "
    "VALUES ('COMPLETED', $1, $2, $3, $4, $5, 1, 24000, 384000, 'wav', $6, $7, $8, $9, $10, $11) "
    /* An async request's PENDING/PROCESSING track is the one completed. */
    "ON CONFLICT (cache_key) WHERE cache_key IS NOT NULL DO UPDATE SET status = 'COMPLETED', "
    " duration = EXCLUDED.duration, channels = 1, sample_rate = 24000, bitrate = 384000, "
    " format = 'wav', audio_path = EXCLUDED.audio_path, error_message = NULL, lease_until = NULL "
    " WHERE audio_tracks.status <> 'COMPLETED' RETURNING id, xmax = 0 AS inserted", 11
};
static const struct vc_stmt st_track_queue = {
    "vc_tts_track_queue",
    "INSERT INTO audio_tracks (status, title, artist, album, genre, text, voice, language, "
    " model, cache_key, speed, speakers) "
    "VALUES ('PENDING', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::real, $11::jsonb) "
    "ON CONFLICT (cache_key) WHERE cache_key IS NOT NULL DO NOTHING RETURNING id", 11
};
static const struct vc_stmt st_track_claim = {
    "vc_tts_track_claim",
    "UPDATE audio_tracks SET status = 'PROCESSING', lease_until = now() + make_interval(secs => $2::int) "
    "WHERE id = $1 AND status = 'PENDING'", 2
};
/* A worker that died mid-synthesis leaves its track PROCESSING: once the
 * lease is over it goes back to PENDING (audited), for any worker. */
static const struct vc_stmt st_requeue = {
    "vc_tts_requeue",
    "WITH r AS (UPDATE audio_tracks SET status = 'PENDING', lease_until = NULL "
    "           WHERE status = 'PROCESSING' AND lease_until < now() AND cache_key IS NOT NULL "
    "           RETURNING id) "
    "INSERT INTO audit_log (action, resource, status, detail) "
    "SELECT 'track.status', 'track:' || id, 'PENDING', "
    "       '{\"from\":\"PROCESSING\",\"to\":\"PENDING\",\"why\":\"lease expired\"}' FROM r", 0
};
static const struct vc_stmt st_take = {
    "vc_tts_take",
    "UPDATE audio_tracks SET status = 'PROCESSING', lease_until = now() + make_interval(secs => $1::int) "
    "WHERE id = (SELECT id FROM audio_tracks WHERE status = 'PENDING' AND cache_key IS NOT NULL "
    "            AND text IS NOT NULL ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, cache_key, json_build_object('text', text, 'voice', voice, 'language', language, "
    " 'model', model, 'speed', speed, 'speakers', speakers)::text", 1
};
static const struct vc_stmt st_track_fail = {
    "vc_tts_track_fail",
    "UPDATE audio_tracks SET status = 'FAILED', error_message = $2, lease_until = NULL "
    "WHERE id = $1 AND status = 'PROCESSING'", 2
};
static const struct vc_stmt st_audit = {
    "vc_tts_audit",
    "INSERT INTO audit_log (action, resource, actor, ip, status) VALUES ($1, $2, $3, $4, $5)", 5
};
static const struct vc_stmt st_try_lock = {
    "vc_tts_try_lock", "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1
};
static const struct vc_stmt st_unlock = {
    "vc_tts_unlock", "SELECT pg_advisory_unlock(hashtextextended($1, 0))", 1
};
static const struct vc_stmt st_track_key = {
    "vc_tts_track_key",
    "SELECT cache_key FROM audio_tracks WHERE id = $1", 1
};

/* Fetch the blob for key into a new buffer. VC_ERR_NOT_FOUND when none. */
static enum vc_code blob_get(struct vc_db *db, const char *key, unsigned char **wav,
                             size_t *len, struct vc_error *err)
{
    const char *params[1] = { key };
    PGresult *res = vc_db_exec_bin(db, &st_blob_get, params, NULL, NULL, 1, err);
    enum vc_code rc = VC_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0) {
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no audio for this key");
        goto out;
    }
    *len = (size_t)PQgetlength(res, 0, 0);
    *wav = malloc(*len ? *len : 1);
    if (*wav == NULL) {
        rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    memcpy(*wav, PQgetvalue(res, 0, 0), *len);
out:
    PQclear(res);
    return rc;
}

static enum vc_code track_by_key(struct vc_db *db, const char *key, char id[40],
                                 struct vc_error *err)
{
    const char *params[1] = { key };
    PGresult *res = vc_db_exec(db, &st_track_by_key, params, err);

    if (res == NULL)
        return err->code;
    id[0] = '\0';
    if (PQntuples(res) == 1)
        snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return VC_OK;
}

struct store_ctx {
    const struct vc_tts_input *in;
    const char *key;
    const unsigned char *wav;
    size_t len;
    const char *actor, *ip;
    char *id;               /* out: 40 bytes */
};

/* A title for a track that was given none: the start of its text. */
static void default_title(const char *text, char *out, size_t len)
{
    size_t n = strcspn(text, "\n");

    if (n >= len)
        n = len - 1;
    /* Do not cut a UTF-8 sequence in two. */
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, text, n);
    out[n] = '\0';
}

static enum vc_code store_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    struct store_ctx *c = vctx;
    const struct vc_tts_input *in = c->in;
    char duration[32], audio_path[128], title[81];
    struct vc_wav_info info;
    const char *bparams[2] = { c->key, (const char *)c->wav };
    int blens[2] = { 0, (int)c->len };
    int bfmts[2] = { 0, 1 };
    PGresult *res;
    int inserted = 1;
    enum vc_code rc;

    rc = vc_wav_parse(c->wav, c->len, &info, err);
    if (rc != VC_OK)
        return rc;
    snprintf(duration, sizeof(duration), "%.3f", info.duration);
    snprintf(audio_path, sizeof(audio_path), "/tts/audio/%s.wav", c->key);
    default_title(in->text, title, sizeof(title));

    res = vc_db_exec_bin(db, &st_blob_put, bparams, blens, bfmts, 0, err);
    if (res == NULL)
        return err->code;
    PQclear(res);
    {
        const char *p[11] = { in->title ? in->title : title, in->artist, in->album, in->genre,
                              duration, audio_path, in->text, in->voice, in->language,
                              in->model, c->key };
        res = vc_db_exec(db, &st_track_put, p, err);
    }
    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 1) {
        snprintf(c->id, 40, "%s", PQgetvalue(res, 0, 0));
        inserted = PQgetvalue(res, 0, 1)[0] == 't';
    }
    PQclear(res);
    if (c->id[0] == '\0') {
        rc = track_by_key(db, c->key, c->id, err);
        if (rc != VC_OK)
            return rc;
        return VC_OK;   /* the track existed: nothing was created */
    }
    {
        char resource[64];
        /* A queued track is completed rather than created. */
        const char *p[5] = { inserted ? "track.create" : "track.complete", resource, c->actor,
                             c->ip, "COMPLETED" };
        snprintf(resource, sizeof(resource), "track:%s", c->id);
        res = vc_db_exec(db, &st_audit, p, err);
    }
    if (res == NULL)
        return err->code;
    PQclear(res);
    return VC_OK;
}

static enum vc_code store(struct vc_db *db, const struct vc_tts_input *in, const char *key,
                          const unsigned char *wav, size_t len, const char *actor,
                          const char *ip, char id[40], struct vc_error *err)
{
    struct store_ctx c = { in, key, wav, len, actor, ip, id };

    id[0] = '\0';
    return vc_db_transaction(db, store_txn, &c, err);
}

static enum vc_code read_cache_file(const struct vc_config *cfg, const char *key,
                                    unsigned char **wav, size_t *len, struct vc_error *err)
{
    char path[VC_CACHE_PATH_MAX];
    FILE *f;
    long size;

    vc_cache_path(cfg, key, path);
    f = fopen(path, "rb");
    if (f == NULL)
        return vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "not in the disk cache");
    size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot read the cached file");
    }
    *wav = malloc((size_t)size);
    if (*wav == NULL || fread(*wav, 1, (size_t)size, f) != (size_t)size) {
        free(*wav);
        *wav = NULL;
        fclose(f);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot read the cached file");
    }
    *len = (size_t)size;
    fclose(f);
    return VC_OK;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for the per-key advisory lock, at most budget_s. */
static enum vc_code lock_key(struct vc_db *db, const char *key, double budget_s,
                             struct vc_error *err)
{
    const char *params[1] = { key };
    double deadline = now_s() + budget_s;

    for (;;) {
        PGresult *res = vc_db_exec(db, &st_try_lock, params, err);
        int got;

        if (res == NULL)
            return err->code;
        got = PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (got)
            return VC_OK;
        if (now_s() > deadline)
            return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL,
                                "timed out waiting for the same synthesis on another worker");
        usleep(LOCK_POLL_US);
    }
}

static void unlock_key(struct vc_db *db, const char *key)
{
    const char *params[1] = { key };
    PGresult *res = vc_db_exec(db, &st_unlock, params, NULL);

    PQclear(res);
}

/* Synthesise and keep only the file: the path when PostgreSQL is away. */
static enum vc_code speak_degraded(const struct vc_config *cfg, const struct vc_tts_input *in,
                                   struct vc_tts_result *res, struct vc_error *err)
{
    unsigned char *wav = NULL;
    size_t len = 0;
    enum vc_code rc;

    res->degraded = 1;
    if (vc_cache_has(cfg, res->key, NULL)) {
        res->hit = 1;
        return VC_OK;
    }
    rc = vc_tts_render(cfg, in, &wav, &len, err);
    if (rc == VC_OK) {
        res->synthesized = 1;
        rc = vc_cache_put(cfg, res->key, wav, len, err);
    }
    free(wav);
    return rc;
}

static enum vc_code speak_stored(const struct vc_config *cfg, struct vc_db *db,
                                 const struct vc_tts_input *in, const char *actor,
                                 const char *ip, struct vc_tts_result *res,
                                 struct vc_error *err);

enum vc_code vc_tts_speak(const struct vc_config *cfg, struct vc_db *db,
                          const struct vc_tts_input *in, const char *actor, const char *ip,
                          struct vc_tts_result *res, struct vc_error *err)
{
    enum vc_code rc;

    memset(res, 0, sizeof(*res));
    vc_tts_cache_key(in, res->key);
    if (res->key[0] == '\0')
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "could not compute the cache key");
    rc = speak_stored(cfg, db, in, actor, ip, res, err);
    if (rc == VC_ERR_UNAVAILABLE) {
        /* PostgreSQL is away (or was lost on the way): the local engine
         * and the disk cache still answer, without a track. */
        vc_log(VC_LOG_WARN, "speech without the database: no track is recorded");
        vc_error_clear(err);
        res->track_id[0] = '\0';
        return speak_degraded(cfg, in, res, err);
    }
    return rc;
}

static enum vc_code speak_stored(const struct vc_config *cfg, struct vc_db *db,
                                 const struct vc_tts_input *in, const char *actor,
                                 const char *ip, struct vc_tts_result *res,
                                 struct vc_error *err)
{
    unsigned char *wav = NULL;
    size_t len = 0;
    int locked = 0;
    double t0;
    enum vc_code rc;

    rc = vc_db_connect(db, err);
    if (rc != VC_OK)
        return rc;

    /* 1. The disk cache: make sure PostgreSQL knows the audio too. */
    if (vc_cache_has(cfg, res->key, NULL)) {
        res->hit = 1;
        if (known_get(res->key, res->track_id))
            return VC_OK;
        rc = track_by_key(db, res->key, res->track_id, err);
        if (rc == VC_OK && res->track_id[0] != '\0')
            goto done;
        if (rc == VC_OK)
            rc = read_cache_file(cfg, res->key, &wav, &len, err);
        if (rc == VC_OK)
            rc = store(db, in, res->key, wav, len, actor, ip, res->track_id, err);
        goto done;
    }

    /* 2. PostgreSQL has it: rebuild the file. */
    rc = blob_get(db, res->key, &wav, &len, err);
    if (rc == VC_OK) {
        res->hit = 1;
        rc = vc_cache_put(cfg, res->key, wav, len, err);
        if (rc == VC_OK)
            rc = track_by_key(db, res->key, res->track_id, err);
        if (rc == VC_OK && res->track_id[0] == '\0')
            rc = store(db, in, res->key, wav, len, actor, ip, res->track_id, err);
        goto done;
    }
    if (rc != VC_ERR_NOT_FOUND)
        goto done;
    vc_error_clear(err);

    /* 3. A miss: one synthesis per key across every worker and host. */
    rc = lock_key(db, res->key, cfg->http_timeout_ms / 1000.0 + cfg->db_timeout_ms / 1000.0, err);
    if (rc != VC_OK)
        goto done;
    locked = 1;
    rc = blob_get(db, res->key, &wav, &len, err);
    if (rc == VC_OK) {
        res->hit = 1;       /* another worker made it while we waited */
        rc = vc_cache_put(cfg, res->key, wav, len, err);
        if (rc == VC_OK)
            rc = track_by_key(db, res->key, res->track_id, err);
        goto done;
    }
    if (rc != VC_ERR_NOT_FOUND)
        goto done;
    vc_error_clear(err);
    t0 = now_s();
    rc = vc_tts_render(cfg, in, &wav, &len, err);
    res->synth_ms = (now_s() - t0) * 1000;
    if (rc != VC_OK)
        goto done;
    res->synthesized = 1;
    t0 = now_s();
    rc = store(db, in, res->key, wav, len, actor, ip, res->track_id, err);
    /* The audio is good even if it could not be recorded: keep the file so
     * the degraded path does not synthesise it again. */
    if (rc == VC_OK || rc == VC_ERR_UNAVAILABLE) {
        struct vc_error put_err;
        enum vc_code put_rc = vc_cache_put(cfg, res->key, wav, len, &put_err);
        if (rc == VC_OK && put_rc != VC_OK) {
            *err = put_err;
            rc = put_rc;
        }
    }
    res->store_ms = (now_s() - t0) * 1000;
done:
    if (locked)
        unlock_key(db, res->key);
    if (rc == VC_OK)
        known_put(res->key, res->track_id);
    free(wav);
    return rc;
}

enum vc_code vc_tts_restore(const struct vc_config *cfg, struct vc_db *db, const char *key,
                            struct vc_error *err)
{
    unsigned char *wav = NULL;
    size_t len = 0;
    enum vc_code rc;

    if (vc_cache_has(cfg, key, NULL))
        return VC_OK;
    rc = blob_get(db, key, &wav, &len, err);
    if (rc == VC_OK)
        rc = vc_cache_put(cfg, key, wav, len, err);
    free(wav);
    return rc;
}

enum vc_code vc_tts_track_key(struct vc_db *db, const char *id, char key[VC_SHA256_HEX],
                              struct vc_error *err)
{
    const char *params[1] = { id };
    PGresult *res = vc_db_exec(db, &st_track_key, params, err);
    enum vc_code rc = VC_OK;

    if (res == NULL)
        return err->code;
    if (PQntuples(res) == 0)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no track %s", id);
    else if (PQgetisnull(res, 0, 0) || strlen(PQgetvalue(res, 0, 0)) != 64)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "track %s has no audio", id);
    else
        snprintf(key, VC_SHA256_HEX, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}


/* ---- asynchronous requests --------------------------------------------- */

/* The speakers as a JSON array (new string), or NULL when there are none. */
static char *speakers_json(const struct vc_tts_input *in)
{
    json_t *arr;
    char *out;

    if (in->nspeakers == 0)
        return NULL;
    arr = json_array();
    for (size_t i = 0; arr != NULL && i < in->nspeakers; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", in->speaker_name[i],
                                             "voice", in->speaker_voice[i]));
    out = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return out;
}

struct queue_ctx {
    const struct vc_tts_input *in;
    const char *key, *ip;
    char *id;
    int *created;
};

static enum vc_code queue_txn(struct vc_db *db, void *vctx, struct vc_error *err)
{
    struct queue_ctx *c = vctx;
    const struct vc_tts_input *in = c->in;
    char title[81], resource[64];
    PGresult *res;

    default_title(in->text, title, sizeof(title));
    {
        char speed[16];
        char *speakers = speakers_json(in);
        const char *p[11] = { in->title ? in->title : title, in->artist, in->album, in->genre,
                              in->text, in->voice, in->language, in->model, c->key, speed,
                              speakers };
        snprintf(speed, sizeof(speed), "%.2f", in->speed);
        res = vc_db_exec(db, &st_track_queue, p, err);
        free(speakers);
    }
    if (res == NULL)
        return err->code;
    *c->created = PQntuples(res) == 1;
    if (*c->created)
        snprintf(c->id, 40, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (!*c->created)
        return track_by_key(db, c->key, c->id, err);
    snprintf(resource, sizeof(resource), "track:%s", c->id);
    {
        const char *p[5] = { "track.create", resource, NULL, c->ip, "PENDING" };
        res = vc_db_exec(db, &st_audit, p, err);
    }
    if (res == NULL)
        return err->code;
    PQclear(res);
    return VC_OK;
}

enum vc_code vc_tts_enqueue(const struct vc_config *cfg, struct vc_db *db,
                            const struct vc_tts_input *in, const char *ip, char id[40],
                            int *created, struct vc_error *err)
{
    char key[VC_SHA256_HEX];
    struct queue_ctx c = { in, key, ip, id, created };

    (void)cfg;
    id[0] = '\0';
    *created = 0;
    vc_tts_cache_key(in, key);
    if (key[0] == '\0')
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "could not compute the cache key");
    return vc_db_transaction(db, queue_txn, &c, err);
}

/* Mark claimed track id FAILED with err's message. */
static void fail_claimed(struct vc_db *db, const char *id, const struct vc_error *err)
{
    const char *p[2] = { id, err->message };
    struct vc_error ignored;
    PGresult *r = vc_db_exec(db, &st_track_fail, p, &ignored);

    PQclear(r);
    vc_log(VC_LOG_WARN, "queued track %s failed: %s", id, err->message);
}

/* Synthesise and store a track this worker has claimed. */
static enum vc_code run_claimed(const struct vc_config *cfg, struct vc_db *db,
                                const struct vc_tts_input *in, const char *id,
                                struct vc_error *err)
{
    struct vc_tts_result res;
    enum vc_code rc;

    memset(&res, 0, sizeof(res));
    vc_tts_cache_key(in, res.key);
    rc = speak_stored(cfg, db, in, NULL, NULL, &res, err);
    if (rc != VC_OK)
        fail_claimed(db, id, err);
    return rc;
}

static const char *lease(const struct vc_config *cfg, char buf[16])
{
    snprintf(buf, 16, "%d", cfg->lease_s);
    return buf;
}

enum vc_code vc_tts_run_queued(const struct vc_config *cfg, struct vc_db *db,
                               const struct vc_tts_input *in, const char *id,
                               struct vc_error *err)
{
    char secs[16];
    const char *params[2] = { id, lease(cfg, secs) };
    PGresult *r = vc_db_exec(db, &st_track_claim, params, err);
    int claimed;

    if (r == NULL)
        return err->code;
    claimed = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    if (!claimed)
        return VC_OK;       /* another worker has it, or it is done */
    return run_claimed(cfg, db, in, id, err);
}

enum vc_code vc_tts_work_queue(const struct vc_config *cfg, struct vc_db *db, int *ran,
                               struct vc_error *err)
{
    char secs[16], id[40], key[VC_SHA256_HEX];
    const char *params[1] = { lease(cfg, secs) };
    struct vc_tts_input in;
    PGresult *r;
    enum vc_code rc;
    char *request;

    *ran = 0;
    r = vc_db_exec(db, &st_requeue, NULL, err);
    if (r == NULL)
        return err->code;
    if (strcmp(PQcmdTuples(r), "0") != 0)
        vc_log(VC_LOG_WARN, "%s track(s) back to PENDING after their lease ran out", PQcmdTuples(r));
    PQclear(r);
    r = vc_db_exec(db, &st_take, params, err);
    if (r == NULL)
        return err->code;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return VC_OK;
    }
    snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
    snprintf(key, sizeof(key), "%s", PQgetvalue(r, 0, 1));
    request = strdup(PQgetvalue(r, 0, 2));
    PQclear(r);
    *ran = 1;
    if (request == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_log(VC_LOG_INFO, "taking queued track %s", id);
    rc = vc_tts_input_from_json(cfg, request, strlen(request), &in, err);
    free(request);
    if (rc != VC_OK) {
        fail_claimed(db, id, err);
        return rc;
    }
    {
        char now_key[VC_SHA256_HEX];
        vc_tts_cache_key(&in, now_key);
        if (strcmp(now_key, key) != 0) {
            /* e.g. an alias now names another model: not this track's audio */
            rc = vc_error_set(err, VC_ERR_CONFLICT, NULL,
                              "the request no longer gives this track's audio");
            fail_claimed(db, id, err);
            vc_tts_input_free(&in);
            return rc;
        }
    }
    rc = run_claimed(cfg, db, &in, id, err);
    vc_tts_input_free(&in);
    return rc;
}
