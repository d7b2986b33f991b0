/* master.h - the prefork master: a small state machine over the pool.
 *
 * NORMAL keeps VOXCAT_WORKERS workers alive, respawning the dead with a
 * backoff when they crash in a cluster. RELOADING (SIGHUP) re-reads the
 * configuration and replaces workers one by one: a new worker must be ready
 * before an old one is told to finish, so no request fails. TERMINATING
 * (SIGTERM, SIGINT, SIGQUIT) lets workers finish what they hold, kills what
 * is left after VOXCAT_SHUTDOWN_TIMEOUT, removes the socket and exits 0.
 * The master itself serves no request. */
#ifndef VC_MASTER_H
#define VC_MASTER_H

#include "scoreboard.h"
#include "vc_config.h"

struct vc_master_options {
    const char *env_file;   /* re-read on SIGHUP; may be NULL */
    const char *pid_file;   /* may be NULL */
};

/* Run the master until shutdown. Takes ownership of cfg (freed on exit).
 * Returns the process exit status. */
int vc_master_run(struct vc_config *cfg, const struct vc_master_options *opt);

#endif
