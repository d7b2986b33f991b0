/* vc_auth.h - API tokens: their scopes, their secrets (only the sha256 is
 * kept), revocation, and the daily character quota each may spend on
 * synthesis.
 *
 * A token is "vc_" and 43 URL-safe base64 characters (256 random bits),
 * shown once by `voxcat token create`. Lookups go by the sha256 of what a
 * client sends: a miss costs the same index probe whatever the secret,
 * and the hash of an attacker's guess says nothing about the hashes that
 * exist. A worker remembers a token it verified for a minute, and every
 * revocation is NOTIFYed to every worker, which forgets what it
 * remembered before its next request: a revocation holds on the next
 * request on every worker and host. While PostgreSQL is unreachable a
 * worker accepts a token it verified in the last five minutes (for the
 * degraded local speech path). Quotas count the characters
 * synthesised per UTC day and engine in PostgreSQL; a request that would
 * pass the quota is refused before the engine runs. */
#ifndef VC_AUTH_H
#define VC_AUTH_H

#include <jansson.h>
#include <stddef.h>

#include "vc_db.h"
#include "vc_error.h"
#include "vc_track.h"

enum vc_scope {
    VC_SCOPE_TTS = 1 << 0,              /* synthesise with local engines */
    VC_SCOPE_TTS_REMOTE = 1 << 1,       /* synthesise with paid engines */
    VC_SCOPE_CATALOG_WRITE = 1 << 2,    /* status transitions */
    VC_SCOPE_READ = 1 << 3,             /* reads, when reads are protected */
    VC_SCOPE_ADMIN = 1 << 4,            /* everything */
};

#define VC_TOKEN_NAME_MAX 64        /* with the NUL */
#define VC_TOKEN_SECRET_SIZE 47     /* "vc_" + 43 characters + NUL */

struct vc_token {
    char id[VC_UUID_SIZE];
    char name[VC_TOKEN_NAME_MAX];
    unsigned scopes;                /* enum vc_scope bits */
    long long daily_chars;          /* -1: no quota */
};

/* "tts:remote" for one scope bit (static), NULL for anything else. */
const char *vc_scope_name(unsigned scope);

/* A comma-separated list ("tts,read") into bits: 0, or -1 naming the first
 * unknown scope in err. */
int vc_scopes_parse(const char *list, unsigned *out, struct vc_error *err);

/* The scopes as "tts,read" into out. */
void vc_scopes_format(unsigned scopes, char *out, size_t len);

/* Whether t may act with scope (admin may do anything). */
int vc_token_allows(const struct vc_token *t, unsigned scope);

/* Whether name is a valid token name: 1-63 of A-Z a-z 0-9 . _ - */
int vc_token_name_valid(const char *name);

/* Make a token name with scopes and a daily quota (-1: none): the secret
 * into secret, shown once and never stored. VC_ERR_CONFLICT when the name
 * is taken. */
enum vc_code vc_auth_create(struct vc_db *db, const char *name, unsigned scopes,
                            long long daily_chars, char secret[VC_TOKEN_SECRET_SIZE],
                            struct vc_error *err) VC_MUST_CHECK;

/* Revoke token name: VC_ERR_NOT_FOUND when there is no live token so
 * called. */
enum vc_code vc_auth_revoke(struct vc_db *db, const char *name,
                            struct vc_error *err) VC_MUST_CHECK;

/* Every token, without secrets, with today's usage by engine (new
 * reference): [{name, scopes, daily_chars, created_at, last_used_at,
 * revoked_at, used_today:{engine: chars}, used_today_total}]. */
json_t *vc_auth_list(struct vc_db *db, struct vc_error *err);

/* Share the memo of verified tokens with the processes forked from now
 * on (the master, before its first worker): 0, or -1 when it cannot. */
int vc_auth_share(void);

/* Have this process trust tokens it verified within the last minute
 * without asking again, told of revocations by NOTIFY on db (call before
 * db first connects: a worker's). */
void vc_auth_watch(struct vc_db *db);

/* For a loop that waits on the watched connection's socket itself, so
 * lookups need not read it: the socket to wait on before each wait, or -1
 * (not watching, or the connection is down: lookups read it then). */
int vc_auth_notify_fd(struct vc_db *db);

/* The loop found that socket ready: take the NOTIFYs it brought. */
void vc_auth_notify_ready(struct vc_db *db);

/* The live token whose secret is secret into out: VC_ERR_UNAUTHORIZED
 * when unknown or revoked; VC_ERR_UNAVAILABLE without the database. */
enum vc_code vc_auth_lookup(struct vc_db *db, const char *secret, struct vc_token *out,
                            struct vc_error *err) VC_MUST_CHECK;

/* A charge taken: what a refund gives back, and the UTC day it counted
 * on (a synthesis can end after midnight). */
struct vc_charge {
    long chars;
    char day[16];           /* YYYY-MM-DD */
};

/* Charge chars characters synthesised by engine to token_id's quota for
 * today, into *out: VC_ERR_QUOTA_EXCEEDED (err->retry_after: seconds to
 * the next UTC day) when it would go past the quota, and nothing is
 * charged. */
enum vc_code vc_auth_charge(struct vc_db *db, const char *token_id, const char *engine,
                            long chars, struct vc_charge *out,
                            struct vc_error *err) VC_MUST_CHECK;

/* Give back charge c, whose synthesis failed, on its own day. Failures
 * are logged. */
void vc_auth_refund(struct vc_db *db, const char *token_id, const char *engine,
                    const struct vc_charge *c);

#endif
