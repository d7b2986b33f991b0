/* listen.h - opens each pool's FastCGI listen socket once, in the master.
 *
 * A unix socket gets the configured mode; a stale socket file left by a
 * crashed master is removed, but one that still answers is a conflict. The
 * socket is non-blocking so that an idle worker that loses the race for a
 * connection goes back to poll instead of blocking in accept(). */
#ifndef VC_LISTEN_H
#define VC_LISTEN_H

#include "vc_config.h"

/* The listening fd of pool's socket, or -1 with err filled. */
int vc_listen_open(const struct vc_config *cfg, enum vc_pool pool, struct vc_error *err);

/* Close fd (nothing when it is -1) and remove the unix socket file, if
 * that is what cfg names for pool. */
void vc_listen_close(const struct vc_config *cfg, enum vc_pool pool, int fd);

#endif
