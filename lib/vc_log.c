/* vc_log.c - JSON-lines logging on stderr. */
#include "vc_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "vc_jsonw.h"
#include "vc_text.h"

enum vc_log_level vc_log_threshold = VC_LOG_INFO;

static char request_id[64];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int vc_log_set_level(const char *name)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            vc_log_threshold = (enum vc_log_level)i;
            return 0;
        }
    }
    return -1;
}

void vc_log_set_request_id(const char *id)
{
    (void)vc_strjoin(request_id, sizeof(request_id), id ? id : "", (char *)NULL);
}

/* The time as 2026-01-02T03:04:05.678Z. The part to the second is made
 * once a second: printf cost more than the rest of a log line. */
static void format_ts(char *buf, size_t len)
{
    static time_t cached_sec = -1;
    static char cached[64];
    struct timeval tv;
    struct tm tm;
    size_t n;
    int ms;

    gettimeofday(&tv, NULL);
    if (tv.tv_sec != cached_sec) {
        gmtime_r(&tv.tv_sec, &tm);
        snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d.",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = tv.tv_sec;
    }
    ms = (int)(tv.tv_usec / 1000);
    n = strlen(cached);
    if (n + 5 > len) {
        buf[0] = '\0';
        return;
    }
    memcpy(buf, cached, n);
    buf[n] = (char)('0' + ms / 100);
    buf[n + 1] = (char)('0' + ms / 10 % 10);
    buf[n + 2] = (char)('0' + ms % 10);
    buf[n + 3] = 'Z';
    buf[n + 4] = '\0';
}

static const char *const base_keys[] = { "ts", "level", "pid", "msg", "request_id" };

/* One of the line's own members; a field of the same name is not
 * written (no caller names one), so a key never appears twice. */
static void base_member(struct vc_jsonw *w, int k, const char *text, long long num)
{
    vc_jsonw_key(w, base_keys[k], k == 0);
    if (text != NULL)
        vc_jsonw_cstring(w, text);
    else
        vc_jsonw_int(w, num);
}

/* The pid of the line, asked once per process: getpid is a system call,
 * and every request writes a line. A fork (into a worker) forgets it. */
static pid_t pid;
static int pid_hooked;

static void forget_pid(void)
{
    pid = 0;
}

static int is_base_key(const char *key, int nbase)
{
    for (int k = 0; k < nbase; k++)
        if (key[0] == base_keys[k][0] && strcmp(key, base_keys[k]) == 0)
            return 1;
    return 0;
}

/* The line is written straight to text, not built as a jansson tree: it
 * is the one thing every request does, and the tree cost as much as the
 * rest of a cache hit. Either fields (a JSON object) or the n members of
 * f are added. */
static void write_line(enum vc_log_level level, const char *msg, json_t *fields,
                       const struct vc_log_field *f, size_t n)
{
    char ts[64];
    struct vc_jsonw w;
    const char *key;
    const char *text;
    json_t *v;
    size_t len;
    int nbase = request_id[0] ? 5 : 4;

    pid_t self = pid;

    if (self == 0) {
        self = getpid();
        /* Kept only where a fork will forget it. */
        if (pid_hooked || (pid_hooked = pthread_atfork(NULL, NULL, forget_pid) == 0))
            pid = self;
    }
    format_ts(ts, sizeof(ts));
    if (fields != NULL && !json_is_object(fields))
        fields = NULL;

    vc_jsonw_init(&w, 1);
    vc_jsonw_raw(&w, "{", 1);
    base_member(&w, 0, ts, 0);
    base_member(&w, 1, level_names[level], 0);
    base_member(&w, 2, NULL, (long long)self);
    base_member(&w, 3, msg, 0);
    if (nbase == 5)
        base_member(&w, 4, request_id, 0);
    if (fields != NULL) {
        json_object_foreach(fields, key, v) {
            if (is_base_key(key, nbase))
                continue;
            vc_jsonw_key(&w, key, 0);
            vc_jsonw_value(&w, v, 9);
        }
    }
    for (size_t i = 0; i < n; i++) {
        /* A string that is not UTF-8 (a path of raw bytes) is left out,
         * as jansson's json_string refused it: the line is still written. */
        if (is_base_key(f[i].key, nbase)
            || (f[i].type == VC_LOG_STR && f[i].str != NULL
                && !vc_utf8_valid(f[i].str, strlen(f[i].str))))
            continue;
        vc_jsonw_key(&w, f[i].key, 0);
        switch (f[i].type) {
        case VC_LOG_STR:
            vc_jsonw_cstring(&w, f[i].str != NULL ? f[i].str : "");
            break;
        case VC_LOG_INT:
            vc_jsonw_int(&w, f[i].num);
            break;
        case VC_LOG_REAL:
            vc_jsonw_real(&w, f[i].real, 9);
            break;
        case VC_LOG_TRUE:
            vc_jsonw_raw(&w, "true", 4);
            break;
        }
    }
    vc_jsonw_raw(&w, "}\n", 2);
    text = vc_jsonw_text(&w, &len);
    /* One write per line keeps lines from several processes whole. */
    if (text != NULL) {
        ssize_t wr = write(STDERR_FILENO, text, len);
        (void)wr;
    }
    vc_jsonw_release(&w);
}

void vc_log_write(enum vc_log_level level, json_t *fields, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message may quote user input that is not valid UTF-8: such
     * bytes become '?' rather than losing the line. */
    vc_utf8_scrub(msg);
    write_line(level, msg, fields, NULL, 0);
}

void vc_log_fields(enum vc_log_level level, const struct vc_log_field *f, size_t n,
                   const char *msg)
{
    if (level >= vc_log_threshold)
        write_line(level, msg, NULL, f, n);
}
