/* vc_store.c - audio blobs and tracks in PostgreSQL, the single-flight
 * lock, and the per-process key -> track memo. */
#include "vc_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vc_audit.h"
#include "vc_cache.h"
#include "vc_pcm.h"
#include "vc_wav.h"
#include "vc_time.h"

#define LOCK_POLL_US 50000
#define MEMO_SLOTS 4096

static const struct vc_stmt st_blob_get = {
    "vc_store_blob_get", "SELECT wav, format FROM audio_blobs WHERE cache_key = $1", 1
};
static const struct vc_stmt st_track_by_key = {
    "vc_store_track_by_key",
    "SELECT id FROM audio_tracks WHERE cache_key = $1 AND ($2::bool OR status = 'COMPLETED') "
    "ORDER BY created_at LIMIT 1", 2
};
static const struct vc_stmt st_blob_put = {
    "vc_store_blob_put",
    "INSERT INTO audio_blobs (cache_key, wav, bytes, format) "
    "VALUES ($1, $2::bytea, length($2::bytea), $3) ON CONFLICT (cache_key) DO NOTHING", 3
};
/* The track, and its audit row in the same statement: the pipeline that
 * sends it with the blob cannot wait for the track's id. */
static const struct vc_stmt st_track_put = {
    "vc_store_track_put",
    "WITH t AS ("
    "INSERT INTO audio_tracks (status, title, artist, album, genre, duration, channels, "
    " sample_rate, bitrate, format, audio_path, text, voice, language, model, cache_key) "
    "VALUES ('COMPLETED', $1, $2, $3, $4, $5::float8, 1, $12::int, $13::int, $14, $6, $7, $8, $9, "
    "        $10, $11) "
    /* An async request's PENDING/PROCESSING track is the one completed. */
    "ON CONFLICT (cache_key) WHERE cache_key IS NOT NULL DO UPDATE SET status = 'COMPLETED', "
    " duration = EXCLUDED.duration, channels = 1, sample_rate = EXCLUDED.sample_rate, "
    " bitrate = EXCLUDED.bitrate, format = EXCLUDED.format, audio_path = EXCLUDED.audio_path, "
    " error_message = NULL, lease_until = NULL "
    " WHERE audio_tracks.status <> 'COMPLETED' RETURNING id, xmax = 0 AS inserted), "
    "a AS (INSERT INTO " VC_AUDIT_INTO " "
    " SELECT CASE WHEN inserted THEN 'track.create' ELSE 'track.complete' END, "
    "        'track:' || id, $15, $16, 'COMPLETED', NULL FROM t) "
    "SELECT id FROM t", 16
};
static const struct vc_stmt st_track_key = {
    "vc_store_track_key", "SELECT cache_key, format FROM audio_tracks WHERE id = $1", 1
};
static const struct vc_stmt st_try_lock = {
    "vc_store_try_lock", "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1
};
static const struct vc_stmt st_unlock = {
    "vc_store_unlock", "SELECT pg_advisory_unlock(hashtextextended($1, 0))", 1
};

/* The blob of a vc_store_blob_get result (binary) into a new buffer:
 * *wav stays NULL when there was none. */
static enum vc_code take_blob(const struct vc_result *res, unsigned char **wav, size_t *len,
                              enum vc_format *format, struct vc_error *err)
{
    char name[16];
    size_t n;

    *wav = NULL;
    *len = 0;
    if (vc_result_rows(res) == 0)
        return VC_OK;
    *len = vc_result_length(res, 0, 0);
    *wav = malloc(*len ? *len : 1);
    if (*wav == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    memcpy(*wav, vc_result_value(res, 0, 0), *len);
    /* Binary results: the format's text comes as its bytes, unterminated. */
    n = vc_result_length(res, 0, 1);
    snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
             vc_result_value(res, 0, 1));
    if (vc_format_parse(name, format) != 0)
        *format = VC_FORMAT_WAV;
    return VC_OK;
}

enum vc_code vc_store_blob_get(struct vc_db *db, const char *key, unsigned char **wav,
                               size_t *len, enum vc_format *format, struct vc_error *err)
{
    const char *params[1] = { key };
    struct vc_result *res = vc_db_exec_bin(db, &st_blob_get, params, NULL, NULL, 1, err);
    enum vc_code rc;

    if (res == NULL)
        return err->code;
    rc = take_blob(res, wav, len, format, err);
    vc_result_free(res);
    if (rc == VC_OK && *wav == NULL)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no audio for this key");
    return rc;
}

enum vc_code vc_store_track_by_key(struct vc_db *db, const char *key, int any_status,
                                   char id[VC_UUID_SIZE], struct vc_error *err)
{
    const char *params[2] = { key, any_status ? "t" : "f" };
    struct vc_result *res = vc_db_exec(db, &st_track_by_key, params, err);

    if (res == NULL)
        return err->code;
    id[0] = '\0';
    if (vc_result_rows(res) == 1)
        snprintf(id, VC_UUID_SIZE, "%s", vc_result_value(res, 0, 0));
    vc_result_free(res);
    return VC_OK;
}

enum vc_code vc_store_put(struct vc_db *db, const struct vc_tts_input *in, const char *key,
                          const unsigned char *wav, size_t len, double duration,
                          const struct vc_actor *who, vc_store_meanwhile_fn meanwhile,
                          void *ctx, char id[VC_UUID_SIZE], struct vc_error *err)
{
    char duration_s[32], audio_path[128], title[81], rate[16], bitrate[24];
    const char *format = vc_format_name(in->format);
    const char *bparams[3] = { key, (const char *)wav, format };
    int blens[3] = { 0, (int)len, 0 };
    int bfmts[3] = { 0, 1, 0 };
    const char *tparams[16] = { in->title ? in->title : title, in->artist, in->album, in->genre,
                                duration >= 0 ? duration_s : NULL, audio_path, in->text,
                                in->voice, in->language, in->model, key, rate, bitrate, format,
                                vc_audit_actor_name(who), who ? who->ip : NULL };
    /* Blob, track and audit row: one transaction, one round trip. It may
     * run twice (a lost answer): the blob is kept once, a COMPLETED track
     * is not touched again, and its audit row comes only with a change. */
    const struct vc_db_step steps[2] = {
        { &st_blob_put, bparams, blens, bfmts, 0 },
        { &st_track_put, tparams, NULL, NULL, 0 },
    };
    struct vc_result *res[2];
    enum vc_code rc;

    id[0] = '\0';
    snprintf(duration_s, sizeof(duration_s), "%.3f", duration);
    snprintf(audio_path, sizeof(audio_path), "/tts/audio/%s.%s", key, format);
    snprintf(rate, sizeof(rate), "%u", (unsigned)VC_PCM_RATE);
    /* What the file costs a second of audio, container included. */
    snprintf(bitrate, sizeof(bitrate), "%.0f",
             duration > 0 ? len * 8 / duration : VC_PCM_RATE * 16.0);
    vc_track_default_title(in->text, title, sizeof(title));

    res[0] = res[1] = NULL;
    rc = vc_db_pipeline_send(db, steps, 2, 1, err);
    if (rc == VC_OK) {
        if (meanwhile != NULL)
            meanwhile(ctx);
        rc = vc_db_pipeline_end(db, res, err);
    }
    if (rc == VC_OK && vc_result_rows(res[1]) == 1)
        snprintf(id, VC_UUID_SIZE, "%s", vc_result_value(res[1], 0, 0));
    vc_result_free(res[0]);
    vc_result_free(res[1]);
    if (rc == VC_OK && id[0] == '\0') {    /* the track existed: nothing was created */
        rc = vc_store_track_by_key(db, key, 1, id, err);
        /* The audio is stored: not finding its owner is the database
         * failing, never a refusal of the audio. */
        if (rc != VC_OK && rc != VC_ERR_UNAVAILABLE)
            rc = vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    }
    return rc;
}

enum vc_code vc_store_restore(const struct vc_config *cfg, struct vc_db *db, const char *key,
                              enum vc_format f, struct vc_error *err)
{
    unsigned char *wav = NULL;
    size_t len = 0;
    enum vc_format held;
    enum vc_code rc;

    if (vc_cache_has(cfg, key, f, NULL))
        return VC_OK;
    rc = vc_store_blob_get(db, key, &wav, &len, &held, err);
    if (rc == VC_OK && held != f)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no %s audio for this key", vc_format_name(f));
    if (rc == VC_OK)
        rc = vc_cache_put(cfg, key, f, wav, len, err);
    free(wav);
    return rc;
}

/* The memos keep keys and ids as bytes: half the memory of the hex. A
 * table, since a hit packs 64 digits on the hit path: each digit's value
 * plus one, 0 for what is no hex digit. */
static const unsigned char hex_plus1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
    ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hex_value(char c)
{
    return (int)hex_plus1[(unsigned char)c] - 1;
}

/* 2n hex digits as n bytes; -1 when they are not exactly that. */
static int pack_hex(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(hex[2 * i]), lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return hex[2 * n] == '\0' ? 0 : -1;
}

static void unpack_hex(const unsigned char *in, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[in[i] >> 4];
        hex[2 * i + 1] = digits[in[i] & 15];
    }
    hex[2 * n] = '\0';
}

static unsigned memo_slot(const char *key)
{
    /* A sha256 or a random uuid in hex: its first digits are already
     * uniform. */
    unsigned h = 0;

    for (int i = 0; i < 8; i++)
        h = h * 16 + (unsigned)(hex_value(key[i]) & 15);
    return h % MEMO_SLOTS;
}

/* Tracks to their keys: a track's cache key and format are set when it
 * is made and never change (tracks are never deleted), so an old link's
 * /tts/<id>.wav needs no round trip once seen. */
static struct {
    unsigned char id[16], key[32];
    unsigned char format, used;
} id_memo[MEMO_SLOTS];

/* A uuid's 32 hex digits as 16 bytes; -1 when it is not one. */
static int pack_uuid(const char *id, unsigned char out[16])
{
    char hex[33];
    size_t n = 0;

    for (const char *p = id; *p != '\0'; p++) {
        if (*p == '-')
            continue;
        if (n == 32)
            return -1;
        hex[n++] = *p;
    }
    hex[n] = '\0';
    return n == 32 ? pack_hex(hex, out, 16) : -1;
}

static void unpack_uuid(const unsigned char in[16], char id[VC_UUID_SIZE])
{
    static const unsigned char groups[] = { 8, 4, 4, 4, 12 };
    char hex[33];
    size_t at = 0, from = 0;

    unpack_hex(in, 16, hex);
    for (size_t g = 0; g < sizeof(groups); g++) {
        if (g > 0)
            id[at++] = '-';
        memcpy(id + at, hex + from, groups[g]);
        at += groups[g];
        from += groups[g];
    }
    id[at] = '\0';
}

enum vc_code vc_store_track_key(struct vc_db *db, const char *id, char key[VC_SHA256_HEX],
                                enum vc_format *format, struct vc_error *err)
{
    const char *params[1] = { id };
    unsigned slot = memo_slot(id);
    struct vc_result *res;
    enum vc_code rc = VC_OK;
    unsigned char packed[16];
    int known = pack_uuid(id, packed) == 0;

    if (known && id_memo[slot].used && memcmp(id_memo[slot].id, packed, 16) == 0) {
        unpack_hex(id_memo[slot].key, 32, key);
        *format = (enum vc_format)id_memo[slot].format;
        return VC_OK;
    }
    res = vc_db_exec(db, &st_track_key, params, err);
    if (res == NULL)
        return err->code;
    if (vc_result_rows(res) == 0)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "no track %s", id);
    else if (vc_result_isnull(res, 0, 0) || strlen(vc_result_value(res, 0, 0)) != 64)
        rc = vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "track %s has no audio", id);
    else
        snprintf(key, VC_SHA256_HEX, "%s", vc_result_value(res, 0, 0));
    if (rc == VC_OK && vc_format_parse(vc_result_value(res, 0, 1), format) != 0)
        *format = VC_FORMAT_WAV;
    vc_result_free(res);
    if (rc == VC_OK && known && pack_hex(key, id_memo[slot].key, 32) == 0) {
        memcpy(id_memo[slot].id, packed, 16);
        id_memo[slot].format = (unsigned char)*format;
        id_memo[slot].used = 1;
    }
    return rc;
}

enum vc_code vc_store_lock(struct vc_db *db, const char *key, double budget_s, int *busy,
                           unsigned char **wav, size_t *len, enum vc_format *format,
                           struct vc_error *err)
{
    const char *params[1] = { key };
    /* The blob is read in the lock's round trip, by a statement of its
     * own after it: it sees what the holder committed before letting go. */
    const struct vc_db_step steps[2] = {
        { &st_try_lock, params, NULL, NULL, 0 },
        { &st_blob_get, params, NULL, NULL, 1 },
    };
    double deadline = vc_time_mono_s() + budget_s;

    *wav = NULL;
    for (;;) {
        struct vc_result *res[2];
        /* Sent again on a lost answer: the lost session's lock went with it. */
        enum vc_code rc = vc_db_pipeline(db, steps, 2, 1, res, err);
        int got = res[0] != NULL && vc_result_value(res[0], 0, 0)[0] == 't';

        if (rc == VC_OK && got)
            rc = take_blob(res[1], wav, len, format, err);
        vc_result_free(res[0]);
        vc_result_free(res[1]);
        if (rc != VC_OK) {
            if (got)        /* a session's lock outlives a failed transaction */
                vc_store_unlock(db, key);
            return rc;
        }
        if (got)
            return VC_OK;
        if (vc_time_mono_s() > deadline) {
            *busy = 1;
            err->retry_after = 1;
            return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL,
                                "timed out waiting for the same synthesis on another worker");
        }
        usleep(LOCK_POLL_US);
    }
}

void vc_store_unlock(struct vc_db *db, const char *key)
{
    const char *params[1] = { key };

    vc_result_free(vc_db_exec(db, &st_unlock, params, NULL));
}

/* Keys to their tracks (every page of the table is touched once a worker
 * has seen a few hundred keys). */
static struct {
    unsigned char key[32], id[16];
    unsigned char used;
} memo[MEMO_SLOTS];

int vc_store_memo_get(const char *key, char id[VC_UUID_SIZE])
{
    unsigned i = memo_slot(key);
    unsigned char packed[32];

    if (!memo[i].used || pack_hex(key, packed, 32) != 0 || memcmp(memo[i].key, packed, 32) != 0)
        return 0;
    unpack_uuid(memo[i].id, id);
    return 1;
}

void vc_store_memo_put(const char *key, const char *id)
{
    unsigned i = memo_slot(key);

    if (id[0] == '\0' || pack_hex(key, memo[i].key, 32) != 0 || pack_uuid(id, memo[i].id) != 0) {
        memo[i].used = 0;
        return;
    }
    memo[i].used = 1;
}
