/* vc_engines.c - the registry of speech engines and the public model list. */
#include "vc_engines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_elevenlabs.h"
#include "engine_espeak.h"
#include "engine_flite.h"
#include "engine_gemini.h"
#include "vc_http.h"
#include "vc_log.h"
#include "vc_text.h"
#include "vc_time.h"

/* The public voices are Gemini's 30 and the languages the 24 codes Gemini
 * TTS supports, whatever engine speaks them; the local engine maps each to
 * espeak-ng in this order. */
const char *const vc_voices[] = {
    "Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede",
    "Callirrhoe", "Autonoe", "Enceladus", "Iapetus", "Umbriel", "Algieba",
    "Despina", "Erinome", "Algenib", "Rasalgethi", "Laomedeia", "Achernar",
    "Alnilam", "Schedar", "Gacrux", "Pulcherrima", "Achird", "Zubenelgenubi",
    "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat", NULL
};

const char *const vc_languages[] = {
    "ar-EG", "de-DE", "en-US", "es-US", "fr-FR", "hi-IN", "id-ID", "it-IT",
    "ja-JP", "ko-KR", "pt-BR", "ru-RU", "nl-NL", "pl-PL", "th-TH", "tr-TR",
    "vi-VN", "ro-RO", "uk-UA", "bn-BD", "en-IN", "mr-IN", "ta-IN", "te-IN", NULL
};

/* As Gemini describes its voices, in vc_voices order. */
static const char genders[] = "fmmfmfmfffmmmmffmmffmmffmmfmmf";

_Static_assert(sizeof(genders) - 1 == 30, "one gender per public voice");

const char *vc_voice_gender(const char *voice)
{
    int i = vc_list_index(vc_voices, voice);

    return i < 0 ? NULL : genders[i] == 'f' ? "female" : "male";
}

int vc_list_index(const char *const *list, const char *name)
{
    for (int i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], name) == 0)
            return i;
    }
    return -1;
}

/* Engines in this build, by id. */
static const struct vc_engine *const engines[VC_ENGINE_COUNT] = {
    [VC_ENGINE_ESPEAK] = &vc_engine_espeak,
    [VC_ENGINE_GEMINI] = &vc_engine_gemini,
    [VC_ENGINE_ELEVENLABS] = &vc_engine_elevenlabs,
    [VC_ENGINE_FLITE] = &vc_engine_flite,
};

#define NENGINES VC_ENGINE_COUNT

/* The public models: name, engine name. Aliases resolve through the
 * engine's has_model/config. */
static const struct {
    const char *name;
    enum vc_engine_id engine;
} models[] = {
    { "flite", VC_ENGINE_FLITE },
    { "espeak", VC_ENGINE_ESPEAK },
    { "gemini-flash", VC_ENGINE_GEMINI },
    { "gemini-pro", VC_ENGINE_GEMINI },
    { "eleven_multilingual_v2", VC_ENGINE_ELEVENLABS },
    { "eleven_flash_v2_5", VC_ENGINE_ELEVENLABS },
};

#define NMODELS (sizeof(models) / sizeof(models[0]))

static int initialised[NENGINES];

/* One call's worth of text: consecutive lines in one voice. */
struct segment {
    const char *voice;
    char *text;             /* owned */
};

/* Split req->text into segments of one voice each (at most max + 1, so
 * the caller can tell there are too many). *n gets the count. */
static enum vc_code segments_of(const struct vc_tts_request *req, struct segment *segs,
                                size_t max, size_t *n, struct vc_error *err)
{
    char *copy = strdup(req->text);
    char *save = NULL;

    *n = 0;
    if (copy == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *voice = req->voice;
        const char *rest = line;

        for (size_t i = 0; i < req->nspeakers; i++) {
            size_t len = strlen(req->speakers[i].name);
            if (strncmp(line, req->speakers[i].name, len) == 0 && line[len] == ':') {
                voice = req->speakers[i].voice;
                rest = line + len + 1;
                while (*rest == ' ')
                    rest++;
                break;
            }
        }
        if (*rest == '\0')
            continue;
        if (*n > 0 && strcmp(segs[*n - 1].voice, voice) == 0) {
            struct segment *last = &segs[*n - 1];
            size_t a = strlen(last->text), b = strlen(rest);
            char *joined = realloc(last->text, a + b + 2);
            if (joined == NULL)
                goto oom;
            joined[a] = '\n';
            memcpy(joined + a + 1, rest, b + 1);
            last->text = joined;
            continue;
        }
        if (*n == max + 1)
            break;          /* one past the cap is all the caller needs to see */
        segs[*n].voice = voice;
        segs[*n].text = strdup(rest);
        if (segs[*n].text == NULL)
            goto oom;
        (*n)++;
    }
    free(copy);
    return VC_OK;
oom:
    free(copy);
    return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
}

enum vc_code vc_engine_speak_lines(const struct vc_config *cfg, const struct vc_tts_request *req,
                                   vc_speak_line_fn speak, unsigned pause_ms,
                                   struct vc_pcm *out, struct vc_error *err)
{
    size_t max = (size_t)cfg->max_segments;
    struct segment *segs = calloc(max + 1, sizeof(*segs));
    size_t n = 0;
    enum vc_code rc;

    if (segs == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    rc = segments_of(req, segs, max, &n, err);
    if (rc == VC_OK && n > max)
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "text",
                          "the speakers take turns more than %zu times (VOXCAT_MAX_SEGMENTS)", max);
    for (size_t i = 0; rc == VC_OK && i < n; i++) {
        if (req->deadline > 0 && vc_time_mono_s() >= req->deadline) {
            rc = vc_error_set(err, VC_ERR_UPSTREAM_TIMEOUT, NULL,
                              "the synthesis ran past VOXCAT_REQUEST_TIMEOUT_MS");
            break;
        }
        if (i > 0)
            rc = vc_pcm_append_silence(out, pause_ms, err);
        if (rc == VC_OK)
            rc = speak(cfg, req, segs[i].text, segs[i].voice, out, err);
        if (rc == VC_OK && out->rate > 0 && out->len / (size_t)out->rate > (size_t)cfg->max_audio_s)
            rc = vc_error_set(err, VC_ERR_PAYLOAD_TOO_LARGE, "text",
                              "the audio would be longer than %d s (VOXCAT_MAX_AUDIO_S)",
                              cfg->max_audio_s);
    }
    for (size_t i = 0; i < n; i++)
        free(segs[i].text);
    free(segs);
    return rc;
}

enum vc_code vc_engines_init(const struct vc_config *cfg, struct vc_error *err)
{
    for (size_t i = 0; i < NENGINES; i++) {
        struct vc_error e;

        vc_error_clear(&e);
        if (engines[i]->init == NULL) {
            initialised[i] = 1;
            continue;
        }
        if (engines[i]->init(cfg, &e) != VC_OK) {
            /* The local engine is the one that must work. */
            if (!engines[i]->remote)
                return vc_error_set(err, e.code, NULL, "espeak: %s", e.message);
            vc_log(VC_LOG_WARN, "engine %s unavailable: %s", engines[i]->name, e.message);
            continue;
        }
        initialised[i] = 1;
    }
    return VC_OK;
}

void vc_engines_shutdown(void)
{
    vc_http_shutdown();
    for (size_t i = 0; i < NENGINES; i++) {
        if (initialised[i] && engines[i]->shutdown != NULL)
            engines[i]->shutdown();
        initialised[i] = 0;
    }
}

const struct vc_engine *vc_engine_at(enum vc_engine_id id)
{
    return (unsigned)id < NENGINES ? engines[id] : NULL;
}

/* The engine named by a model, or by a full model name one engine claims. */
static const struct vc_engine *engine_of(const struct vc_config *cfg, const char *model)
{
    for (size_t i = 0; i < NMODELS; i++) {
        if (strcmp(models[i].name, model) == 0)
            return engines[models[i].engine];
    }
    for (size_t i = 0; i < NENGINES; i++) {
        if (engines[i]->has_model != NULL && engines[i]->has_model(cfg, model))
            return engines[i];
    }
    return NULL;
}

/* Whether an engine can serve cfg; *why says what is missing (its key). */
static int engine_available(const struct vc_config *cfg, const struct vc_engine *e,
                            const char **why)
{
    *why = NULL;
    return e->is_available == NULL || e->is_available(cfg, why);
}

static void resolved_name(const struct vc_config *cfg, const char *model, char *out, size_t len)
{
    if (strcmp(model, "gemini-flash") == 0)
        model = cfg->gemini_flash_model;
    else if (strcmp(model, "gemini-pro") == 0)
        model = cfg->gemini_pro_model;
    (void)vc_strjoin(out, len, model, (char *)NULL);
}

enum vc_code vc_engines_resolve(const struct vc_config *cfg, const char *model,
                                struct vc_model_choice *out, struct vc_error *err)
{
    const struct vc_engine *engine;
    const char *why = NULL;

    if (model == NULL || model[0] == '\0')
        model = cfg->default_model;
    if (strlen(model) >= VC_MODEL_MAX)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "model", "model name too long");
    engine = engine_of(cfg, model);
    if (engine == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "model",
                            "unknown model \"%s\" (see GET /tts/models)", model);
    if (!engine_available(cfg, engine, &why))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "model",
                            "model \"%s\" is not available: %s", model, why);
    out->engine = engine;
    resolved_name(cfg, model, out->resolved, sizeof(out->resolved));
    return VC_OK;
}

json_t *vc_engines_models_json(const struct vc_config *cfg)
{
    json_t *list = json_array();

    if (list == NULL)
        return NULL;
    for (size_t i = 0; i < NMODELS; i++) {
        char resolved[VC_MODEL_MAX];
        const char *why = NULL;
        int ok = engine_available(cfg, engines[models[i].engine], &why);
        json_t *m;

        resolved_name(cfg, models[i].name, resolved, sizeof(resolved));
        m = json_pack("{s:s, s:s, s:s, s:b, s:s?}", "name", models[i].name,
                      "engine", engines[models[i].engine]->name, "resolved", resolved,
                      "available", ok, "reason", ok ? NULL : why);
        if (m == NULL || json_array_append_new(list, m) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return json_pack("{s:o}", "models", list);
}

json_t *vc_engines_status_json(const struct vc_config *cfg)
{
    json_t *out = json_object();

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < NENGINES; i++) {
        const char *why = NULL;
        int ok = engine_available(cfg, engines[i], &why);
        json_object_set_new(out, engines[i]->name, json_pack("{s:b, s:s?}", "available", ok,
                                                             "reason", ok ? NULL : why));
    }
    return out;
}
