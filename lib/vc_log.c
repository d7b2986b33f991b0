/* vc_log.c - JSON-lines logging on stderr. */
#include "vc_log.h"

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
    snprintf(request_id, sizeof(request_id), "%s", id ? id : "");
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

/* The line is written straight to text, not built as a jansson tree: it
 * is the one thing every request does, and the tree cost as much as the
 * rest of a cache hit. */
void vc_log_write(enum vc_log_level level, json_t *fields, const char *fmt, ...)
{
    char ts[64];
    char msg[1024];
    va_list ap;
    struct vc_jsonw w;
    const char *key;
    const char *text;
    json_t *v;
    size_t n;
    int nbase = request_id[0] ? 5 : 4;

    format_ts(ts, sizeof(ts));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message may quote user input that is not valid UTF-8: such
     * bytes become '?' rather than losing the line. */
    vc_utf8_scrub(msg);
    if (fields != NULL && !json_is_object(fields))
        fields = NULL;

    vc_jsonw_init(&w, 1);
    vc_jsonw_raw(&w, "{", 1);
    base_member(&w, 0, ts, 0);
    base_member(&w, 1, level_names[level], 0);
    base_member(&w, 2, NULL, (long long)getpid());
    base_member(&w, 3, msg, 0);
    if (nbase == 5)
        base_member(&w, 4, request_id, 0);
    if (fields != NULL) {
        json_object_foreach(fields, key, v) {
            int base = 0;

            for (int k = 0; k < nbase && !base; k++)
                base = key[0] == base_keys[k][0] && strcmp(key, base_keys[k]) == 0;
            if (base)
                continue;
            vc_jsonw_key(&w, key, 0);
            vc_jsonw_value(&w, v, 9);
        }
    }
    vc_jsonw_raw(&w, "}\n", 2);
    text = vc_jsonw_text(&w, &n);
    /* One write per line keeps lines from several processes whole. */
    if (text != NULL) {
        ssize_t wr = write(STDERR_FILENO, text, n);
        (void)wr;
    }
    vc_jsonw_release(&w);
}
