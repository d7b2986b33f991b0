/* vc_auth.c - API tokens, scopes and daily quotas. */
#include "vc_auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vc_hash.h"
#include "vc_log.h"
#include "vc_time.h"

#define SECRET_PREFIX "vc_"
#define CHANNEL "vc_tokens"     /* where changes to tokens are NOTIFYed (sql/011) */
#define SECRET_BYTES 32

static const struct {
    unsigned bit;
    const char *name;
} scopes[] = {
    { VC_SCOPE_TTS, "tts" },
    { VC_SCOPE_TTS_REMOTE, "tts:remote" },
    { VC_SCOPE_CATALOG_WRITE, "catalog:write" },
    { VC_SCOPE_READ, "read" },
    { VC_SCOPE_ADMIN, "admin" },
};

#define NSCOPES (sizeof(scopes) / sizeof(scopes[0]))

static const struct vc_stmt st_create = {
    "vc_auth_create",
    "INSERT INTO api_tokens (name, token_sha256, scopes, daily_chars) "
    "VALUES ($1, $2, string_to_array($3, ','), $4::bigint)", 4
};
/* Every watching worker hears of it at commit (the trigger of 011). */
static const struct vc_stmt st_revoke = {
    "vc_auth_revoke",
    "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", 1
};
/* last_used_at is written at most once a minute per token: a hot token
 * must not turn every request into a row update. */
static const struct vc_stmt st_lookup = {
    "vc_auth_lookup",
    "WITH t AS (SELECT id, name, scopes, daily_chars, last_used_at FROM api_tokens "
    "           WHERE token_sha256 = $1 AND revoked_at IS NULL), "
    "     u AS (UPDATE api_tokens a SET last_used_at = now() FROM t WHERE a.id = t.id "
    "           AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')) "
    "SELECT id, name, array_to_string(scopes, ','), coalesce(daily_chars, -1) FROM t", 1
};
static const struct vc_stmt st_list = {
    "vc_auth_list",
    "SELECT coalesce(jsonb_agg(jsonb_build_object('name', a.name, 'scopes', a.scopes, "
    " 'daily_chars', a.daily_chars, 'created_at', a.created_at, 'last_used_at', a.last_used_at, "
    " 'revoked_at', a.revoked_at, 'used_today', coalesce(u.by_engine, '{}'), "
    " 'used_today_total', coalesce(u.total, 0)) ORDER BY a.created_at, a.name), '[]')::text "
    "FROM api_tokens a LEFT JOIN ("
    " SELECT token_id, jsonb_object_agg(engine, chars) AS by_engine, sum(chars) AS total "
    " FROM token_usage WHERE day = (now() AT TIME ZONE 'UTC')::date GROUP BY token_id) u "
    " ON u.token_id = a.id", 0
};
/* The charge's commit need not wait for the disk: the store that follows
 * a synthesis commits synchronously, which flushes the log past this
 * commit too; only a crash during the synthesis can lose a charge, and
 * then the caller got no audio. It saves a log flush per synthesis. */
static const struct vc_stmt st_async_commit = {
    "vc_auth_async_commit", "SELECT set_config('synchronous_commit', 'off', true)", 0
};
/* The token's row lock orders concurrent charges. */
static const struct vc_stmt st_quota = {
    "vc_auth_quota",
    "SELECT coalesce(daily_chars, -1) FROM api_tokens WHERE id = $1 FOR UPDATE", 1
};
/* The charge, taken only within the quota. It is a statement of its own
 * after the lock (in the same pipeline), so it sees every charge that
 * committed while this one waited. The quota (-1: none), the day's use
 * before it, whether it was taken, and the day it counts on. */
static const struct vc_stmt st_charge = {
    "vc_auth_charge",
    "WITH d AS (SELECT (now() AT TIME ZONE 'UTC')::date AS day), "
    "q AS (SELECT coalesce(daily_chars, -1) AS quota FROM api_tokens WHERE id = $1), "
    "u AS (SELECT coalesce(sum(chars), 0) AS used FROM token_usage, d "
    "      WHERE token_id = $1 AND token_usage.day = d.day), "
    "c AS (INSERT INTO token_usage (token_id, day, engine, chars) "
    "      SELECT $1, d.day, $2, $3::bigint FROM q, u, d "
    "      WHERE q.quota < 0 OR u.used + $3::bigint <= q.quota "
    "      ON CONFLICT (token_id, day, engine) "
    "      DO UPDATE SET chars = token_usage.chars + EXCLUDED.chars RETURNING 1) "
    "SELECT q.quota, u.used, EXISTS (SELECT FROM c), d.day::text FROM q, u, d", 3
};
/* A refund takes back what the charge added, on the day the charge
 * counted on: a synthesis that fails after UTC midnight gives back
 * yesterday's characters, not the new day's. Not an upsert: its row of
 * -n would fail token_usage's CHECK (chars >= 0) before any conflict is
 * looked at, so every refund was refused. */
static const struct vc_stmt st_refund = {
    "vc_auth_refund",
    "UPDATE token_usage SET chars = greatest(chars - $3::bigint, 0) "
    "WHERE token_id = $1 AND day = $4::date AND engine = $2", 4
};

const char *vc_scope_name(unsigned scope)
{
    for (size_t i = 0; i < NSCOPES; i++) {
        if (scopes[i].bit == scope)
            return scopes[i].name;
    }
    return NULL;
}

int vc_scopes_parse(const char *list, unsigned *out, struct vc_error *err)
{
    const char *p = list;

    *out = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i;

        for (i = 0; i < NSCOPES; i++) {
            if (strlen(scopes[i].name) == n && strncmp(scopes[i].name, p, n) == 0)
                break;
        }
        if (i == NSCOPES) {
            vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "scopes",
                         "unknown scope \"%.*s\" (tts, tts:remote, catalog:write, read, admin)",
                         (int)(n > 40 ? 40 : n), p);
            return -1;
        }
        *out |= scopes[i].bit;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

void vc_scopes_format(unsigned bits, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t i = 0; i < NSCOPES; i++) {
        if (!(bits & scopes[i].bit))
            continue;
        if (out[0])
            strncat(out, ",", len - strlen(out) - 1);
        strncat(out, scopes[i].name, len - strlen(out) - 1);
    }
}

int vc_token_allows(const struct vc_token *t, unsigned scope)
{
    return (t->scopes & VC_SCOPE_ADMIN) || (t->scopes & scope) == scope;
}

int vc_token_name_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n >= VC_TOKEN_NAME_MAX)
        return 0;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* A new secret: the prefix and 32 random bytes as URL-safe base64. */
static enum vc_code new_secret(char secret[VC_TOKEN_SECRET_SIZE], struct vc_error *err)
{
    unsigned char raw[SECRET_BYTES];
    char b64[64];
    int n;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "no random bytes for a token");
    n = EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    snprintf(secret, VC_TOKEN_SECRET_SIZE, SECRET_PREFIX "%.*s", n, b64);
    return VC_OK;
}

enum vc_code vc_auth_create(struct vc_db *db, const char *name, unsigned bits,
                            long long daily_chars, char secret[VC_TOKEN_SECRET_SIZE],
                            struct vc_error *err)
{
    char hash[VC_SHA256_HEX], list[128], quota[32];
    const char *params[4] = { name, hash, list, NULL };
    struct vc_result *res;
    enum vc_code rc;

    secret[0] = '\0';
    if (!vc_token_name_valid(name))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "name",
                            "a token name is 1-63 of A-Z, a-z, 0-9, '.', '_' and '-'");
    if (bits == 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "scopes", "a token needs a scope");
    rc = new_secret(secret, err);
    if (rc != VC_OK)
        return rc;
    if (vc_sha256_hex(secret, strlen(secret), hash) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot hash the token");
    vc_scopes_format(bits, list, sizeof(list));
    if (daily_chars >= 0) {
        snprintf(quota, sizeof(quota), "%lld", daily_chars);
        params[3] = quota;
    }
    res = vc_db_exec(db, &st_create, params, err);
    if (res == NULL) {
        secret[0] = '\0';
        if (err->code == VC_ERR_CONFLICT)
            vc_error_set(err, VC_ERR_CONFLICT, "name", "a token named %s exists", name);
        return err->code;
    }
    vc_result_free(res);
    return VC_OK;
}

enum vc_code vc_auth_revoke(struct vc_db *db, const char *name, struct vc_error *err)
{
    const char *params[1] = { name };
    struct vc_result *res = vc_db_exec(db, &st_revoke, params, err);
    long n;

    if (res == NULL)
        return err->code;
    n = vc_result_affected(res);
    vc_result_free(res);
    if (n == 0)
        return vc_error_set(err, VC_ERR_NOT_FOUND, "name", "no live token named %s", name);
    return VC_OK;
}

json_t *vc_auth_list(struct vc_db *db, struct vc_error *err)
{
    struct vc_result *res = vc_db_exec(db, &st_list, NULL, err);
    json_t *out;

    if (res == NULL)
        return NULL;
    out = vc_db_json(res, err);
    vc_result_free(res);
    return out;
}

/* Tokens verified lately, by hash: this process's, or the whole pool's
 * once the master has shared the memo (vc_auth_share). A worker that
 * watches (vc_auth_watch) trusts an entry for FRESH_S without asking
 * PostgreSQL: a change to a token NOTIFYs every watching connection with
 * its id, which is forgotten before the next request is looked at (after
 * a reconnect, which may have missed some, nothing is fresh until checked
 * again). Without the database an entry serves for MEMO_TTL_S, so speech
 * keeps its degraded path on every worker for a token any worker saw;
 * nothing can be revoked then anyway. */
#define MEMO_SLOTS 16
#define MEMO_TTL_S 300.0
#define FRESH_S 60.0

static int watching;
static unsigned long watched_connects;
/* A worker's loop may poll the watched connection's socket itself
 * (vc_auth_notify_fd): a NOTIFY is then read as it arrives, and a lookup
 * takes only what libpq read during other queries, with no system call.
 * polled_connects names the connection the loop polls: a lookup on any
 * other (a reconnect since) reads the socket itself. A connection whose
 * socket failed to read is not handed out again. */
static int polled;
static unsigned long polled_connects, failed_connects;
/* Entries verified before this may have missed a NOTIFY (a reconnect
 * came since): not fresh any more, though still good for the degraded
 * path, which only runs while nothing can be revoked. */
static double stale_before;

struct memo_block {
    pthread_mutex_t lock;       /* process-shared and robust once shared */
    int shared;
    struct {
        char hash[VC_SHA256_HEX];
        struct vc_token token;
        double at;
    } e[MEMO_SLOTS];
};

static struct memo_block local_memo;
static struct memo_block *mb = &local_memo;

int vc_auth_share(void)
{
    pthread_mutexattr_t attr;
    struct memo_block *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (b == MAP_FAILED)
        return -1;
    memset(b, 0, sizeof(*b));
    if (pthread_mutexattr_init(&attr) != 0
        || pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0
        || pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) != 0
        || pthread_mutex_init(&b->lock, &attr) != 0) {
        munmap(b, sizeof(*b));
        return -1;
    }
    pthread_mutexattr_destroy(&attr);
    b->shared = 1;
    mb = b;
    return 0;
}

static void memo_lock(void)
{
    /* A worker killed while holding the lock: what it was writing may be
     * half done, so the memo starts over. */
    if (mb->shared && pthread_mutex_lock(&mb->lock) == EOWNERDEAD) {
        memset(mb->e, 0, sizeof(mb->e));
        pthread_mutex_consistent(&mb->lock);
    }
}

static void memo_unlock(void)
{
    if (mb->shared)
        pthread_mutex_unlock(&mb->lock);
}

void vc_auth_watch(struct vc_db *db)
{
    vc_db_listen(db, CHANNEL);
    watching = 1;
}

/* A NOTIFY's payload is the id of the token that changed: forget it. */
static void memo_forget(void *ctx, const char *token_id)
{
    (void)ctx;
    memo_lock();
    for (size_t i = 0; i < MEMO_SLOTS; i++) {
        if (strcmp(mb->e[i].token.id, token_id) == 0)
            memset(&mb->e[i], 0, sizeof(mb->e[i]));
    }
    memo_unlock();
}

int vc_auth_notify_fd(struct vc_db *db)
{
    int fd = watching ? vc_db_socket(db) : -1;

    if (fd < 0 || (failed_connects != 0 && failed_connects == vc_db_connects(db))) {
        polled = 0;
        return -1;
    }
    polled = 1;
    polled_connects = vc_db_connects(db);
    return fd;
}

void vc_auth_notify_ready(struct vc_db *db)
{
    if (polled && vc_db_notified(db, 1, memo_forget, NULL) < 0) {
        polled = 0;
        failed_connects = vc_db_connects(db);
    }
}

static void memo_put(const char *hash, const struct vc_token *t)
{
    size_t slot = 0;

    memo_lock();
    for (size_t i = 0; i < MEMO_SLOTS; i++) {
        if (strcmp(mb->e[i].hash, hash) == 0) {
            slot = i;
            break;
        }
        if (mb->e[i].at < mb->e[slot].at)
            slot = i;
    }
    snprintf(mb->e[slot].hash, sizeof(mb->e[slot].hash), "%s", hash);
    mb->e[slot].token = *t;
    mb->e[slot].at = vc_time_mono_s();
    memo_unlock();
}

static int memo_get(const char *hash, double ttl, double after, struct vc_token *out)
{
    int found = 0;

    memo_lock();
    for (size_t i = 0; i < MEMO_SLOTS && !found; i++) {
        if (mb->e[i].at > after && strcmp(mb->e[i].hash, hash) == 0
            && vc_time_mono_s() - mb->e[i].at < ttl) {
            *out = mb->e[i].token;
            found = 1;
        }
    }
    memo_unlock();
    return found;
}

/* The hash of the last secret seen, kept in this process: a client sends
 * the same token request after request, and hashing it cost as much as
 * the rest of the token check. The secret is compared in constant time,
 * so how long the comparison takes says nothing about it. */
static int hash_secret(const char *secret, char hash[VC_SHA256_HEX])
{
    static char last[VC_TOKEN_SECRET_SIZE];
    static char last_hash[VC_SHA256_HEX];

    if (last_hash[0] != '\0' && CRYPTO_memcmp(last, secret, VC_TOKEN_SECRET_SIZE - 1) == 0) {
        memcpy(hash, last_hash, VC_SHA256_HEX);
        return 0;
    }
    if (vc_sha256_hex(secret, VC_TOKEN_SECRET_SIZE - 1, hash) != 0)
        return -1;
    memcpy(last, secret, VC_TOKEN_SECRET_SIZE - 1);
    memcpy(last_hash, hash, VC_SHA256_HEX);
    return 0;
}

enum vc_code vc_auth_lookup(struct vc_db *db, const char *secret, struct vc_token *out,
                            struct vc_error *err)
{
    char hash[VC_SHA256_HEX];
    const char *params[1] = { hash };
    struct vc_result *res;
    enum vc_code rc = VC_OK;

    memset(out, 0, sizeof(*out));
    /* Never echo the secret: the messages here name no part of it. */
    if (strncmp(secret, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0
        || strlen(secret) != VC_TOKEN_SECRET_SIZE - 1)
        return vc_error_set(err, VC_ERR_UNAUTHORIZED, NULL, "the token is not valid");
    if (hash_secret(secret, hash) != 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot hash the token");
    if (watching) {
        /* -1: the connection is down, nothing can be known; the memo stays
         * for the degraded path below, but is not trusted as fresh. */
        int read = !polled || polled_connects != vc_db_connects(db);
        int news = vc_db_notified(db, read, memo_forget, NULL);
        if (vc_db_connects(db) != watched_connects) {
            stale_before = vc_time_mono_s();    /* a new connection may have missed some */
            watched_connects = vc_db_connects(db);
        } else if (news >= 0 && memo_get(hash, FRESH_S, stale_before, out)) {
            return VC_OK;
        }
    }
    res = vc_db_exec(db, &st_lookup, params, err);
    if (res == NULL) {
        if (err->code == VC_ERR_UNAVAILABLE && memo_get(hash, MEMO_TTL_S, 0, out)) {
            vc_error_clear(err);
            return VC_OK;
        }
        return err->code;
    }
    if (vc_result_rows(res) != 1) {
        rc = vc_error_set(err, VC_ERR_UNAUTHORIZED, NULL, "the token is not valid");
    } else {
        snprintf(out->id, sizeof(out->id), "%s", vc_result_value(res, 0, 0));
        snprintf(out->name, sizeof(out->name), "%s", vc_result_value(res, 0, 1));
        if (vc_scopes_parse(vc_result_value(res, 0, 2), &out->scopes, NULL) != 0)
            rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "a token has an unknown scope");
        out->daily_chars = strtoll(vc_result_value(res, 0, 3), NULL, 10);
    }
    vc_result_free(res);
    if (rc == VC_OK) {
        /* A connection made by this very query may have missed a NOTIFY
         * about the others, not about what the query just read. */
        if (vc_db_connects(db) != watched_connects) {
            stale_before = vc_time_mono_s();
            watched_connects = vc_db_connects(db);
        }
        memo_put(hash, out);
    }
    return rc;
}

enum vc_code vc_auth_charge(struct vc_db *db, const char *token_id, const char *engine,
                            long chars, struct vc_charge *out, struct vc_error *err)
{
    char n[24];
    const char *id[1] = { token_id };
    const char *charge[3] = { token_id, engine, n };
    /* One transaction, one round trip. */
    const struct vc_db_step steps[3] = {
        { &st_async_commit, NULL, NULL, NULL, 0 },
        { &st_quota, id, NULL, NULL, 0 },
        { &st_charge, charge, NULL, NULL, 0 },
    };
    struct vc_result *res[3];
    long long quota = 0, used = 0;
    int charged = 0;
    enum vc_code rc;

    snprintf(n, sizeof(n), "%ld", chars);
    /* Never sent twice: a charge whose answer was lost may have been taken. */
    rc = vc_db_pipeline(db, steps, 3, 0, res, err);
    /* No row: the token is gone, and has no quota left. */
    if (rc == VC_OK && vc_result_rows(res[2]) == 1) {
        quota = strtoll(vc_result_value(res[2], 0, 0), NULL, 10);
        used = strtoll(vc_result_value(res[2], 0, 1), NULL, 10);
        charged = vc_result_value(res[2], 0, 2)[0] == 't';
        out->chars = chars;
        snprintf(out->day, sizeof(out->day), "%s", vc_result_value(res[2], 0, 3));
    }
    for (int i = 0; i < 3; i++)
        vc_result_free(res[i]);
    if (rc != VC_OK || charged)
        return rc;
    err->retry_after = vc_time_to_utc_midnight_s();
    return vc_error_set(err, VC_ERR_QUOTA_EXCEEDED, NULL,
                        "this token's daily quota of %lld characters is used up "
                        "(%lld used, %ld asked)", quota, used, chars);
}

void vc_auth_refund(struct vc_db *db, const char *token_id, const char *engine,
                    const struct vc_charge *c)
{
    char n[24];
    const char *params[4] = { token_id, engine, n, c->day };
    struct vc_error err;

    snprintf(n, sizeof(n), "%ld", c->chars);
    vc_error_clear(&err);
    vc_result_free(vc_db_exec(db, &st_refund, params, &err));
    if (err.code != VC_OK)
        vc_log(VC_LOG_WARN, "could not refund %ld characters: %s", c->chars, err.message);
}
