/* vc_cache.c - the per-host disk cache of generated audio. */
#include "vc_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "vc_log.h"
#include "vc_text.h"

#define SUBDIR "tts/audio"
#define TMPDIR "tmp"        /* unfinished files: not under SUBDIR, never served */

int vc_cache_key_valid(const char *key)
{
    size_t i;

    for (i = 0; key[i]; i++) {
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
            return 0;
    }
    return i == 64;
}

void vc_cache_path(const struct vc_config *cfg, const char *key, enum vc_format f,
                   char out[VC_CACHE_PATH_MAX])
{
    (void)vc_strjoin(out, VC_CACHE_PATH_MAX, cfg->cache_dir, "/" SUBDIR "/", key, ".",
                     vc_format_name(f), (char *)NULL);
}

void vc_cache_accel_uri(const struct vc_config *cfg, const char *key, enum vc_format f,
                        char out[VC_CACHE_PATH_MAX])
{
    const char *prefix = cfg->accel_prefix;
    size_t n = strlen(prefix);

    (void)vc_strjoin(out, VC_CACHE_PATH_MAX, prefix, n > 0 && prefix[n - 1] == '/' ? "" : "/",
                     SUBDIR "/", key, ".", vc_format_name(f), (char *)NULL);
}

/* Whether path is a whole audio file (more than a WAV header), into *st. */
static int usable(const char *path, struct stat *st)
{
    return stat(path, st) == 0 && S_ISREG(st->st_mode) && st->st_size > 44;
}

int vc_cache_has(const struct vc_config *cfg, const char *key, enum vc_format f, size_t *size)
{
    char path[VC_CACHE_PATH_MAX];
    struct stat st;

    vc_cache_path(cfg, key, f, path);
    if (!usable(path, &st))
        return 0;
    if (size != NULL)
        *size = (size_t)st.st_size;
    return 1;
}

/* mkdir -p for the cache's own two levels. */
static int make_dirs(const struct vc_config *cfg)
{
    char dir[VC_CACHE_PATH_MAX];

    snprintf(dir, sizeof(dir), "%s", cfg->cache_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    snprintf(dir, sizeof(dir), "%s/tts", cfg->cache_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    snprintf(dir, sizeof(dir), "%s/" SUBDIR, cfg->cache_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    snprintf(dir, sizeof(dir), "%s/" TMPDIR, cfg->cache_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static unsigned long write_errors;

/* Keep the cache under VOXCAT_CACHE_MAX_BYTES: after a write, at most
 * every ten seconds a process (a scan costs milliseconds at 100k files).
 * Files used in the last half minute are spared: one just written is
 * about to be sent by nginx (a file larger than the bound, evicted at
 * once, was a 404 on the request that made it). */
static void prune_now_and_then(const struct vc_config *cfg)
{
    static time_t last;
    struct vc_cache_stats st;
    time_t now = time(NULL);

    if (cfg->cache_max_bytes <= 0 || now - last < 10)
        return;
    last = now;
    if (vc_cache_prune(cfg, (unsigned long long)cfg->cache_max_bytes, now - 30, &st, NULL) != VC_OK)
        vc_log(VC_LOG_WARN, "cache prune failed");
}

/* A write that failed (a full disk, a read-only mount): counted for
 * /status, and said as unavailable, which the speech path answers from
 * PostgreSQL instead. */
static enum vc_code cache_failed(struct vc_error *err)
{
    write_errors++;
    return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "the audio cache is not writable");
}

void vc_cache_sweep_temp(const struct vc_config *cfg)
{
    char dir[VC_CACHE_PATH_MAX], path[VC_CACHE_PATH_MAX + 256];
    struct dirent *d;
    DIR *dp;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/" TMPDIR, cfg->cache_dir);
    dp = opendir(dir);
    if (dp == NULL)
        return;
    while ((d = readdir(dp)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        n += unlink(path) == 0;
    }
    closedir(dp);
    if (n > 0)
        vc_log(VC_LOG_INFO, "removed %d unfinished cache file(s) left by a crash", n);
}

enum vc_code vc_cache_put(const struct vc_config *cfg, const char *key, enum vc_format f,
                          const void *data, size_t len, struct vc_error *err)
{
    char path[VC_CACHE_PATH_MAX];
    char tmp[VC_CACHE_PATH_MAX + 32];
    const char *p = data;
    size_t left = len;
    int fd;

    if (!vc_cache_key_valid(key))
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "bad cache key");
    if (make_dirs(cfg) != 0) {
        vc_log(VC_LOG_ERROR, "cache dir %s: %s", cfg->cache_dir, strerror(errno));
        return cache_failed(err);
    }
    vc_cache_path(cfg, key, f, path);
    /* Written outside the served tree (same filesystem, so the rename is
     * atomic): nginx never sees, and never caches for a year, half a file. */
    snprintf(tmp, sizeof(tmp), "%s/" TMPDIR "/%s.%s.%d", cfg->cache_dir, key, vc_format_name(f),
             (int)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        vc_log(VC_LOG_ERROR, "cache write %s: %s", tmp, strerror(errno));
        return cache_failed(err);
    }
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            vc_log(VC_LOG_ERROR, "cache write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return cache_failed(err);
        }
        p += w;
        left -= (size_t)w;
    }
    /* The bytes on disk before the name points at them: after a power
     * loss a name may be gone (the file is rebuilt from PostgreSQL) but
     * never points at a half-written file nginx would serve for a year.
     * The directory is not synced: the copy is rebuildable. */
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        vc_log(VC_LOG_ERROR, "cache write %s: %s", path, strerror(errno));
        unlink(tmp);
        return cache_failed(err);
    }
    prune_now_and_then(cfg);
    return VC_OK;
}

void vc_cache_drop(const struct vc_config *cfg, const char *key, enum vc_format f)
{
    char path[VC_CACHE_PATH_MAX];

    if (!vc_cache_key_valid(key))
        return;
    vc_cache_path(cfg, key, f, path);
    if (unlink(path) != 0 && errno != ENOENT)
        vc_log(VC_LOG_WARN, "cache remove %s: %s", path, strerror(errno));
}

enum vc_code vc_cache_get(const struct vc_config *cfg, const char *key, enum vc_format f,
                          unsigned char **data, size_t *len, struct vc_error *err)
{
    char path[VC_CACHE_PATH_MAX];
    FILE *fp;
    long size;

    *data = NULL;
    *len = 0;
    vc_cache_path(cfg, key, f, path);
    fp = fopen(path, "rb");
    if (fp == NULL)
        return vc_error_set(err, VC_ERR_NOT_FOUND, NULL, "not in the disk cache");
    size = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    if (size <= 0 || fseek(fp, 0, SEEK_SET) != 0)
        goto fail;
    *data = malloc((size_t)size);
    if (*data == NULL || fread(*data, 1, (size_t)size, fp) != (size_t)size)
        goto fail;
    *len = (size_t)size;
    fclose(fp);
    return VC_OK;
fail:
    free(*data);
    *data = NULL;
    fclose(fp);
    vc_log(VC_LOG_ERROR, "cache read %s failed", path);
    return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot read the cached file");
}

/* ---- the bound ------------------------------------------------------------ */

unsigned long vc_cache_write_errors(void)
{
    return write_errors;
}

int vc_cache_use(const struct vc_config *cfg, const char *key, enum vc_format f)
{
    char path[VC_CACHE_PATH_MAX];
    const struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
    struct stat st;

    vc_cache_path(cfg, key, f, path);
    if (!usable(path, &st))
        return 0;
    if (time(NULL) - st.st_atim.tv_sec >= VC_CACHE_TOUCH_S)
        (void)utimensat(AT_FDCWD, path, times, 0);
    return 1;
}

struct entry {
    char name[80];
    off_t size;
    time_t used;        /* the later of its last read and its writing */
};

static int by_use(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    return (x->used > y->used) - (x->used < y->used);
}

enum vc_code vc_cache_prune(const struct vc_config *cfg, unsigned long long max_bytes,
                            time_t spare_since, struct vc_cache_stats *st, struct vc_error *err)
{
    char dir[VC_CACHE_PATH_MAX], path[VC_CACHE_PATH_MAX + 96];
    struct entry *list = NULL;
    size_t n = 0, cap = 0;
    struct dirent *d;
    DIR *dp;

    memset(st, 0, sizeof(*st));
    snprintf(dir, sizeof(dir), "%s/" SUBDIR, cfg->cache_dir);
    dp = opendir(dir);
    if (dp == NULL)
        return errno == ENOENT ? VC_OK
                               : vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot read the cache");
    while ((d = readdir(dp)) != NULL) {
        struct stat sb;
        if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(list->name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct entry *g = realloc(list, ncap * sizeof(*g));
            if (g == NULL) {
                closedir(dp);
                free(list);
                return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            }
            list = g;
            cap = ncap;
        }
        snprintf(list[n].name, sizeof(list[n].name), "%s", d->d_name);
        list[n].size = sb.st_size;
        list[n].used = sb.st_atime > sb.st_mtime ? sb.st_atime : sb.st_mtime;
        st->files++;
        st->bytes += (unsigned long long)sb.st_size;
        n++;
    }
    closedir(dp);
    /* Least recently used first. PostgreSQL keeps every blob: an evicted
     * file is rebuilt on its next request. */
    qsort(list, n, sizeof(*list), by_use);
    for (size_t i = 0; i < n && st->bytes > max_bytes; i++) {
        if (spare_since > 0 && list[i].used >= spare_since)
            break;          /* sorted: the rest are newer still */
        snprintf(path, sizeof(path), "%s/%s", dir, list[i].name);
        if (unlink(path) != 0 && errno != ENOENT)
            continue;
        st->bytes -= (unsigned long long)list[i].size;
        st->files--;
        st->removed++;
        st->removed_bytes += (unsigned long long)list[i].size;
    }
    free(list);
    if (st->removed > 0)
        vc_log(VC_LOG_INFO, "cache pruned: %lu file(s), %llu bytes", st->removed, st->removed_bytes);
    return VC_OK;
}

int vc_cache_healthy(const struct vc_config *cfg, unsigned long long *free_bytes)
{
    struct statvfs fs;

    *free_bytes = 0;
    if (statvfs(cfg->cache_dir, &fs) != 0)
        return 0;
    *free_bytes = (unsigned long long)fs.f_bavail * fs.f_frsize;
    return access(cfg->cache_dir, W_OK) == 0 && *free_bytes >= 16u << 20;
}
