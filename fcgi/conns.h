/* conns.h - a worker's FastCGI connections: the shared listen socket and
 * the connections nginx keeps alive to this worker (fastcgi_keep_conn on).
 *
 * nginx sends request after request over a kept connection, and opens a
 * new one whenever none of its idle ones is free; that new connection
 * already carries a request. So a worker never sits on its kept
 * connections alone: it polls them and the listen socket, and serves
 * whichever has a request. It keeps every connection nginx asks it to
 * keep: FastCGI has no way to say "do not reuse this", and a connection
 * closed while nginx picks it again fails the request nginx sends on it
 * (nginx retries a GET elsewhere, never a POST). Kept connections are
 * closed only when the worker exits, or after an idle time longer than
 * nginx's own keepalive_timeout (voxcat-http.conf), so nginx closes first.
 *
 * An answer that is an X-Accel-Redirect ends its connection whatever was
 * asked: nginx finalises the upstream request on the headers and closes
 * it (the END_REQUEST that follows meets a closed socket, EPIPE, which is
 * ignored). Keep-alive helps the answers nginx reads to the end.
 *
 * The cost is head-of-line waiting: a request nginx sends on a connection
 * of a busy worker waits for that worker, even while another worker is
 * idle; a new connection waits in the listen socket's one queue for the
 * first worker free. So voxcat.conf keeps alive only the api pool's short
 * reads (status, the lists, a track by id): not the speech pool (its
 * workers do long work outside requests: async speech, the queue), and
 * not search, whose answers take from one to tens of milliseconds (kept
 * alive, the p99 of the search benchmark's mix was 70 ms against 41). */
#ifndef VC_CONNS_H
#define VC_CONNS_H

#include <fcgiapp.h>
#include <signal.h>
#include <time.h>

/* More than nginx opens to one worker in practice (keepalive 32 per nginx
 * worker, spread over the pool); when full, the worker stops accepting
 * and the others take the new connections. */
#define VC_CONNS_MAX 16

struct vc_conns {
    int listen_fd;
    /* One epoll set per worker. The listen socket is in it with
     * EPOLLEXCLUSIVE: a new connection wakes one idle worker, not the
     * whole pool to race for it. */
    int ep;
    int listening;                      /* the listen socket is in the set */
    int local;                          /* it is a unix socket */
    FCGX_Request req[VC_CONNS_MAX];     /* ipcFd < 0: a free slot */
    int watched[VC_CONNS_MAX];          /* the fd in the set, or -1 */
    double last_used[VC_CONNS_MAX];
    unsigned long accepted;             /* connections accepted */
    /* One more socket in the set (vc_conns_watch_extra), and whether the
     * last wait found it ready. */
    int extra_fd;
    unsigned long extra_gen;
    int extra_ready;
};

/* libfcgi must be initialised (FCGX_Init) first. -1 when the epoll set
 * cannot be made. */
int vc_conns_init(struct vc_conns *cs, int listen_fd);

/* Wait up to timeout for a request on a kept connection or a new one,
 * with sigmask installed while waiting (epoll_pwait). Returns the request to
 * serve, or NULL on timeout, signal, or a connection that closed or
 * brought no request (*failed set when poll itself failed). */
FCGX_Request *vc_conns_wait(struct vc_conns *cs, const struct timespec *timeout,
                            const sigset_t *sigmask, int *failed);

/* Have the waits watch one more socket besides FastCGI's (the worker's
 * database connection, whose NOTIFYs should be read as they come, not
 * looked for on every request): fd -1 for none. generation tells a new
 * socket that got the old one's number apart from the old one. Call
 * before each wait; after it, extra_ready says the socket was ready
 * (a wait that found only that returns NULL). */
void vc_conns_watch_extra(struct vc_conns *cs, int fd, unsigned long generation);

/* A request already sent on a kept connection (for a worker about to
 * stop: it answers what nginx sent before it closes), or NULL. */
FCGX_Request *vc_conns_pending(struct vc_conns *cs);

/* Finish r. Its connection stays open when nginx asked for it and `keep`
 * allows it; what is left of the request body is read first, so the next
 * request's records come next. */
void vc_conns_finish(struct vc_conns *cs, FCGX_Request *r, int keep);

/* Close every connection (the worker is exiting). */
void vc_conns_close(struct vc_conns *cs);

#endif
