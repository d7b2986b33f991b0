/* master.c - the prefork master's state machine, over one or two pools. */
#include "config.h"

#include "master.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "children.h"
#include "listen.h"
#include "signals.h"
#include "vc_hash.h"
#include "vc_log.h"
#include "worker.h"
#include "vc_time.h"
#include "vc_auth.h"
#include "vc_cache.h"

enum master_state { NORMAL, RELOADING, TERMINATING };

/* Crashes closer together than this form a streak that slows respawns. */
#define CRASH_WINDOW_S 30.0
#define BACKOFF_MIN_MS 50.0
#define BACKOFF_MAX_MS 10000.0

struct master {
    struct vc_config *cfg;
    const struct vc_master_options *opt;
    struct vc_scoreboard *sb;
    int listen_fd[VC_POOL_COUNT];   /* -1: the pool is off */
    enum master_state state;
    unsigned generation;
    double term_deadline;
    int killed;
    int crash_streak;
    double last_crash;
    double next_spawn_at;
    int fatal;
};

static void describe_exit(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
    else
        snprintf(buf, len, "stopped (status %d)", status);
}

static void on_crash(struct master *m)
{
    double now = vc_time_mono_s();
    double delay_ms;

    m->sb->h.crashes++;
    if (now - m->last_crash > CRASH_WINDOW_S)
        m->crash_streak = 0;
    m->crash_streak++;
    m->last_crash = now;
    delay_ms = BACKOFF_MIN_MS;
    for (int i = 1; i < m->crash_streak && delay_ms < BACKOFF_MAX_MS; i++)
        delay_ms *= 2;
    if (delay_ms > BACKOFF_MAX_MS)
        delay_ms = BACKOFF_MAX_MS;
    m->next_spawn_at = now + delay_ms / 1000.0;
    if (m->crash_streak > 1)
        vc_log(VC_LOG_WARN, "%d worker crashes in a row: next respawn in %.0f ms",
               m->crash_streak, delay_ms);
}

static void reap(struct master *m)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int i = vc_scoreboard_find(m->sb, pid);
        char how[96];
        int told;

        if (i < 0)
            continue;
        told = vc_scoreboard_state(m->sb, i) == VC_SLOT_STOPPING;
        describe_exit(status, how, sizeof(how));
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            if (!told && m->state != TERMINATING)
                m->sb->h.recycled++;
            vc_log(VC_LOG_INFO, "worker %d %s", (int)pid, how);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == VC_EXIT_CONFIG) {
            m->fatal = 1;
            vc_log(VC_LOG_ERROR, "worker %d cannot run (%s): not respawned", (int)pid, how);
        } else {
            vc_log(VC_LOG_ERROR, "worker %d %s", (int)pid, how);
            if (m->state != TERMINATING)
                on_crash(m);
        }
        vc_scoreboard_release(m->sb, i);
    }
}

struct census {
    int current;        /* live, current generation, not stopping */
    int starting;       /* of those, not ready yet */
    int old;            /* live, older generation, not stopping */
    int old_slot;       /* one old slot to retire */
};

/* The census of one pool. */
static void count(const struct master *m, enum vc_pool pool, struct census *c)
{
    memset(c, 0, sizeof(*c));
    c->old_slot = -1;
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        const struct vc_sb_slot *s = &m->sb->slots[i];
        int st = vc_scoreboard_state(m->sb, i);
        if (s->pid <= 0 || st == VC_SLOT_STOPPING || s->pool != (int)pool)
            continue;
        if (s->generation == m->generation) {
            c->current++;
            if (st == VC_SLOT_STARTING)
                c->starting++;
        } else {
            c->old++;
            if (c->old_slot < 0 || st == VC_SLOT_IDLE)
                c->old_slot = i;
        }
    }
}

static void spawn(struct master *m, enum vc_pool pool)
{
    if (vc_children_spawn(m->sb, m->cfg, pool, m->listen_fd[pool], m->generation) < 0)
        m->next_spawn_at = vc_time_mono_s() + 1.0;
}

static int pool_target(const struct master *m, enum vc_pool pool)
{
    if (m->listen_fd[pool] < 0)
        return 0;
    return pool == VC_POOL_API ? m->cfg->api_workers : m->cfg->workers;
}

/* One step of a rolling reload of pool: 1 while there is work left. */
static int reload_step(struct master *m, enum vc_pool pool)
{
    struct census c;
    int target = pool_target(m, pool);

    count(m, pool, &c);
    if (c.starting > 0)
        return 1;               /* wait for the new worker to be ready */
    if (c.current < target && c.current + c.old <= target) {
        if (vc_time_mono_s() >= m->next_spawn_at)
            spawn(m, pool);
        return 1;
    }
    if (c.old > 0) {
        vc_children_stop(m->sb, c.old_slot);
        return 1;
    }
    return 0;
}

/* Bring each pool towards its target; one step per call while reloading,
 * a pool at a time. */
static void maintain(struct master *m)
{
    if (m->fatal)
        return;
    if (m->state == RELOADING) {
        for (int p = 0; p < VC_POOL_COUNT; p++) {
            if (reload_step(m, (enum vc_pool)p))
                return;
        }
        m->state = NORMAL;
        vc_log(VC_LOG_INFO, "reload done: %d speech and %d api workers of generation %u",
               pool_target(m, VC_POOL_SPEECH), pool_target(m, VC_POOL_API), m->generation);
    }
    for (int p = 0; p < VC_POOL_COUNT; p++) {
        struct census c;
        int target = pool_target(m, (enum vc_pool)p);

        count(m, (enum vc_pool)p, &c);
        while (c.current < target && vc_time_mono_s() >= m->next_spawn_at) {
            spawn(m, (enum vc_pool)p);
            c.current++;
        }
        for (int i = 0; i < VC_SB_SLOTS && c.current > target; i++) {
            int st = vc_scoreboard_state(m->sb, i);
            if (m->sb->slots[i].pid > 0 && m->sb->slots[i].pool == p && st != VC_SLOT_STOPPING) {
                vc_children_stop(m->sb, i);
                c.current--;
            }
        }
    }
}

static void set_targets(struct master *m)
{
    m->sb->h.target_pool[VC_POOL_SPEECH] = pool_target(m, VC_POOL_SPEECH);
    m->sb->h.target_pool[VC_POOL_API] = pool_target(m, VC_POOL_API);
    m->sb->h.target_workers = m->sb->h.target_pool[VC_POOL_SPEECH] + m->sb->h.target_pool[VC_POOL_API];
}

static void begin_reload(struct master *m)
{
    struct vc_config *next;
    struct vc_error err;

    if (m->state == TERMINATING)
        return;
    vc_error_clear(&err);
    if (m->opt->env_file != NULL && vc_config_read_env_file(m->opt->env_file, &err) != VC_OK) {
        vc_log(VC_LOG_ERROR, "reload refused: %s", err.message);
        return;
    }
    next = calloc(1, sizeof(*next));
    if (next == NULL) {
        vc_log(VC_LOG_ERROR, "reload refused: out of memory");
        return;
    }
    if (vc_config_load(next, stderr) != VC_OK) {
        vc_log(VC_LOG_ERROR, "reload refused: the new configuration is invalid (see above)");
        vc_config_free(next);
        free(next);
        return;
    }
    if (strcmp(next->listen, m->cfg->listen) != 0 || strcmp(next->api_listen, m->cfg->api_listen) != 0
        || (next->api_workers > 0) != (m->cfg->api_workers > 0))
        vc_log(VC_LOG_WARN, "VOXCAT_LISTEN, VOXCAT_API_LISTEN and turning the api pool on or off "
               "take effect only on restart");
    /* The sockets stay the ones we opened. */
    free(next->listen);
    free(next->listen_path);
    free(next->api_listen);
    free(next->api_listen_path);
    next->listen = m->cfg->listen;
    next->listen_path = m->cfg->listen_path;
    next->listen_kind = m->cfg->listen_kind;
    next->listen_port = m->cfg->listen_port;
    next->api_listen = m->cfg->api_listen;
    next->api_listen_path = m->cfg->api_listen_path;
    next->api_listen_kind = m->cfg->api_listen_kind;
    next->api_listen_port = m->cfg->api_listen_port;
    if (m->listen_fd[VC_POOL_API] < 0)
        next->api_workers = 0;
    else if (next->api_workers == 0)
        next->api_workers = 1;  /* its socket stays open: keep it served */
    m->cfg->listen = NULL;
    m->cfg->listen_path = NULL;
    m->cfg->api_listen = NULL;
    m->cfg->api_listen_path = NULL;
    vc_config_free(m->cfg);
    free(m->cfg);
    m->cfg = next;
    vc_log_set_level(m->cfg->log_level);

    m->generation++;
    m->sb->h.generation = m->generation;
    set_targets(m);
    m->state = RELOADING;
    m->fatal = 0;
    vc_log(VC_LOG_INFO, "reloading: replacing workers one by one (generation %u, %d speech and "
           "%d api workers)", m->generation, m->cfg->workers, m->cfg->api_workers);
}

static void begin_shutdown(struct master *m, int signo)
{
    if (m->state == TERMINATING)
        return;
    m->state = TERMINATING;
    m->term_deadline = vc_time_mono_s() + m->cfg->shutdown_timeout;
    vc_log(VC_LOG_INFO, "%s: finishing requests in hand, then exiting", strsignal(signo));
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        if (m->sb->slots[i].pid > 0)
            vc_children_stop(m->sb, i);
    }
}

static int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", (int)getpid());
    return fclose(f);
}

/* The master's loop: signals, reaping, respawning, until the pool has
 * stopped. Returns the process exit status. */
static int supervise(struct master *m)
{
    maintain(m);       /* the first workers now, not after a poll timeout */
    for (;;) {
        struct pollfd pfd = { .fd = vc_signals_fd(), .events = POLLIN };
        int sig;

        if (poll(&pfd, 1, m->state == NORMAL && m->next_spawn_at <= vc_time_mono_s() ? 1000 : 50) < 0
            && errno != EINTR) {
            vc_log(VC_LOG_ERROR, "poll: %s", strerror(errno));
            return 1;
        }
        while ((sig = vc_signals_next()) != 0) {
            if (sig == SIGHUP)
                begin_reload(m);
            else if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
                begin_shutdown(m, sig);
        }
        reap(m);
        if (m->state == TERMINATING) {
            if (vc_children_alive(m->sb) == 0)
                return 0;
            if (!m->killed && vc_time_mono_s() >= m->term_deadline) {
                vc_log(VC_LOG_WARN, "shutdown timeout: killing %d workers",
                       vc_children_alive(m->sb));
                vc_children_signal_all(m->sb, SIGKILL);
                m->killed = 1;
            }
            continue;
        }
        maintain(m);
        if (m->fatal && vc_children_alive(m->sb) == 0) {
            vc_log(VC_LOG_ERROR, "no worker can run: exiting");
            return 1;
        }
    }
}

int vc_master_run(struct vc_config *cfg, const struct vc_master_options *opt)
{
    struct master m;
    struct vc_error err;
    int rc = 0;

    memset(&m, 0, sizeof(m));
    m.cfg = cfg;
    m.opt = opt;
    m.state = NORMAL;
    m.generation = 1;
    m.listen_fd[VC_POOL_SPEECH] = m.listen_fd[VC_POOL_API] = -1;
    vc_error_clear(&err);

    m.sb = vc_scoreboard_create();
    if (m.sb == NULL) {
        vc_log(VC_LOG_ERROR, "cannot map the scoreboard: %s", strerror(errno));
        rc = 1;
        goto out;
    }
    m.sb->h.start_time = time(NULL);
    m.sb->h.generation = m.generation;

    if (vc_signals_init() != 0) {
        vc_log(VC_LOG_ERROR, "cannot install signal handlers: %s", strerror(errno));
        rc = 1;
        goto out;
    }
    /* No worker is writing yet: anything in the cache's temporary
     * directory is what a crash left. */
    vc_cache_sweep_temp(cfg);
    /* sha256 is set up here, before the fork: OpenSSL's provider tables
     * are then one copy the workers share, not one each. */
    {
        char hex[VC_SHA256_HEX];
        (void)vc_sha256_hex("", 0, hex);
    }
    /* One memo of verified tokens for the pool: without PostgreSQL, any
     * worker can take the degraded path for a token any worker checked. */
    if (vc_auth_share() != 0)
        vc_log(VC_LOG_WARN, "the token memo is per worker: cannot share memory");
    m.listen_fd[VC_POOL_SPEECH] = vc_listen_open(cfg, VC_POOL_SPEECH, &err);
    if (m.listen_fd[VC_POOL_SPEECH] >= 0 && cfg->api_workers > 0)
        m.listen_fd[VC_POOL_API] = vc_listen_open(cfg, VC_POOL_API, &err);
    if (m.listen_fd[VC_POOL_SPEECH] < 0 || (cfg->api_workers > 0 && m.listen_fd[VC_POOL_API] < 0)) {
        vc_log(VC_LOG_ERROR, "%s", err.message);
        rc = 1;
        goto close;
    }
    set_targets(&m);
    if (opt->pid_file != NULL && write_pid_file(opt->pid_file) != 0) {
        vc_log(VC_LOG_ERROR, "cannot write %s: %s", opt->pid_file, strerror(errno));
        rc = 1;
        goto close;
    }
    vc_log(VC_LOG_INFO, "voxcat-fcgi " PACKAGE_VERSION " listening on %s with %d speech workers%s%s%s",
           cfg->listen, cfg->workers, cfg->api_workers ? ", and on " : "",
           cfg->api_workers ? cfg->api_listen : "", cfg->api_workers ? " with the api pool" : "");
    rc = supervise(&m);
close:
    vc_listen_close(m.cfg, VC_POOL_SPEECH, m.listen_fd[VC_POOL_SPEECH]);
    vc_listen_close(m.cfg, VC_POOL_API, m.listen_fd[VC_POOL_API]);
    if (opt->pid_file != NULL)
        unlink(opt->pid_file);
    vc_log(VC_LOG_INFO, "stopped");
out:
    vc_config_free(m.cfg);
    free(m.cfg);
    return rc;
}
