/* handle_status.c - GET /status, /status/live and /status/ready.
 *
 * /status is 200 whenever the process answers: "ok" with the database up,
 * "degraded" without it (speech still works from the engines and the disk
 * cache). /status/ready is what a load balancer asks: 503 without the
 * database. Worker and request figures come from the shared scoreboard, so
 * any worker reports the whole pool. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "handlers.h"
#include "vc_db.h"
#include "vc_engines.h"
#include "vc_auth.h"
#include "vc_cache.h"
#include "vc_queue.h"
#include "worker.h"

/* The pool as a whole, each pool on its own ("pools"), and each worker. */
static json_t *workers_json(const struct vc_scoreboard *sb)
{
    struct vc_pool_census c[VC_POOL_COUNT];
    json_t *list = json_array();
    json_t *pools = json_object();

    vc_scoreboard_census(sb, c);
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        const struct vc_sb_slot *s = &sb->slots[i];
        if (s->pid <= 0)
            continue;
        json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:I, s:i, s:I}",
            "pid", (int)s->pid, "pool", vc_pool_name(s->pool),
            "state", vc_slot_state_name(vc_scoreboard_state(sb, i)),
            "requests", (json_int_t)__atomic_load_n(&s->c.requests, __ATOMIC_RELAXED),
            "generation", (int)s->generation, "started_at", (json_int_t)s->started_at));
    }
    for (int p = 0; p < VC_POOL_COUNT; p++)
        json_object_set_new(pools, vc_pool_name(p), json_pack("{s:i, s:i, s:i, s:i, s:I}",
            "configured", sb->h.target_pool[p], "alive", c[p].alive, "busy", c[p].busy,
            "idle", c[p].idle, "requests", (json_int_t)c[p].requests));
    return json_pack("{s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:o, s:o}",
                     "configured", sb->h.target_workers,
                     "alive", c[VC_POOL_SPEECH].alive + c[VC_POOL_API].alive,
                     "busy", c[VC_POOL_SPEECH].busy + c[VC_POOL_API].busy,
                     "idle", c[VC_POOL_SPEECH].idle + c[VC_POOL_API].idle,
                     "spawned", (json_int_t)sb->h.spawned, "crashes", (json_int_t)sb->h.crashes,
                     "recycled", (json_int_t)sb->h.recycled, "pools", pools, "list", list);
}

static json_t *requests_json(const struct vc_sb_counters *t)
{
    return json_pack("{s:I, s:{s:I, s:I, s:I, s:I}}",
                     "total", (json_int_t)t->requests, "by_class",
                     "2xx", (json_int_t)t->by_class[2], "3xx", (json_int_t)t->by_class[3],
                     "4xx", (json_int_t)t->by_class[4], "5xx", (json_int_t)t->by_class[5]);
}

static json_t *db_json(struct vc_worker *w, int *up)
{
    struct vc_error err;
    double ms = 0;

    vc_error_clear(&err);
    *up = vc_db_ping(w->db, &ms, &err) == VC_OK;
    if (*up)
        return json_pack("{s:b, s:f, s:I}", "reachable", 1, "latency_ms",
                         ((long)(ms * 1000)) / 1000.0,
                         "connects", (json_int_t)vc_db_connects(w->db));
    return json_pack("{s:b, s:s, s:I}", "reachable", 0, "error", err.message,
                     "connects", (json_int_t)vc_db_connects(w->db));
}

/* Engine availability, with the pool's upstream counters beside it. */
static json_t *engines_json(struct vc_worker *w, const struct vc_sb_counters *t)
{
    json_t *out = vc_engines_status_json(w->cfg);

    for (int e = 0; out != NULL && e < VC_SB_ENGINES; e++) {
        json_t *one = json_object_get(out, vc_engine_at(e)->name);
        if (one == NULL)
            continue;
        json_object_set_new(one, "syntheses", json_integer((json_int_t)t->syntheses[e]));
        if (!vc_engine_at(e)->remote)
            continue;       /* a local engine makes no upstream calls */
        json_object_set_new(one, "calls", json_integer((json_int_t)t->upstream_calls[e]));
        json_object_set_new(one, "retries", json_integer((json_int_t)t->upstream_retries[e]));
        json_object_set_new(one, "errors", json_integer((json_int_t)t->upstream_errors[e]));
        json_object_set_new(one, "timeouts", json_integer((json_int_t)t->upstream_timeouts[e]));
    }
    return out;
}

/* The disk cache: degraded when it cannot take files (the audio is then
 * served from PostgreSQL by the workers). */
static json_t *cache_json(struct vc_worker *w, const struct vc_sb_counters *t)
{
    unsigned long long free_bytes = 0;
    int ok = vc_cache_healthy(w->cfg, &free_bytes);

    return json_pack("{s:s, s:s, s:I, s:I, s:I}", "dir", w->cfg->cache_dir,
                     "status", ok ? "ok" : "degraded", "free_bytes", (json_int_t)free_bytes,
                     "max_bytes", (json_int_t)w->cfg->cache_max_bytes,
                     "write_errors", (json_int_t)t->cache_write_errors);
}

/* Tracks waiting or being made ({} without the database). */
static json_t *queue_json(struct vc_worker *w, int db_up)
{
    struct vc_error err;
    json_t *out = NULL;

    vc_error_clear(&err);
    if (db_up)
        out = vc_queue_counts(w->db, w->cfg->max_retries, &err);
    return out != NULL ? out : json_object();
}

/* Who is asking, so a page can say which token is in use; for an admin
 * token, every token's usage today as well. */
static json_t *auth_json(struct vc_request *req, int db_up)
{
    char scopes[128] = "";
    json_t *out;

    if (req->authenticated)
        vc_scopes_format(req->token.scopes, scopes, sizeof(scopes));
    out = json_pack("{s:s, s:s?, s:s?}", "mode", req->worker->cfg->auth,
                    "token", req->authenticated ? req->token.name : NULL,
                    "scopes", req->authenticated ? scopes : NULL);
    if (out != NULL && db_up && req->authenticated && vc_token_allows(&req->token, VC_SCOPE_ADMIN)) {
        struct vc_error err;
        json_t *tokens;
        vc_error_clear(&err);
        tokens = vc_auth_list(req->worker->db, &err);
        if (tokens != NULL)
            json_object_set_new(out, "tokens", tokens);
    }
    return out;
}

enum vc_code vc_handle_status(struct vc_request *req, struct vc_error *err)
{
    struct vc_worker *w = req->worker;
    json_t *body;
    int db_up = 0;
    json_t *db = db_json(w, &db_up);
    struct vc_sb_counters *totals = malloc(sizeof(*totals));

    if (totals == NULL) {
        json_decref(db);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    vc_scoreboard_totals(w->sb, totals);

    body = json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "status", db_up ? "ok" : "degraded",
                     "version", PACKAGE_VERSION,
                     "uptime_s", (json_int_t)(time(NULL) - w->sb->h.start_time),
                     "pid", (json_int_t)getpid(),
                     "db", db,
                     "engines", engines_json(w, totals),
                     "workers", workers_json(w->sb),
                     "requests", requests_json(totals),
                     "cache", cache_json(w, totals),
                     "queue", queue_json(w, db_up),
                     "auth", auth_json(req, db_up));
    free(totals);
    if (body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "could not build the status");
    vc_reply_json(req, 200, body, "Cache-Control: no-store\r\n");
    json_decref(body);
    return VC_OK;
}

enum vc_code vc_handle_status_live(struct vc_request *req, struct vc_error *err)
{
    json_t *body = json_pack("{s:s}", "status", "live");

    if (body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_reply_json(req, 200, body, "Cache-Control: no-store\r\n");
    json_decref(body);
    return VC_OK;
}

enum vc_code vc_handle_status_ready(struct vc_request *req, struct vc_error *err)
{
    json_t *body;

    if (vc_db_ping(req->worker->db, NULL, err) != VC_OK) {
        err->retry_after = 5;
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "not ready: database unavailable");
    }
    body = json_pack("{s:s}", "status", "ready");
    if (body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    vc_reply_json(req, 200, body, "Cache-Control: no-store\r\n");
    json_decref(body);
    return VC_OK;
}
