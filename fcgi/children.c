/* children.c - forking, signalling and reaping workers. */
#include "children.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"
#include "vc_log.h"
#include "worker.h"

pid_t vc_children_spawn(struct vc_scoreboard *sb, const struct vc_config *cfg,
                        enum vc_pool pool, int listen_fd, unsigned generation)
{
    sigset_t all, old;
    int slot = vc_scoreboard_alloc(sb);
    pid_t pid;

    if (slot < 0) {
        vc_log(VC_LOG_ERROR, "no free scoreboard slot for a new worker");
        return -1;
    }
    sb->slots[slot].pool = pool;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid = fork();
    if (pid == 0) {
        vc_signals_child_reset();
        sigprocmask(SIG_SETMASK, &old, NULL);
        vc_worker_main(cfg, sb, slot, listen_fd);
    }
    if (pid < 0) {
        int e = errno;
        vc_scoreboard_release(sb, slot);
        sigprocmask(SIG_SETMASK, &old, NULL);
        vc_log(VC_LOG_ERROR, "fork failed: %s", strerror(e));
        return -1;
    }
    sb->slots[slot].generation = generation;
    sb->slots[slot].started_at = time(NULL);
    __atomic_store_n(&sb->slots[slot].pid, pid, __ATOMIC_RELAXED);
    sb->h.spawned++;
    sigprocmask(SIG_SETMASK, &old, NULL);
    vc_log(VC_LOG_INFO, "started %s worker %d in slot %d (generation %u)", vc_pool_name(pool),
           (int)pid, slot, generation);
    return pid;
}

void vc_children_stop(struct vc_scoreboard *sb, int i)
{
    pid_t pid = sb->slots[i].pid;

    vc_scoreboard_set_state(sb, i, VC_SLOT_STOPPING);
    if (pid > 0)
        kill(pid, SIGTERM);
}

void vc_children_signal_all(struct vc_scoreboard *sb, int sig)
{
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        pid_t pid = sb->slots[i].pid;
        if (pid > 0)
            kill(pid, sig);
    }
}

int vc_children_alive(const struct vc_scoreboard *sb)
{
    int n = 0;

    for (int i = 0; i < VC_SB_SLOTS; i++) {
        if (sb->slots[i].pid > 0)
            n++;
    }
    return n;
}
