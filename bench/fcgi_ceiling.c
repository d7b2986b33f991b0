/* fcgi_ceiling.c - the most a libfcgi worker can do per request: read the
 * request (and its body), answer an X-Accel-Redirect to one cached file,
 * nothing else. make bench puts it behind the same nginx as voxcat and
 * compares voxcat's cache hits to it.
 *
 *   fcgi_ceiling SOCKET PROCESSES ACCEL_PATH
 *
 * A connection per request, as libfcgi's own loop does: its workers block
 * on the connection they hold, so nginx must not keep them alive. */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void serve(int fd, const char *accel)
{
    FCGX_Request req;
    char buf[4096];

    if (FCGX_InitRequest(&req, fd, 0) != 0)
        exit(1);
    while (FCGX_Accept_r(&req) >= 0) {
        while (FCGX_GetStr(buf, sizeof(buf), req.in) > 0)
            ;
        FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: audio/wav\r\n"
                     "X-Accel-Redirect: %s\r\n\r\n", accel);
        FCGX_Finish_r(&req);
    }
}

int main(int argc, char **argv)
{
    int fd, n;

    if (argc != 4) {
        fprintf(stderr, "usage: fcgi_ceiling SOCKET PROCESSES ACCEL_PATH\n");
        return 2;
    }
    if (FCGX_Init() != 0)
        return 1;
    unlink(argv[1]);
    fd = FCGX_OpenSocket(argv[1], 128);
    if (fd < 0)
        return 1;
    chmod(argv[1], 0666);
    n = atoi(argv[2]);
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();

        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            serve(fd, argv[3]);
            _exit(0);
        }
        if (pid < 0)
            return 1;
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
