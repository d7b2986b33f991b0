/* worker.h - one prefork worker: its per-process state and request loop.
 *
 * Everything here is created after fork, in the worker: the database
 * connection (lazy, reconnecting), the speech engines, the HTTP client.
 * The worker accepts on the shared listen socket and reads the connection
 * nginx keeps to it (conns.h), serves one request at a time, and exits 0 when told to stop (after the request in hand) or after
 * VOXCAT_MAX_REQUESTS requests. */
#ifndef VC_WORKER_H
#define VC_WORKER_H

#include <time.h>

#include "scoreboard.h"
#include "vc_config.h"
#include "vc_db.h"

/* A worker whose configuration cannot work exits VC_EXIT_CONFIG
 * (vc_config.h): the master does not respawn it, so a crash loop of a
 * misconfigured worker is not hidden. */

struct vc_worker {
    const struct vc_config *cfg;    /* borrowed from the master's copy */
    struct vc_scoreboard *sb;
    int slot;
    struct vc_db *db;               /* owned */
    struct vc_db *db_read;          /* owned; == db when no replica is set */
    unsigned long served;
    int trim_due;                   /* worked since the heap was last trimmed */
    double last_work;               /* monotonic seconds at the end of the last work */
};

/* Run the worker loop on listen_fd; never returns. */
void vc_worker_main(const struct vc_config *cfg, struct vc_scoreboard *sb,
                    int slot, int listen_fd) __attribute__((noreturn));

#endif
