/* signals.c - the master's self-pipe for signals. */
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int sp[2] = { -1, -1 };

static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP };
#define NHANDLED (sizeof(handled) / sizeof(handled[0]))

static void on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    ssize_t w = write(sp[1], &b, 1);

    (void)w;            /* a full pipe already holds a wake-up */
    errno = saved;
}

int vc_signals_init(void)
{
    struct sigaction sa;

    if (pipe2(sp, O_NONBLOCK | O_CLOEXEC) != 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < NHANDLED; i++) {
        if (sigaction(handled[i], &sa, NULL) != 0)
            return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int vc_signals_fd(void)
{
    return sp[0];
}

int vc_signals_next(void)
{
    unsigned char b;
    ssize_t r = read(sp[0], &b, 1);

    return r == 1 ? b : 0;
}

void vc_signals_child_reset(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NHANDLED; i++)
        sigaction(handled[i], &sa, NULL);
    close(sp[0]);
    close(sp[1]);
    sp[0] = sp[1] = -1;
}
