/* test_log.c - the log line written from typed fields (the access log's
 * path) is the JSON the jansson path writes: each type, escaping, the
 * line's own members, and the pid after a fork. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vc_log.h"

/* The next line written to stderr, parsed (new reference), or NULL. */
static json_t *line_of(FILE *f, long *at)
{
    char buf[4096];
    json_t *j = NULL;

    fflush(stderr);
    if (fseek(f, *at, SEEK_SET) == 0 && fgets(buf, sizeof(buf), f) != NULL) {
        *at = ftell(f);
        j = json_loads(buf, 0, NULL);
    }
    return j;
}

static int real_is(json_t *o, const char *key, double want)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) && json_number_value(v) > want - 1e-9 && json_number_value(v) < want + 1e-9;
}

int main(void)
{
    FILE *f = tmpfile();
    long at = 0;
    json_t *j;
    int saved = dup(STDERR_FILENO);

    if (f == NULL || saved < 0 || dup2(fileno(f), STDERR_FILENO) < 0) {
        printf("Bail out! cannot capture stderr\n");
        return 1;
    }
    {
        struct vc_log_field fields[] = {
            { .key = "text", .type = VC_LOG_STR, .str = "say \"hi\"\n\\ caf\xc3\xa9" },
            { .key = "count", .type = VC_LOG_INT, .num = -42 },
            { .key = "big", .type = VC_LOG_INT, .num = 9007199254740993LL },
            { .key = "ms", .type = VC_LOG_REAL, .real = 12.34 },
            { .key = "small", .type = VC_LOG_REAL, .real = 0.05 },
            { .key = "negative", .type = VC_LOG_REAL, .real = -1.5 },
            { .key = "zero", .type = VC_LOG_REAL, .real = 0 },
            { .key = "done", .type = VC_LOG_TRUE },
            { .key = "pid", .type = VC_LOG_INT, .num = 1 },     /* a member of the line's own */
            { .key = "raw", .type = VC_LOG_STR, .str = "/tts/\xff" },
        };
        vc_log_set_request_id("req-1");
        vc_log_fields(VC_LOG_INFO, fields, sizeof(fields) / sizeof(fields[0]), "request");
        j = line_of(f, &at);
        ok(j != NULL, "the line is JSON");
        ok(j != NULL && json_object_get(j, "raw") == NULL,
           "a string that is not UTF-8 is left out, the line still written");
        ok(strcmp(json_string_value(json_object_get(j, "text")), "say \"hi\"\n\\ caf\xc3\xa9") == 0,
           "a string, escaped and read back as it was");
        ok(json_integer_value(json_object_get(j, "count")) == -42, "a negative integer");
        ok(json_integer_value(json_object_get(j, "big")) == 9007199254740993LL, "a 64-bit integer");
        ok(real_is(j, "ms", 12.34) && real_is(j, "small", 0.05) && real_is(j, "negative", -1.5)
           && real_is(j, "zero", 0), "numbers with two decimals");
        ok(json_is_true(json_object_get(j, "done")), "true");
        ok(json_integer_value(json_object_get(j, "pid")) == (json_int_t)getpid(),
           "a field named like the line's own member is not written over it");
        ok(strcmp(json_string_value(json_object_get(j, "msg")), "request") == 0
           && strcmp(json_string_value(json_object_get(j, "request_id")), "req-1") == 0
           && strcmp(json_string_value(json_object_get(j, "level")), "info") == 0,
           "msg, level and the request id");
        json_decref(j);
    }
    {
        /* A fork (a worker) writes its own pid, though the parent wrote first. */
        pid_t child;
        int status = 0;

        vc_log_fields(VC_LOG_INFO, NULL, 0, "parent");
        j = line_of(f, &at);
        json_decref(j);
        child = fork();
        if (child == 0) {
            vc_log_fields(VC_LOG_INFO, NULL, 0, "child");
            fflush(stderr);
            _exit(0);
        }
        waitpid(child, &status, 0);
        j = line_of(f, &at);
        ok(j != NULL && json_integer_value(json_object_get(j, "pid")) == (json_int_t)child,
           "a forked child's line carries the child's pid");
        json_decref(j);
    }
    vc_log_set_request_id(NULL);
    vc_log_fields(VC_LOG_DEBUG, NULL, 0, "not written");
    vc_log_fields(VC_LOG_WARN, NULL, 0, "written");
    j = line_of(f, &at);
    ok(j != NULL && strcmp(json_string_value(json_object_get(j, "msg")), "written") == 0
       && json_object_get(j, "request_id") == NULL, "below the threshold nothing; no request id after clearing");
    json_decref(j);
    dup2(saved, STDERR_FILENO);
    fclose(f);
    return done_testing();
}
