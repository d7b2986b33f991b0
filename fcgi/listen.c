/* listen.c - the FastCGI listen socket. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BACKLOG 511

/* Whether something still accepts connections on the unix socket path. */
static int unix_socket_alive(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int alive;

    if (fd < 0)
        return 0;
    alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
    close(fd);
    return alive;
}

/* One pool's address, and the setting that names it (for errors). */
struct addr {
    const char *setting;
    enum vc_listen_kind kind;
    const char *path;       /* socket path, or host */
    int port;
    int mode;
};

static struct addr pool_addr(const struct vc_config *cfg, enum vc_pool pool)
{
    if (pool == VC_POOL_API)
        return (struct addr){ "VOXCAT_API_LISTEN", cfg->api_listen_kind, cfg->api_listen_path,
                              cfg->api_listen_port, cfg->listen_mode };
    return (struct addr){ "VOXCAT_LISTEN", cfg->listen_kind, cfg->listen_path,
                          cfg->listen_port, cfg->listen_mode };
}

static int open_unix(const struct addr *a, struct vc_error *err)
{
    struct sockaddr_un sa;
    char dir[sizeof(sa.sun_path)];
    char *slash;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->path);

    /* mkdir -p of the socket's directory (/run/voxcat may not exist yet). */
    snprintf(dir, sizeof(dir), "%s", a->path);
    slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; ; p++) {
            int end = *p == '\0';
            if (*p != '/' && !end)
                continue;
            *p = '\0';
            if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
                vc_error_set(err, VC_ERR_INVALID_ARGUMENT, a->setting,
                             "cannot create %s: %s", dir, strerror(errno));
                return -1;
            }
            if (end)
                break;
            *p = '/';
        }
    }
    if (access(sa.sun_path, F_OK) == 0) {
        if (unix_socket_alive(&sa)) {
            vc_error_set(err, VC_ERR_CONFLICT, a->setting,
                         "%s is in use by another process", sa.sun_path);
            return -1;
        }
        unlink(sa.sun_path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        vc_error_set(err, VC_ERR_INTERNAL, a->setting, "socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, a->setting, "cannot bind %s: %s",
                     sa.sun_path, strerror(errno));
        goto fail;
    }
    if (chmod(sa.sun_path, (mode_t)a->mode) != 0) {
        vc_error_set(err, VC_ERR_INTERNAL, "VOXCAT_LISTEN_MODE", "chmod %s: %s",
                     sa.sun_path, strerror(errno));
        goto fail;
    }
    if (listen(fd, BACKLOG) != 0) {
        vc_error_set(err, VC_ERR_INTERNAL, a->setting, "listen: %s", strerror(errno));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

static int open_tcp(const struct addr *a, struct vc_error *err)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int fd = -1, one = 1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", a->port);
    rc = getaddrinfo(a->path, port, &hints, &res);
    if (rc != 0) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, a->setting, "cannot resolve %s: %s",
                     a->path, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        vc_error_set(err, VC_ERR_INTERNAL, a->setting, "socket: %s", strerror(errno));
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, a->setting, "cannot bind %s:%d: %s",
                     a->path, a->port, strerror(errno));
        close(fd);
        fd = -1;
        goto out;
    }
    if (listen(fd, BACKLOG) != 0) {
        vc_error_set(err, VC_ERR_INTERNAL, a->setting, "listen: %s", strerror(errno));
        close(fd);
        fd = -1;
    }
out:
    freeaddrinfo(res);
    return fd;
}

int vc_listen_open(const struct vc_config *cfg, enum vc_pool pool, struct vc_error *err)
{
    struct addr a = pool_addr(cfg, pool);

    if (a.kind == VC_LISTEN_UNIX)
        return open_unix(&a, err);
    return open_tcp(&a, err);
}

void vc_listen_close(const struct vc_config *cfg, enum vc_pool pool, int fd)
{
    struct addr a = pool_addr(cfg, pool);

    if (fd < 0)
        return;
    close(fd);
    if (a.kind == VC_LISTEN_UNIX)
        unlink(a.path);
}
