/* test_error.c - the error table and the JSON error body. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vc_error.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;

    return json_loads(text, 0, &jerr);
}

int main(void)
{
    struct vc_error err;
    char *body;
    json_t *j;

    ok(vc_error_http_status(VC_ERR_INVALID_ARGUMENT) == 400, "invalid_argument is 400");
    ok(vc_error_http_status(VC_ERR_NOT_FOUND) == 404, "not_found is 404");
    ok(vc_error_http_status(VC_ERR_METHOD_NOT_ALLOWED) == 405, "method_not_allowed is 405");
    ok(vc_error_http_status(VC_ERR_CONFLICT) == 409, "conflict is 409");
    ok(vc_error_http_status(VC_ERR_PAYLOAD_TOO_LARGE) == 413, "payload_too_large is 413");
    ok(vc_error_http_status(VC_ERR_UNSUPPORTED_MEDIA) == 415, "unsupported_media_type is 415");
    ok(vc_error_http_status(VC_ERR_QUOTA_EXCEEDED) == 429, "quota_exceeded is 429");
    ok(vc_error_http_status(VC_ERR_UPSTREAM) == 502, "upstream_error is 502");
    ok(vc_error_http_status(VC_ERR_UNAVAILABLE) == 503, "unavailable is 503");
    ok(vc_error_http_status(VC_ERR_UPSTREAM_TIMEOUT) == 504, "upstream_timeout is 504");
    ok(vc_error_http_status(VC_ERR_INTERNAL) == 500, "internal is 500");
    ok(strcmp(vc_strerror(VC_ERR_UNSUPPORTED_MEDIA), "unsupported_media_type") == 0,
       "names come from the table");
    ok(strcmp(vc_strerror((enum vc_code)999), "internal") == 0, "an unknown code reads as internal");

    vc_error_set(&err, VC_ERR_INVALID_ARGUMENT, "voice", "unknown voice \"%s\"", "Bob");
    body = vc_error_json(&err);
    j = body ? parse(body) : NULL;
    ok(j != NULL, "error body is JSON");
    ok(j && strcmp(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                   "invalid_argument") == 0, "body carries the code");
    ok(j && strcmp(json_string_value(json_object_get(json_object_get(j, "error"), "field")),
                   "voice") == 0, "body carries the field");
    ok(j && strcmp(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                   "unknown voice \"Bob\"") == 0, "body carries the message");
    json_decref(j);
    free(body);

    vc_error_set(&err, VC_ERR_NOT_FOUND, NULL, "no such path: %s", "/x\xff\xfe");
    body = vc_error_json(&err);
    j = body ? parse(body) : NULL;
    ok(j != NULL, "a message quoting invalid UTF-8 still makes valid JSON");
    ok(j && json_object_get(json_object_get(j, "error"), "field") == NULL,
       "no field member when no field is to blame");
    json_decref(j);
    free(body);

    vc_error_clear(&err);
    ok(err.code == VC_OK && err.message[0] == '\0', "clear resets");
    return done_testing();
}
