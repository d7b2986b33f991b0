/* conns.c - a worker's FastCGI connections (see conns.h). */
#include "conns.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vc_time.h"

/* A kept connection idle this long is closed: longer than nginx's
 * keepalive_timeout (10 s in voxcat-http.conf, 60 s by default), so this
 * only frees a connection nginx forgot. */
#define IDLE_CLOSE_S 300
/* Left-over request body read to keep a connection; beyond, it is closed. */
#define DRAIN_MAX 65536
/* The epoll tags of the listen socket and the extra one (connections
 * carry their slot). */
#define LISTEN_TAG VC_CONNS_MAX
#define EXTRA_TAG (VC_CONNS_MAX + 1)

static int set_listening(struct vc_conns *cs, int on)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = LISTEN_TAG };

    if (on == cs->listening)
        return 0;
    if (epoll_ctl(cs->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, cs->listen_fd, &ev) != 0)
        return -1;
    cs->listening = on;
    return 0;
}

int vc_conns_init(struct vc_conns *cs, int listen_fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);

    cs->listen_fd = listen_fd;
    cs->local = getsockname(listen_fd, (struct sockaddr *)&sa, &len) == 0 && sa.ss_family == AF_UNIX;
    cs->accepted = 0;
    cs->listening = 0;
    cs->extra_fd = -1;
    cs->extra_gen = 0;
    cs->extra_ready = 0;
    for (int i = 0; i < VC_CONNS_MAX; i++) {
        if (FCGX_InitRequest(&cs->req[i], listen_fd, 0) != 0)
            return -1;
        cs->watched[i] = -1;
        cs->last_used[i] = 0;
    }
    cs->ep = epoll_create1(EPOLL_CLOEXEC);
    if (cs->ep < 0)
        return -1;
    return set_listening(cs, 1);
}

/* Keep the epoll set in step with slot i's connection. */
static void watch(struct vc_conns *cs, int i)
{
    int fd = cs->req[i].ipcFd;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

    if (cs->watched[i] == fd)
        return;
    if (cs->watched[i] >= 0)
        (void)epoll_ctl(cs->ep, EPOLL_CTL_DEL, cs->watched[i], NULL);
    cs->watched[i] = -1;
    if (fd >= 0 && epoll_ctl(cs->ep, EPOLL_CTL_ADD, fd, &ev) == 0)
        cs->watched[i] = fd;
}

static void drop(struct vc_conns *cs, int i)
{
    FCGX_Request *r = &cs->req[i];

    if (cs->watched[i] >= 0)
        (void)epoll_ctl(cs->ep, EPOLL_CTL_DEL, cs->watched[i], NULL);
    cs->watched[i] = -1;
    FCGX_Free(r, 1);
    r->keepConnection = 0;
}

/* Slot i's connection is readable: a request, or nginx closing it. */
static FCGX_Request *take(struct vc_conns *cs, int i)
{
    FCGX_Request *r = &cs->req[i];
    char c;
    ssize_t got = recv(r->ipcFd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    int rc;

    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return NULL;
    if (got <= 0) {
        drop(cs, i);
        return NULL;
    }
    /* libfcgi reads the begin record from the open connection. On a
     * malformed one it closes it and would accept another on the listen
     * socket into this slot, behind the epoll set's back: with no listen
     * socket to fall back on, it fails instead. */
    r->listen_sock = -1;
    rc = FCGX_Accept_r(r);
    r->listen_sock = cs->listen_fd;
    if (rc < 0) {
        drop(cs, i);
        return NULL;
    }
    return r;
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
        /* Watched only once kept (vc_conns_finish): nothing polls it while
         * its request is served, and most connections are not kept (the
         * speech pool's, X-Accel-Redirect's) - two epoll_ctl saved each. */
        return &cs->req[i];
    }
    return NULL;
}

/* Close connections idle too long; stop accepting while every slot is
 * taken (the other workers take new connections), start again when one
 * frees. */
static void tidy(struct vc_conns *cs)
{
    double now = vc_time_mono_s();
    int free_slot = 0;

    for (int i = 0; i < VC_CONNS_MAX; i++) {
        if (cs->req[i].ipcFd >= 0 && now - cs->last_used[i] > IDLE_CLOSE_S)
            drop(cs, i);
        free_slot |= cs->req[i].ipcFd < 0;
    }
    (void)set_listening(cs, free_slot);
}

/* Whether fd is one of the FastCGI sockets in the set. */
static int fastcgi_fd(const struct vc_conns *cs, int fd)
{
    if (fd == cs->listen_fd)
        return 1;
    for (int i = 0; i < VC_CONNS_MAX; i++)
        if (cs->watched[i] == fd)
            return 1;
    return 0;
}

void vc_conns_watch_extra(struct vc_conns *cs, int fd, unsigned long generation)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EXTRA_TAG };

    if (fd == cs->extra_fd && generation == cs->extra_gen)
        return;
    /* A closed socket left the set by itself, and its number may belong
     * to a FastCGI connection now: that one is not taken out. */
    if (cs->extra_fd >= 0 && !fastcgi_fd(cs, cs->extra_fd))
        (void)epoll_ctl(cs->ep, EPOLL_CTL_DEL, cs->extra_fd, NULL);
    cs->extra_fd = -1;
    cs->extra_gen = generation;
    if (fd >= 0 && epoll_ctl(cs->ep, EPOLL_CTL_ADD, fd, &ev) == 0)
        cs->extra_fd = fd;
}

FCGX_Request *vc_conns_wait(struct vc_conns *cs, const struct timespec *timeout,
                            const sigset_t *sigmask, int *failed)
{
    struct epoll_event ev[VC_CONNS_MAX + 2];
    int ms = (int)(timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000);
    int ready;

    *failed = 0;
    cs->extra_ready = 0;
    tidy(cs);
    ready = epoll_pwait(cs->ep, ev, VC_CONNS_MAX + 2, ms, sigmask);
    if (ready <= 0) {
        if (ready < 0 && errno != EINTR)
            *failed = 1;
        return NULL;
    }
    /* A new connection first. The listen socket wakes one waiting worker
     * (EPOLLEXCLUSIVE): if that one served its kept connections instead,
     * the connection - which already carries a request - would wait
     * until some worker next came back to epoll_pwait, up to its timeout
     * (p99 1.2 s for a search under 8 connections). The kept ones stay
     * ready for the next call. */
    for (int k = 0; k < ready; k++)
        if (ev[k].data.u32 == EXTRA_TAG)
            cs->extra_ready = 1;
    for (int k = 0; k < ready; k++) {
        if (ev[k].data.u32 == LISTEN_TAG) {
            FCGX_Request *r = accept_new(cs);
            if (r != NULL)
                return r;
        }
    }
    for (int k = 0; k < ready; k++)
        if (ev[k].data.u32 < LISTEN_TAG)
            return take(cs, (int)ev[k].data.u32);
    return NULL;
}

FCGX_Request *vc_conns_pending(struct vc_conns *cs)
{
    for (int i = 0; i < VC_CONNS_MAX; i++) {
        struct pollfd pfd = { .fd = cs->req[i].ipcFd, .events = POLLIN };
        FCGX_Request *r;

        if (pfd.fd < 0 || poll(&pfd, 1, 0) != 1)
            continue;
        if ((r = take(cs, i)) != NULL)
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
    int i = (int)(r - cs->req);
    int ended = -1;     /* the request was read to its end: 1, 0, or -1 not looked */

    if (r->keepConnection && keep)
        ended = drain(r);
    if (ended != 1)
        r->keepConnection = 0;
    /* Out of the set before libfcgi closes the descriptor. */
    if (!r->keepConnection && cs->watched[i] >= 0) {
        (void)epoll_ctl(cs->ep, EPOLL_CTL_DEL, cs->watched[i], NULL);
        cs->watched[i] = -1;
    }
    /* libfcgi closes a connection the lingering way: shutdown, then wait
     * (poll) and read until nginx closes its end, so that nginx can
     * finish sending a body the worker did not read (closed under it, its
     * write fails: a 502 instead of the 413 sent) and a TCP reset cannot
     * destroy the answer in flight. Over a unix socket, once the request
     * has been read to its end, neither can happen: unread data would
     * only make nginx's read fail after the answer, and there is none. A
     * detached request is closed at once: three system calls and a wait
     * less for every answer not kept (each redirect to a cached file). */
    if (!r->keepConnection && cs->local && (ended == -1 ? drain(r) : ended))
        (void)FCGX_Detach(r);
    FCGX_Finish_r(r);
    watch(cs, i);
    cs->last_used[i] = vc_time_mono_s();
}

void vc_conns_close(struct vc_conns *cs)
{
    for (int i = 0; i < VC_CONNS_MAX; i++)
        if (cs->req[i].ipcFd >= 0)
            drop(cs, i);
    if (cs->ep >= 0)
        close(cs->ep);
    cs->ep = -1;
}
