/* vc_error.c - error code table and the JSON error body. */
#include "vc_error.h"

#include "vc_text.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *json;
    int http;
} table[] = {
#define X(name, json, http) [name] = { json, http },
#include "vc_error.def"
#undef X
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

const char *vc_strerror(enum vc_code code)
{
    if ((size_t)code >= TABLE_LEN)
        return "internal";
    return table[code].json;
}

int vc_error_http_status(enum vc_code code)
{
    if ((size_t)code >= TABLE_LEN)
        return 500;
    return table[code].http;
}

void vc_error_clear(struct vc_error *err)
{
    if (err == NULL)
        return;
    err->code = VC_OK;
    err->field[0] = '\0';
    err->message[0] = '\0';
    err->retry_after = 0;
}

enum vc_code vc_error_set(struct vc_error *err, enum vc_code code,
                          const char *field, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    /* Messages may quote client input, and truncation may split a
     * character: keep the body valid JSON whatever came in. */
    vc_utf8_scrub(err->message);
    vc_utf8_scrub(err->field);
    return code;
}

char *vc_error_json(const struct vc_error *err)
{
    json_t *body = NULL;
    json_t *inner = NULL;
    char *out = NULL;
    enum vc_code code = err ? err->code : VC_ERR_INTERNAL;
    const char *msg = (err && err->message[0]) ? err->message : vc_strerror(code);

    inner = json_pack("{s:s, s:s}", "code", vc_strerror(code), "message", msg);
    if (inner == NULL)
        goto out;
    if (err && err->field[0]) {
        if (json_object_set_new(inner, "field", json_string(err->field)) != 0)
            goto out;
    }
    body = json_pack("{s:O}", "error", inner);
    if (body == NULL)
        goto out;
    out = json_dumps(body, JSON_COMPACT);
out:
    json_decref(inner);
    json_decref(body);
    return out;
}
