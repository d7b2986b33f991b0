/* conns.c - a worker's FastCGI connections (see conns.h). */
#include "conns.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include "vc_time.h"

/* A kept connection idle this long is closed: longer than nginx's
 * keepalive_timeout (10 s in voxcat-http.conf, 60 s by default), so this
 * only frees a connection nginx forgot. */
#define IDLE_CLOSE_S 300
/* Left-over request body read to keep a connection; beyond, it is closed. */
#define DRAIN_MAX 65536

int vc_conns_init(struct vc_conns *cs, int listen_fd)
{
    cs->listen_fd = listen_fd;
    cs->accepted = 0;
    for (int i = 0; i < VC_CONNS_MAX; i++) {
        if (FCGX_InitRequest(&cs->req[i], listen_fd, 0) != 0)
            return -1;
        cs->last_used[i] = 0;
    }
    return 0;
}

static void drop(FCGX_Request *r)
{
    FCGX_Free(r, 1);
    r->keepConnection = 0;
}

/* A kept connection is readable: a request, or nginx closing it. */
static FCGX_Request *take(FCGX_Request *r)
{
    char c;
    ssize_t got = recv(r->ipcFd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return NULL;
    if (got <= 0) {
        drop(r);
        return NULL;
    }
    /* libfcgi reads the begin record from the open connection; on a
     * malformed one it closes it and tries the (non-blocking) listen
     * socket instead. */
    if (FCGX_Accept_r(r) < 0) {
        drop(r);
        return NULL;
    }
    return r;
}

/* Fill pfd with the listen socket (when a slot is free) and the kept
 * connections; map[k] is the slot of pfd[k], -1 for the listen socket. */
static nfds_t poll_set(struct vc_conns *cs, struct pollfd *pfd, int *map)
{
    nfds_t n = 0;
    int free_slot = 0;
    double now = vc_time_mono_s();

    for (int i = 0; i < VC_CONNS_MAX; i++) {
        FCGX_Request *r = &cs->req[i];

        if (r->ipcFd >= 0 && now - cs->last_used[i] > IDLE_CLOSE_S)
            drop(r);
        if (r->ipcFd < 0) {
            free_slot = 1;
            continue;
        }
        pfd[n].fd = r->ipcFd;
        pfd[n].events = POLLIN;
        pfd[n].revents = 0;
        map[n++] = i;
    }
    if (free_slot) {
        pfd[n].fd = cs->listen_fd;
        pfd[n].events = POLLIN;
        pfd[n].revents = 0;
        map[n++] = -1;
    }
    return n;
}

static FCGX_Request *accept_new(struct vc_conns *cs)
{
    for (int i = 0; i < VC_CONNS_MAX; i++) {
        if (cs->req[i].ipcFd >= 0)
            continue;
        /* The socket is non-blocking: when another worker took the
         * connection first, accept fails with EAGAIN. */
        if (FCGX_Accept_r(&cs->req[i]) < 0)
            return NULL;
        cs->accepted++;
        return &cs->req[i];
    }
    return NULL;
}

FCGX_Request *vc_conns_wait(struct vc_conns *cs, const struct timespec *timeout,
                            const sigset_t *sigmask, int *failed)
{
    struct pollfd pfd[VC_CONNS_MAX + 1];
    int map[VC_CONNS_MAX + 1];
    nfds_t n = poll_set(cs, pfd, map);
    int ready = ppoll(pfd, n, timeout, sigmask);

    *failed = 0;
    if (ready <= 0) {
        if (ready < 0 && errno != EINTR)
            *failed = 1;
        return NULL;
    }
    /* Kept connections first: nginx has already sent their requests. */
    for (nfds_t k = 0; k < n; k++)
        if (map[k] >= 0 && pfd[k].revents != 0)
            return take(&cs->req[map[k]]);
    return accept_new(cs);
}

FCGX_Request *vc_conns_pending(struct vc_conns *cs)
{
    for (int i = 0; i < VC_CONNS_MAX; i++) {
        struct pollfd pfd = { .fd = cs->req[i].ipcFd, .events = POLLIN };
        FCGX_Request *r;

        if (pfd.fd < 0 || poll(&pfd, 1, 0) != 1)
            continue;
        if ((r = take(&cs->req[i])) != NULL)
            return r;
    }
    return NULL;
}

/* Read what is left of the request body. 1 when it ended cleanly. */
static int drain(FCGX_Request *r)
{
    char buf[4096];
    size_t total = 0;
    int got;

    while ((got = FCGX_GetStr(buf, sizeof(buf), r->in)) > 0)
        if ((total += (size_t)got) > DRAIN_MAX)
            return 0;
    return FCGX_HasSeenEOF(r->in) == EOF && FCGX_GetError(r->in) == 0;
}

void vc_conns_finish(struct vc_conns *cs, FCGX_Request *r, int keep)
{
    if (r->keepConnection && (!keep || !drain(r)))
        r->keepConnection = 0;
    FCGX_Finish_r(r);
    cs->last_used[r - cs->req] = vc_time_mono_s();
}

void vc_conns_close(struct vc_conns *cs)
{
    for (int i = 0; i < VC_CONNS_MAX; i++)
        if (cs->req[i].ipcFd >= 0)
            drop(&cs->req[i]);
}
