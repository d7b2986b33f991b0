/* vc_log.c - JSON-lines logging on stderr. */
#include "vc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

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

static void format_ts(char *buf, size_t len)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

/* A message may quote user input that is not valid UTF-8: such bytes
 * become '?' rather than losing the line. */
static json_t *safe_string(char *s)
{
    json_t *v = json_string(s);

    if (v != NULL)
        return v;
    for (char *p = s; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    }
    return json_string(s);
}

void vc_log_write(enum vc_log_level level, json_t *fields, const char *fmt, ...)
{
    char ts[64];
    char msg[1024];
    va_list ap;
    json_t *line;
    char *text;

    format_ts(ts, sizeof(ts));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    line = json_object();
    if (line == NULL)
        return;
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "pid", json_integer(getpid()));
    json_object_set_new(line, "msg", safe_string(msg));
    if (request_id[0])
        json_object_set_new(line, "request_id", json_string(request_id));
    if (fields != NULL && json_is_object(fields))
        json_object_update(line, fields);

    text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
    json_decref(line);
    if (text == NULL)
        return;
    /* One write per line keeps lines from several processes whole. */
    size_t n = strlen(text);
    text[n] = '\n';
    ssize_t w = write(STDERR_FILENO, text, n + 1);
    (void)w;
    free(text);
}
