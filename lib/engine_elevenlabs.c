/* engine_elevenlabs.c - ElevenLabs text-to-speech over HTTP. */
#include "engine_elevenlabs.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_config.h"
#include "vc_http.h"

#define PAUSE_MS 250
#define VOICE_ID_MAX 64

static int eleven_available(const struct vc_config *cfg, const char **why)
{
    *why = cfg->elevenlabs_api_key[0] ? NULL : "ELEVENLABS_API_KEY is not set";
    return cfg->elevenlabs_api_key[0] != '\0';
}

static int eleven_has_model(const struct vc_config *cfg, const char *model)
{
    (void)cfg;
    return strcmp(model, "eleven_multilingual_v2") == 0 || strcmp(model, "eleven_flash_v2_5") == 0;
}

/* The ElevenLabs voice id of a public voice name, from
 * VOXCAT_ELEVENLABS_VOICES ("Kore=21m00Tcm4TlvDq8ikWAM,Puck=..."). */
static int voice_id(const struct vc_config *cfg, const char *voice, char out[VOICE_ID_MAX])
{
    const char *p = cfg->elevenlabs_voices;
    size_t vn = strlen(voice);

    while (*p) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        if (eq != NULL && (size_t)(eq - p) == vn && strncmp(p, voice, vn) == 0) {
            size_t idlen = len - vn - 1;
            if (idlen == 0 || idlen >= VOICE_ID_MAX)
                return -1;
            memcpy(out, eq + 1, idlen);
            out[idlen] = '\0';
            /* The id goes into the URL path: letters and digits only. */
            for (size_t i = 0; i < idlen; i++) {
                if (!isalnum((unsigned char)out[i]))
                    return -1;
            }
            return 0;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return -1;
}

struct eleven_ctx {
    struct vc_pcm *out;
};

static const char *detail_status(json_t *root)
{
    return json_string_value(json_object_get(json_object_get(root, "detail"), "status"));
}

static enum vc_http_verdict classify(const struct vc_http_response *resp, double *delay,
                                     void *vctx, struct vc_error *err)
{
    struct eleven_ctx *c = vctx;
    json_error_t jerr;
    json_t *root;
    const char *status;
    enum vc_http_verdict v;

    (void)delay;
    if (resp->status == 200) {
        if (resp->len == 0 || resp->len % 2 != 0) {
            vc_error_set(err, VC_ERR_UPSTREAM, NULL, "ElevenLabs returned no usable audio");
            return VC_HTTP_RETRY;
        }
        return vc_pcm_append_s16le(c->out, (const unsigned char *)resp->body, resp->len, err)
            == VC_OK ? VC_HTTP_DONE : VC_HTTP_FAIL;
    }
    root = json_loadb(resp->body, resp->len, 0, &jerr);
    status = detail_status(root);
    if (status != NULL && strcmp(status, "quota_exceeded") == 0) {
        err->retry_after = 3600;
        vc_error_set(err, VC_ERR_QUOTA_EXCEEDED, NULL, "ElevenLabs quota exceeded");
        v = VC_HTTP_FAIL;
    } else if (resp->status == 401 || resp->status == 403) {
        vc_error_set(err, VC_ERR_UPSTREAM, NULL,
                     "ElevenLabs refused the credentials: check ELEVENLABS_API_KEY");
        v = VC_HTTP_FAIL;
    } else if (resp->status == 429) {
        err->retry_after = 5;
        vc_error_set(err, VC_ERR_QUOTA_EXCEEDED, NULL, "ElevenLabs is busy (%s)",
                     status ? status : "rate limited");
        v = VC_HTTP_RETRY;
    } else if (resp->status == 400 || resp->status == 422) {
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "ElevenLabs refused the request%s%s",
                     status ? ": " : "", status ? status : "");
        v = VC_HTTP_FAIL;
    } else if (resp->status >= 500) {
        vc_error_set(err, resp->status == 504 ? VC_ERR_UPSTREAM_TIMEOUT : VC_ERR_UPSTREAM, NULL,
                     "ElevenLabs failed (HTTP %ld)", resp->status);
        v = VC_HTTP_RETRY;
    } else {
        vc_error_set(err, VC_ERR_UPSTREAM, NULL, "ElevenLabs answered HTTP %ld", resp->status);
        v = VC_HTTP_FAIL;
    }
    json_decref(root);
    return v;
}

/* Speak one segment in voice into out (appending); a vc_speak_line_fn. */
static enum vc_code speak(const struct vc_config *cfg, const struct vc_tts_request *req,
                          const char *text, const char *voice, struct vc_pcm *out,
                          struct vc_error *err)
{
    char id[VOICE_ID_MAX];
    char url[1024];
    char key_header[512];
    char lang[4] = "";
    const char *headers[4] = { "Content-Type: application/json", "Accept: audio/pcm", key_header, NULL };
    struct eleven_ctx ctx = { out };
    struct vc_http_request hr;
    struct vc_http_response resp;
    json_t *body;
    char *json;
    enum vc_code rc;

    if (voice_id(cfg, voice, id) != 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "voice",
                            "no ElevenLabs voice id for %s: set VOXCAT_ELEVENLABS_VOICES", voice);
    if (req->language != NULL) {
        lang[0] = req->language[0];
        lang[1] = req->language[1];
        lang[2] = '\0';
    }
    body = json_pack("{s:s, s:s, s:{s:f}}", "text", text, "model_id", req->model,
                     "voice_settings", "speed", req->speed);
    if (body != NULL && lang[0])
        json_object_set_new(body, "language_code", json_string(lang));
    json = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (json == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    snprintf(url, sizeof(url), "%s/v1/text-to-speech/%s?output_format=pcm_24000",
             cfg->elevenlabs_api_base, id);
    snprintf(key_header, sizeof(key_header), "xi-api-key: %s", cfg->elevenlabs_api_key);
    hr = (struct vc_http_request){ "elevenlabs", url, headers, json, strlen(json), classify, &ctx,
                                   req->deadline };
    rc = vc_http_call(cfg, &hr, &resp, err);
    vc_http_response_free(&resp);
    free(json);
    return rc;
}

static enum vc_code eleven_synthesize(const struct vc_config *cfg, const struct vc_tts_request *req,
                                      struct vc_pcm *out, struct vc_error *err)
{
    vc_pcm_init(out, VC_PCM_RATE);
    if (req->nspeakers == 0)
        return speak(cfg, req, req->text, req->voice, out, err);
    return vc_engine_speak_lines(cfg, req, speak, PAUSE_MS, out, err);
}

const struct vc_engine vc_engine_elevenlabs = {
    .name = "elevenlabs",
    .id = VC_ENGINE_ELEVENLABS,
    .remote = 1,
    .init = NULL,
    .shutdown = NULL,
    .is_available = eleven_available,
    .has_model = eleven_has_model,
    .synthesize = eleven_synthesize,
};
