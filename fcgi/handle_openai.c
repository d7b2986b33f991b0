/* handle_openai.c - the speech API that clients already speak: OpenAI's
 * POST /v1/audio/speech, mounted as /tts/v1/audio/speech (a client's base
 * URL is http://host/tts/v1), its model list, and the voice list
 * Kokoro-FastAPI offers. Requests are translated into voxcat's own and go
 * down the same speech path; errors take OpenAI's shape (reply.c). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "vc_engines.h"
#include "vc_tts_input.h"
#include "worker.h"

/* OpenAI's model names: all mean the configured default local model. */
static const char *const openai_models[] = { "tts-1", "tts-1-hd", "gpt-4o-mini-tts", NULL };

/* OpenAI's voice name as ours, from VOXCAT_OPENAI_VOICES ("alloy=Kore,...")
 * into out; 0, or -1 when it is not one of them. */
static int map_voice(const struct vc_config *cfg, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);

    for (const char *p = cfg->openai_voices; *p;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        if (eq != NULL && (size_t)(eq - p) == n && strncasecmp(p, name, n) == 0) {
            snprintf(out, size, "%.*s", (int)(len - n - 1), eq + 1);
            return 0;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return -1;
}

/* Rename a field of voxcat's request to the OpenAI parameter it came from. */
static enum vc_code as_openai(struct vc_error *err, enum vc_code rc)
{
    static const struct { const char *ours, *theirs; } names[] = {
        { "text", "input" }, { "format", "response_format" }, { "body", "body" },
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(err->field, names[i].ours) == 0) {
            snprintf(err->field, sizeof(err->field), "%s", names[i].theirs);
            break;
        }
    }
    return rc;
}

/* OpenAI's body as voxcat's request (new reference): how *how to answer. */
static json_t *translate(const struct vc_config *cfg, json_t *body, enum vc_answer *how,
                         struct vc_error *err)
{
    json_t *v, *out = json_object();
    const char *s;
    char voice[64];

    *how = VC_ANSWER_FILE;
    if (out == NULL) {
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    s = json_string_value(json_object_get(body, "model"));
    if (s == NULL) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "model", "model is required (for example tts-1)");
        goto fail;
    }
    if (vc_list_index(openai_models, s) < 0)
        json_object_set_new(out, "model", json_string(s));
    v = json_object_get(body, "input");
    if (!json_is_string(v)) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "input", "input is required (a string)");
        goto fail;
    }
    json_object_set(out, "text", v);
    s = json_string_value(json_object_get(body, "voice"));
    if (s == NULL) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "voice", "voice is required (a string)");
        goto fail;
    }
    json_object_set_new(out, "voice", json_string(map_voice(cfg, s, voice, sizeof(voice)) == 0 ? voice : s));
    /* OpenAI's default format is MP3. */
    v = json_object_get(body, "response_format");
    if (v == NULL || json_is_null(v))
        json_object_set_new(out, "format", json_string("mp3"));
    else
        json_object_set(out, "format", v);
    v = json_object_get(body, "speed");
    if (v != NULL && !json_is_null(v)) {
        double speed = json_number_value(v);
        if (!json_is_number(v) || !(speed >= 0.25 && speed <= 4.0)) {
            vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speed", "speed must be from 0.25 to 4.0");
            goto fail;
        }
        /* Our engines speak from half to twice the normal rate. */
        json_object_set_new(out, "speed", json_real(fmin(2.0, fmax(0.5, speed))));
    }
    v = json_object_get(body, "instructions");
    if (v != NULL && !json_is_null(v))
        json_object_set(out, "instructions", v);
    s = json_string_value(json_object_get(body, "stream_format"));
    if (s != NULL && strcmp(s, "sse") == 0)
        *how = VC_ANSWER_EVENTS;
    else if (s != NULL && strcmp(s, "audio") == 0)
        *how = VC_ANSWER_STREAM;
    else if (json_object_get(body, "stream_format") != NULL && !json_is_null(json_object_get(body, "stream_format"))) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "stream_format", "stream_format must be audio or sse");
        goto fail;
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

enum vc_code vc_handle_openai_speech(struct vc_request *req, struct vc_error *err)
{
    const struct vc_config *cfg = req->worker->cfg;
    struct vc_tts_input in;
    enum vc_answer how;
    json_error_t jerr;
    json_t *body, *ours;
    char *text;
    enum vc_code rc;

    body = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL || !json_is_object(body)) {
        json_decref(body);
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body", "the body must be a JSON object");
    }
    ours = translate(cfg, body, &how, err);
    json_decref(body);
    if (ours == NULL)
        return err->code;
    text = json_dumps(ours, JSON_COMPACT);
    json_decref(ours);
    if (text == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    rc = vc_tts_input_from_json(cfg, text, strlen(text), &in, err);
    free(text);
    if (rc != VC_OK)
        return as_openai(err, rc);
    rc = vc_speak_answer(req, &in, how, err);
    vc_tts_input_free(&in);
    return as_openai(err, rc);
}

enum vc_code vc_handle_openai_models(struct vc_request *req, struct vc_error *err)
{
    json_t *ours = vc_engines_models_json(req->worker->cfg);
    json_t *data = json_array(), *m;
    size_t i;

    if (ours == NULL || data == NULL) {
        json_decref(ours);
        json_decref(data);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    for (i = 0; openai_models[i] != NULL; i++)
        json_array_append_new(data, json_pack("{s:s, s:s, s:i, s:s}", "id", openai_models[i],
                                              "object", "model", "created", 0, "owned_by", "voxcat"));
    json_array_foreach(json_object_get(ours, "models"), i, m) {
        if (json_is_true(json_object_get(m, "available")))
            json_array_append_new(data, json_pack("{s:O, s:s, s:i, s:s}", "id",
                                                  json_object_get(m, "name"), "object", "model",
                                                  "created", 0, "owned_by", "voxcat"));
    }
    json_decref(ours);
    return vc_reply_json_owned(req, 200, json_pack("{s:s, s:o}", "object", "list", "data", data),
                               "Cache-Control: no-store\r\n", err);
}

enum vc_code vc_handle_openai_voices(struct vc_request *req, struct vc_error *err)
{
    const char *p = req->worker->cfg->openai_voices;
    json_t *voices = json_array();

    if (voices == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t n = strcspn(p, "=,");
        json_array_append_new(voices, json_stringn(p, n));
        p += len;
        if (*p == ',')
            p++;
    }
    for (size_t i = 0; vc_voices[i] != NULL; i++)
        json_array_append_new(voices, json_string(vc_voices[i]));
    return vc_reply_json_owned(req, 200, json_pack("{s:o}", "voices", voices),
                               "Cache-Control: public, max-age=300\r\n", err);
}
