/* worker.c - one prefork worker: per-process state and the request loop. */
#include "worker.h"

#include <errno.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "conns.h"
#include "reply.h"
#include "router.h"
#include "vc_auth.h"
#include "vc_cache.h"
#include "vc_engines.h"
#include "vc_http.h"
#include "vc_search.h"
#include "vc_tts.h"
#include "vc_log.h"
#include "vc_time.h"

/* Allocations from this size up are mapped on their own (see worker_init). */
#define MMAP_THRESHOLD (4 * 1024 * 1024)

/* A body larger than this is refused before it is read: the largest valid
 * request is a VOXCAT_MAX_TEXT text JSON-escaped (x6) plus the other fields. */
#define BODY_SLACK 16384

static volatile sig_atomic_t stop_requested;

static void on_stop(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void access_log(struct vc_request *req, double ms)
{
    struct vc_log_field f[VC_REQUEST_LOG_MAX + 6];
    size_t n = req->nlog;

    if (VC_LOG_INFO < vc_log_threshold)
        return;
    memcpy(f, req->log, n * sizeof(f[0]));
    f[n++] = (struct vc_log_field){ .key = "method", .type = VC_LOG_STR, .str = req->method };
    f[n++] = (struct vc_log_field){ .key = "path", .type = VC_LOG_STR,
                                    .str = req->path ? req->path : "?" };
    f[n++] = (struct vc_log_field){ .key = "route", .type = VC_LOG_STR,
                                    .str = req->route ? req->route : "-" };
    f[n++] = (struct vc_log_field){ .key = "status", .type = VC_LOG_INT, .num = req->status };
    f[n++] = (struct vc_log_field){ .key = "bytes", .type = VC_LOG_INT,
                                    .num = (long long)req->bytes_out };
    f[n++] = (struct vc_log_field){ .key = "ms", .type = VC_LOG_REAL,
                                    .real = ((long)(ms * 100)) / 100.0 };
    vc_log_fields(VC_LOG_INFO, f, n, "request");
}

/* Counters a request leaves in its own fields (cache, engine) and the
 * library's per-process totals (upstream calls, database connects). */
static void count_extras(struct vc_worker *w, const struct vc_request *req)
{
    struct vc_sb_counters *c = &w->sb->slots[w->slot].c;

    if (req->cache == VC_REQ_CACHE_HIT)
        __atomic_fetch_add(&c->cache_hits, 1, __ATOMIC_RELAXED);
    else if (req->cache == VC_REQ_CACHE_MISS)
        __atomic_fetch_add(&c->cache_misses, 1, __ATOMIC_RELAXED);
}

/* Copy the process's own totals into the slot: after a request, and after
 * the work done outside one (deferred work, the queue), which synthesises
 * too. */
static void sync_totals(struct vc_worker *w)
{
    struct vc_sb_counters *c = &w->sb->slots[w->slot].c;

    for (int k = 0; k < VC_SB_ENGINES; k++) {
        __atomic_store_n(&c->syntheses[k], vc_tts_syntheses((enum vc_engine_id)k), __ATOMIC_RELAXED);
        struct vc_http_stats st;
        vc_http_stats_get(vc_engine_at(k)->name, &st);
        __atomic_store_n(&c->upstream_calls[k], st.calls, __ATOMIC_RELAXED);
        __atomic_store_n(&c->upstream_retries[k], st.retries, __ATOMIC_RELAXED);
        __atomic_store_n(&c->upstream_errors[k], st.errors, __ATOMIC_RELAXED);
        __atomic_store_n(&c->upstream_timeouts[k], st.timeouts, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&c->db_connects, vc_db_connects(w->db), __ATOMIC_RELAXED);
    __atomic_store_n(&c->cache_write_errors, vc_cache_write_errors(), __ATOMIC_RELAXED);
}

/* An idle worker looks at the speech queue this often. */
#define IDLE_TICK_S 1
/* After the queue could not be read (PostgreSQL down, schema missing),
 * leave it alone this long rather than log the same failure every tick. */
#define QUEUE_BACKOFF_S 30

/* Idle time: run one queued speech track, if any (async requests whose
 * worker died, retries of failed ones). */
static void work_queue(struct vc_worker *w)
{
    static time_t quiet_until;
    static time_t last;
    struct vc_error err;
    int ran = 0;
    time_t now = time(NULL);

    /* Called when idle and between requests: a busy worker still looks at
     * the queue once a tick. The queue is synthesis: the speech pool's. */
    if (w->sb->slots[w->slot].pool != VC_POOL_SPEECH || now < quiet_until
        || now - last < IDLE_TICK_S)
        return;
    last = now;
    vc_error_clear(&err);
    vc_scoreboard_set_state(w->sb, w->slot, VC_SLOT_BUSY);
    if (vc_tts_work_queue(w->cfg, w->db, &ran, &err) != VC_OK && !ran)
        quiet_until = time(NULL) + QUEUE_BACKOFF_S;
    /* Idle upkeep of the catalog: after an ANALYZE, which lexemes a
     * prefix stands for (vc_search_rank_lexemes). */
    else if (vc_search_rank_lexemes(w->db, &err) != VC_OK) {
        vc_log(VC_LOG_WARN, "could not rank the catalog's lexemes: %s", err.message);
        quiet_until = time(NULL) + QUEUE_BACKOFF_S;
    }
    if (ran) {
        w->trim_due = 1;
        w->last_work = vc_time_mono_s();
    }
    sync_totals(w);
    vc_scoreboard_set_state(w->sb, w->slot, VC_SLOT_IDLE);
}

struct after_hook {
    void (*fn)(struct vc_worker *w, void *ctx);
    void *ctx;
};

static void serve(struct vc_worker *w, FCGX_Request *fcgx, struct after_hook *hook)
{
    struct vc_request req;
    struct vc_error err;
    double start = (vc_time_mono_s() * 1000000.0);
    double us;

    vc_error_clear(&err);
    if (vc_request_read(&req, fcgx, w, w->cfg->max_text * 6 + BODY_SLACK, &err) != VC_OK) {
        req.route_index = vc_route_count() - 1;     /* unrouted */
        vc_log_set_request_id(req.request_id);
        vc_reply_error(&req, &err);
    } else {
        vc_log_set_request_id(req.request_id);
        req.route_index = vc_route_count() - 1;     /* until routed */
        vc_route(&req);
    }
    /* No flush here: the answer's last bytes go out with the end-of-request
     * record, in one write, when the request is finished. Sent apart, a
     * client that had its whole body could close before nginx read the
     * end record, and nginx would then close the kept connection under it. */
    us = (vc_time_mono_s() * 1000000.0) - start;
    access_log(&req, us / 1000.0);
    vc_scoreboard_count(w->sb, w->slot, req.route_index, req.status, (uint64_t)us);
    count_extras(w, &req);
    sync_totals(w);
    hook->fn = req.after;
    hook->ctx = req.after_ctx;
    vc_request_free(&req);
    vc_log_set_request_id(NULL);
}

static void install_worker_signals(sigset_t *waitmask)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;        /* no SA_RESTART: ppoll must return */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    /* Ctrl-C reaches the whole process group; the master decides. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);

    /* Stop signals are blocked except inside ppoll, so a request in hand
     * is always finished before the flag is seen. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGQUIT);
    sigprocmask(SIG_BLOCK, &block, waitmask);
    sigdelset(waitmask, SIGTERM);
    sigdelset(waitmask, SIGQUIT);
}

/* Per-process state, made after fork: the database handles, the FastCGI
 * connections (the shared socket and the kept ones), and the engines
 * (espeak-ng keeps global state: one engine per process). A worker that
 * cannot have them exits VC_EXIT_CONFIG and is not respawned. */
static void worker_init(struct vc_worker *w, struct vc_conns *conns, int listen_fd)
{
    const struct vc_config *cfg = w->cfg;
    struct vc_error err;

    vc_error_clear(&err);
    /* A synthesis allocates audio buffers of up to a few megabytes and
     * frees them. Mapped afresh each time they cost some 600 page faults
     * a synthesis (a tenth of an uncached request's time); from the heap
     * they are reused, and trim_when_idle hands the heap's free pages
     * back. A fixed threshold also stops glibc's adaptive one from
     * growing to 32 MB after one long text: larger blocks (over a minute
     * and a half of audio) are still mapped on their own and go back on free. */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD);
    w->db = vc_db_new(cfg->database_url, cfg->db_timeout_ms, 1);
    w->db_read = cfg->database_url_read[0]
        ? vc_db_new(cfg->database_url_read, cfg->db_timeout_ms, 1) : w->db;
    if (w->db != NULL)
        vc_auth_watch(w->db);       /* revocations reach this worker by NOTIFY */
    if (w->db == NULL || w->db_read == NULL || FCGX_Init() != 0
        || vc_conns_init(conns, listen_fd) != 0) {
        vc_log(VC_LOG_ERROR, "worker initialisation failed");
        _exit(VC_EXIT_CONFIG);
    }
    if (vc_engines_init(cfg, &err) != VC_OK) {
        vc_log(VC_LOG_ERROR, "%s", err.message);
        _exit(VC_EXIT_CONFIG);
    }
}

/* Whether the connection may stay open after this answer: not when the
 * worker has deferred work to do before it reads again, or will exit
 * (nginx would send its next request to a worker that is not reading).
 * A redirect's connection is kept too, though nginx never reuses it
 * (conns.h): FastCGI says the application does not close a connection
 * it was asked to keep, and another client may reuse it. */
static int may_keep(const struct vc_worker *w, const struct after_hook *hook)
{
    const struct vc_config *cfg = w->cfg;

    if (hook->fn != NULL || stop_requested)
        return 0;
    if (cfg->max_requests > 0 && w->served + 1 >= (unsigned long)cfg->max_requests)
        return 0;
    return 1;
}

static void serve_one(struct vc_worker *w, struct vc_conns *conns, FCGX_Request *fcgx)
{
    struct after_hook hook = { NULL, NULL };

    vc_scoreboard_set_state(w->sb, w->slot, VC_SLOT_BUSY);
    serve(w, fcgx, &hook);
    vc_conns_finish(conns, fcgx, may_keep(w, &hook));
    __atomic_store_n(&w->sb->slots[w->slot].c.connections, conns->accepted, __ATOMIC_RELAXED);
    /* The client has its answer: now the deferred work. */
    if (hook.fn != NULL) {
        hook.fn(w, hook.ctx);
        sync_totals(w);
    }
    work_queue(w);
    vc_scoreboard_set_state(w->sb, w->slot, VC_SLOT_IDLE);
    w->served++;
    w->trim_due = 1;
    w->last_work = vc_time_mono_s();
}

/* After a second with nothing to do: hand the heap's free pages back. A
 * synthesis leaves megabytes of freed small blocks that the heap keeps
 * (3.4 MB of heap after a few hundred, 0.7 MB live); trimmed after every
 * request they would only be faulted in again by the next one (about a
 * millisecond a synthesis), so it is done when the worker is idle. */
static void trim_when_idle(struct vc_worker *w)
{
    /* The wait also ends without a request while busy (another worker
     * took the connection, a kept one closed): idle means a whole tick. */
    if (!w->trim_due || vc_time_mono_s() - w->last_work < IDLE_TICK_S)
        return;
    w->trim_due = 0;
    (void)malloc_trim(0);
}

void vc_worker_main(const struct vc_config *cfg, struct vc_scoreboard *sb,
                    int slot, int listen_fd)
{
    struct vc_worker w;
    struct vc_conns conns;
    FCGX_Request *fcgx;
    sigset_t waitmask;
    pid_t parent = getppid();
    int code = 0;

    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    w.sb = sb;
    w.slot = slot;

    install_worker_signals(&waitmask);
    /* A worker must not outlive its master. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(0);
    worker_init(&w, &conns, listen_fd);
    vc_scoreboard_set_state(sb, slot, VC_SLOT_IDLE);
    vc_log(VC_LOG_DEBUG, "worker ready in slot %d", slot);

    while (!stop_requested) {
        struct timespec idle = { IDLE_TICK_S, 0 };
        int failed;

        /* Revocations are read as they arrive, not looked for on each
         * request (one system call less on a cache hit). */
        vc_conns_watch_extra(&conns, vc_auth_notify_fd(w.db), vc_db_connects(w.db));
        fcgx = vc_conns_wait(&conns, &idle, &waitmask, &failed);
        if (conns.extra_ready)
            vc_auth_notify_ready(w.db);
        if (failed) {
            vc_log(VC_LOG_ERROR, "poll on the worker's sockets failed: %s", strerror(errno));
            code = 1;
            break;
        }
        if (fcgx == NULL) {
            if (!stop_requested && !conns.extra_ready) {
                work_queue(&w);
                trim_when_idle(&w);
            }
            continue;
        }
        serve_one(&w, &conns, fcgx);
        if (cfg->max_requests > 0 && w.served >= (unsigned long)cfg->max_requests) {
            vc_log(VC_LOG_INFO, "recycling after %lu requests", w.served);
            break;
        }
    }
    /* A request nginx sent on the kept connection before the stop is
     * answered, not dropped. */
    while ((fcgx = vc_conns_pending(&conns)) != NULL)
        serve_one(&w, &conns, fcgx);
    vc_scoreboard_set_state(sb, slot, VC_SLOT_STOPPING);
    vc_conns_close(&conns);
    vc_engines_shutdown();
    if (w.db_read != w.db)
        vc_db_free(w.db_read);
    vc_db_free(w.db);
    exit(code);
}
