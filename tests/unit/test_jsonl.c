/* test_jsonl.c - the import line parser: each column's checks, the COPY
 * row it writes, and "line N: field: reason" errors. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vc_jsonl.h"

static struct vc_buf row;

/* Parse one line; the row in `row` (reset first). */
static enum vc_code line(const char *text, struct vc_error *err)
{
    row.len = 0;
    vc_error_clear(err);
    return vc_jsonl_line(text, strlen(text), 7, &row, err);
}

static int refused(const char *text, const char *field, const char *words)
{
    struct vc_error err;

    return line(text, &err) == VC_ERR_INVALID_ARGUMENT && strcmp(err.field, field) == 0
           && strstr(err.message, words) != NULL && strncmp(err.message, "line 7: ", 8) == 0;
}

/* The n-th tab-separated value of the row (0 = the line number). */
static char *value(int n)
{
    static char out[256];
    const char *p = row.data;

    for (int i = 0; i < n && p; i++) {
        p = memchr(p, '\t', row.len - (size_t)(p - row.data));
        if (p)
            p++;
    }
    if (p == NULL)
        return NULL;
    snprintf(out, sizeof(out), "%.*s", (int)strcspn(p, "\t\n"), p);
    return out;
}

int main(void)
{
    struct vc_error err;

    ok(line("{\"title\":\"A\\tB\\\\C\",\"year\":1999,\"duration\":1.5,"
            "\"speakers\":[{\"name\":\"a\",\"voice\":\"Kore\"}]}", &err) == VC_OK,
       "a good line");
    ok(row.len > 0 && row.data[row.len - 1] == '\n', "ends its row with a newline");
    ok(strcmp(value(0), "7") == 0, "the row starts with the line number");
    ok(strcmp(value(1), "\\N") == 0, "a missing id is NULL (the INSERT makes one)");
    ok(strcmp(value(2), "PENDING") == 0, "a missing status is PENDING");
    ok(strcmp(value(3), "A\\tB\\\\C") == 0, "tabs and backslashes are escaped for COPY");
    ok(strcmp(value(7), "1999") == 0 && strcmp(value(8), "1.5") == 0, "numbers as text");
    ok(strcmp(value(16), "0") == 0, "a missing retry_count is 0");
    ok(strstr(value(25), "Kore") != NULL, "speakers as compact JSON");

    ok(refused("{\"year\":1799}", "year", "out of range"), "year before 1800");
    ok(refused("{\"year\":1999.5}", "year", "whole number"), "a fractional year");
    ok(refused("{\"channels\":17}", "channels", "out of range"), "17 channels");
    ok(refused("{\"duration\":-1}", "duration", "out of range"), "a negative duration");
    ok(refused("{\"speed\":3}", "speed", "out of range"), "speed 3");
    ok(refused("{\"title\":5}", "title", "expected a string"), "a numeric title");
    ok(refused("{\"id\":\"nope\"}", "id", "not a uuid"), "a bad id");
    ok(refused("{\"status\":\"DONE\"}", "status", "unknown status"), "an unknown status");
    ok(refused("{\"speakers\":[1,2,3]}", "speakers", "at most 2"), "three speakers");
    ok(refused("{\"colour\":\"red\"}", "colour", "unknown field"), "an unknown field");
    ok(line("{\"audio_url\":\"/tts/audio/x.wav\"}", &err) == VC_OK,
       "audio_url (what export writes) is accepted and dropped");
    ok(line("[1,2]", &err) == VC_ERR_INVALID_ARGUMENT && strstr(err.message, "JSON object"),
       "an array is not a track");
    ok(line("{\"title\":", &err) == VC_ERR_INVALID_ARGUMENT
       && strstr(err.message, "line 7: invalid JSON") != NULL, "bad JSON names its line");
    ok(line("{\"title\":\"a\",\"title\":\"b\"}", &err) == VC_ERR_INVALID_ARGUMENT,
       "a repeated key");
    {
        char big[1100];
        snprintf(big, sizeof(big), "{\"genre\":\"%0201d\"}", 0);
        ok(refused(big, "genre", "longer than 200"), "a genre over 200 bytes");
    }
    free(row.data);
    return done_testing();
}
