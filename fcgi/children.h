/* children.h - forking, signalling and reaping workers.
 *
 * The scoreboard slot is taken before fork() and signals are blocked around
 * it, so a child never runs a master handler and the master never loses a
 * SIGCHLD for a child it has not recorded yet. */
#ifndef VC_CHILDREN_H
#define VC_CHILDREN_H

#include <sys/types.h>

#include "scoreboard.h"
#include "vc_config.h"

/* Fork one worker of pool, on that pool's listen_fd, of the given
 * generation. Returns its pid, or -1 (no slot, or fork failed; logged). */
pid_t vc_children_spawn(struct vc_scoreboard *sb, const struct vc_config *cfg,
                        enum vc_pool pool, int listen_fd, unsigned generation);

/* Ask the worker in slot i to finish its request and exit. */
void vc_children_stop(struct vc_scoreboard *sb, int i);

/* Send sig to every live worker. */
void vc_children_signal_all(struct vc_scoreboard *sb, int sig);

/* Live workers (any generation, any state). */
int vc_children_alive(const struct vc_scoreboard *sb);

#endif
