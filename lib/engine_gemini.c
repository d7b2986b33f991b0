/* engine_gemini.c - Google Gemini TTS over HTTP. */
#include "engine_gemini.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_base64.h"
#include "vc_config.h"
#include "vc_http.h"

/* A RetryInfo delay longer than this is not waited for: the client gets
 * 429 with Retry-After instead. */
#define MAX_WAIT_S 10.0

static int gemini_available(const struct vc_config *cfg, const char **why)
{
    *why = cfg->gemini_api_key[0] ? NULL : "GEMINI_API_KEY is not set";
    return cfg->gemini_api_key[0] != '\0';
}

static int gemini_has_model(const struct vc_config *cfg, const char *model)
{
    return strcmp(model, cfg->gemini_flash_model) == 0 || strcmp(model, cfg->gemini_pro_model) == 0
        || (strncmp(model, "gemini-", 7) == 0 && strstr(model, "tts") != NULL
            && strspn(model, "abcdefghijklmnopqrstuvwxyz0123456789.-") == strlen(model));
}

static json_t *voice_config(const char *voice)
{
    return json_pack("{s:{s:s}}", "prebuiltVoiceConfig", "voiceName", voice);
}

/* The generateContent body (new reference). */
static json_t *request_body(const struct vc_tts_request *req)
{
    json_t *speech, *body;
    char *prompt = NULL;

    if (req->nspeakers > 0) {
        json_t *list = json_array();
        for (size_t i = 0; i < req->nspeakers; i++)
            json_array_append_new(list, json_pack("{s:s, s:o}", "speaker", req->speakers[i].name,
                                                  "voiceConfig", voice_config(req->speakers[i].voice)));
        speech = json_pack("{s:{s:o}}", "multiSpeakerVoiceConfig", "speakerVoiceConfigs", list);
    } else {
        speech = json_pack("{s:o}", "voiceConfig", voice_config(req->voice));
    }
    if (speech == NULL)
        return NULL;
    if (req->language != NULL)
        json_object_set_new(speech, "languageCode", json_string(req->language));
    /* Gemini takes its style as words before the text ("Say cheerfully:"). */
    if (req->instructions != NULL && req->instructions[0] != '\0'
        && asprintf(&prompt, "%s: %s", req->instructions, req->text) < 0)
        prompt = NULL;
    body = json_pack("{s:[{s:[{s:s}]}], s:{s:[s], s:o}}",
                     "contents", "parts", "text", prompt ? prompt : req->text,
                     "generationConfig", "responseModalities", "AUDIO", "speechConfig", speech);
    free(prompt);
    return body;
}

/* "1.5s" -> 1.5; -1 when absent or malformed. */
static double parse_duration(const char *s)
{
    char *end;
    double v;

    if (s == NULL)
        return -1;
    v = strtod(s, &end);
    if (end == s || strcmp(end, "s") != 0 || v < 0)
        return -1;
    return v;
}

struct gemini_ctx {
    struct vc_pcm *out;
};

/* The rate in a mimeType like "audio/L16;codec=pcm;rate=24000", or Gemini's
 * documented 24000 Hz (which is also ours). */
static int mime_rate(const char *mime)
{
    const char *p = mime ? strstr(mime, "rate=") : NULL;
    long r;

    if (p == NULL)
        return VC_PCM_RATE;
    r = strtol(p + 5, NULL, 10);
    return r >= 8000 && r <= 192000 ? (int)r : VC_PCM_RATE;
}

static enum vc_http_verdict on_ok(const struct vc_http_response *resp, struct gemini_ctx *c,
                                  struct vc_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(resp->body, resp->len, 0, &jerr);
    json_t *cand, *inl;
    const char *data, *mime, *reason;
    unsigned char *pcm = NULL;
    size_t n = 0;
    enum vc_http_verdict v = VC_HTTP_RETRY;

    cand = json_array_get(json_object_get(root, "candidates"), 0);
    inl = json_object_get(json_array_get(json_object_get(json_object_get(cand, "content"), "parts"), 0),
                          "inlineData");
    data = json_string_value(json_object_get(inl, "data"));
    mime = json_string_value(json_object_get(inl, "mimeType"));
    reason = json_string_value(json_object_get(cand, "finishReason"));
    if (data == NULL || data[0] == '\0') {
        vc_error_set(err, VC_ERR_UPSTREAM, NULL, "Gemini returned no audio (finishReason %s)",
                     reason ? reason : "none");
        goto out;
    }
    pcm = vc_base64_decode(data, strlen(data), &n);
    if (pcm == NULL || n == 0 || n % 2 != 0) {
        vc_error_set(err, VC_ERR_UPSTREAM, NULL, "Gemini returned malformed audio data");
        goto out;
    }
    vc_pcm_free(c->out);
    vc_pcm_init(c->out, mime_rate(mime));
    if (vc_pcm_append_s16le(c->out, pcm, n, err) != VC_OK) {
        v = VC_HTTP_FAIL;
        goto out;
    }
    v = VC_HTTP_DONE;
out:
    free(pcm);
    json_decref(root);
    return v;
}

static enum vc_http_verdict on_429(json_t *error, double *delay, struct vc_error *err)
{
    json_t *details = json_object_get(error, "details");
    json_t *d;
    size_t i;
    double wait = -1;
    int daily = 0;

    json_array_foreach(details, i, d) {
        const char *type = json_string_value(json_object_get(d, "@type"));
        if (type == NULL)
            continue;
        if (strstr(type, "RetryInfo") != NULL)
            wait = parse_duration(json_string_value(json_object_get(d, "retryDelay")));
        if (strstr(type, "QuotaFailure") != NULL) {
            json_t *viol;
            size_t k;
            json_array_foreach(json_object_get(d, "violations"), k, viol) {
                const char *id = json_string_value(json_object_get(viol, "quotaId"));
                if (id != NULL && strstr(id, "PerDay") != NULL)
                    daily = 1;
            }
        }
    }
    err->retry_after = wait > 0 ? (int)ceil(wait) : 60;
    vc_error_set(err, VC_ERR_QUOTA_EXCEEDED, NULL, "Gemini quota exceeded%s",
                 daily ? " for today" : "");
    if (daily || wait > MAX_WAIT_S)
        return VC_HTTP_FAIL;
    *delay = wait;
    return VC_HTTP_RETRY;
}

static enum vc_http_verdict classify(const struct vc_http_response *resp, double *delay,
                                     void *ctx, struct vc_error *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    json_t *error;
    const char *msg;
    enum vc_http_verdict v;

    if (resp->status == 200)
        return on_ok(resp, ctx, err);
    root = json_loadb(resp->body, resp->len, 0, &jerr);
    error = json_object_get(root, "error");
    msg = json_string_value(json_object_get(error, "message"));
    switch (resp->status) {
    case 400:
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "Gemini refused the request: %s",
                     msg ? msg : "invalid argument");
        v = VC_HTTP_FAIL;
        break;
    case 401:
    case 403:
        vc_error_set(err, VC_ERR_UPSTREAM, NULL, "Gemini refused the credentials: check GEMINI_API_KEY");
        v = VC_HTTP_FAIL;
        break;
    case 404:
        vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "model", "Gemini has no such model");
        v = VC_HTTP_FAIL;
        break;
    case 429:
        v = on_429(error, delay, err);
        break;
    case 500:
    case 502:
    case 503:
        vc_error_set(err, VC_ERR_UPSTREAM, NULL, "Gemini failed (HTTP %ld)", resp->status);
        v = VC_HTTP_RETRY;
        break;
    case 504:
        vc_error_set(err, VC_ERR_UPSTREAM_TIMEOUT, NULL, "Gemini timed out (HTTP 504)");
        v = VC_HTTP_RETRY;
        break;
    default:
        vc_error_set(err, VC_ERR_UPSTREAM, NULL, "Gemini answered HTTP %ld", resp->status);
        v = VC_HTTP_FAIL;
        break;
    }
    json_decref(root);
    return v;
}

static enum vc_code gemini_synthesize(const struct vc_config *cfg, const struct vc_tts_request *req,
                                      struct vc_pcm *out, struct vc_error *err)
{
    char url[1024];
    char key_header[512];
    const char *headers[3] = { "Content-Type: application/json", key_header, NULL };
    struct gemini_ctx ctx = { out };
    struct vc_http_request hr;
    struct vc_http_response resp;
    json_t *body = request_body(req);
    char *text = NULL;
    enum vc_code rc;

    vc_pcm_init(out, VC_PCM_RATE);
    if (body == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "cannot build the Gemini request");
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    snprintf(url, sizeof(url), "%s/v1beta/models/%s:generateContent", cfg->gemini_api_base,
             req->model);
    snprintf(key_header, sizeof(key_header), "x-goog-api-key: %s", cfg->gemini_api_key);
    hr = (struct vc_http_request){ "gemini", url, headers, text, strlen(text), classify, &ctx,
                                   req->deadline };
    rc = vc_http_call(cfg, &hr, &resp, err);
    vc_http_response_free(&resp);
    free(text);
    return rc;
}

const struct vc_engine vc_engine_gemini = {
    .name = "gemini",
    .id = VC_ENGINE_GEMINI,
    .remote = 1,
    .init = NULL,
    .shutdown = NULL,
    .is_available = gemini_available,
    .has_model = gemini_has_model,
    .synthesize = gemini_synthesize,
};
