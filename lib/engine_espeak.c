/* engine_espeak.c - the local speech engine: espeak-ng, in process. */
#include "engine_espeak.h"

#include <espeak-ng/speak_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_config.h"

#define PAUSE_MS 250            /* between lines of different speakers */
#define BASE_WPM 175            /* espeak-ng's default speaking rate */

/* One distinct espeak-ng variant per public voice, in vc_voices order
 * (vc_engines.c);
 * female-sounding variants for the voices Gemini describes as female. */
static const char *const variants[] = {
    "f1", "m3", "m1", "f2", "m4", "f3", "m2", "f4",
    "f5", "Annie", "whisper", "m5", "m6", "m7",
    "linda", "belinda", "croak", "m8", "steph", "whisperf",
    "adam", "david", "grandma", "Andrea", "Andy", "john",
    "Alicia", "max", "edward", "aunty",
};

/* espeak-ng language voices, in vc_languages order. espeak-ng has no
 * Indian English voice: en-IN speaks British English ("en"). */
static const char *const espeak_langs[] = {
    "ar", "de", "en-us", "es-419", "fr", "hi", "id", "it",
    "ja", "ko", "pt-br", "ru", "nl", "pl", "th", "tr",
    "vi", "ro", "uk", "bn", "en", "mr", "ta", "te",
};

static int initialised;
/* espeak-ng reloads voice files on every SetVoiceByName: keep the current
 * one and switch only when a request asks for another. */
static char current_voice[64];
static int current_rate;

const char *vc_espeak_variant(const char *voice)
{
    int i = vc_list_index(vc_voices, voice);

    return i < 0 ? NULL : variants[i];
}

const char *vc_espeak_language(const char *language)
{
    int i = vc_list_index(vc_languages, language);

    return i < 0 ? NULL : espeak_langs[i];
}

/* espeak-ng hands us samples through this callback; user_data is the pcm. */
static int on_samples(short *wav, int n, espeak_EVENT *events)
{
    struct vc_pcm *pcm = events ? events->user_data : NULL;

    if (wav == NULL || n <= 0 || pcm == NULL)
        return 0;
    /* Out of memory: stop synthesis (non-zero aborts). */
    return vc_pcm_append(pcm, wav, (size_t)n, NULL) == VC_OK ? 0 : 1;
}

static enum vc_code espeak_init(const struct vc_config *cfg, struct vc_error *err)
{
    int rate;

    (void)cfg;
    if (initialised)
        return VC_OK;
    rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT);
    if (rate <= 0)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "espeak-ng failed to initialise");
    espeak_SetSynthCallback(on_samples);
    initialised = rate;
    return VC_OK;
}

static void espeak_shutdown(void)
{
    if (initialised)
        espeak_Terminate();
    initialised = 0;
    current_voice[0] = '\0';
    current_rate = 0;
}

static int espeak_available(const struct vc_config *cfg, const char **why)
{
    (void)cfg;
    *why = NULL;
    return 1;
}

static int espeak_has_model(const struct vc_config *cfg, const char *model)
{
    (void)cfg;
    return strcmp(model, "espeak") == 0;
}

/* Speak one segment in voice (public name) into pcm. */
static enum vc_code speak(const char *text, const char *voice, const char *language,
                          double speed, struct vc_pcm *pcm, struct vc_error *err)
{
    char name[64];
    const char *lang = language ? vc_espeak_language(language) : "en-us";
    const char *variant = vc_espeak_variant(voice);
    espeak_ERROR e;

    if (lang == NULL || variant == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, lang ? "voice" : "language",
                            "no espeak-ng voice for this %s", lang ? "voice" : "language");
    snprintf(name, sizeof(name), "%s+%s", lang, variant);
    if (strcmp(name, current_voice) != 0) {
        if (espeak_SetVoiceByName(name) != EE_OK) {
            current_voice[0] = '\0';
            current_rate = 0;
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "espeak-ng has no voice %s", name);
        }
        snprintf(current_voice, sizeof(current_voice), "%s", name);
        current_rate = 0;   /* a new voice brings its own rate: set ours again */
    }
    if ((int)(BASE_WPM * speed) != current_rate) {
        current_rate = (int)(BASE_WPM * speed);
        espeak_SetParameter(espeakRATE, current_rate, 0);
    }
    e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, pcm);
    if (e != EE_OK)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "espeak-ng synthesis failed (%d)", (int)e);
    if (espeak_Synchronize() != EE_OK)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "espeak-ng synthesis failed");
    return VC_OK;
}

static enum vc_code speak_line(const struct vc_config *cfg, const struct vc_tts_request *req,
                               const char *text, const char *voice, struct vc_pcm *out,
                               struct vc_error *err)
{
    (void)cfg;
    return speak(text, voice, req->language, req->speed, out, err);
}

static enum vc_code espeak_synthesize(const struct vc_config *cfg,
                                      const struct vc_tts_request *req,
                                      struct vc_pcm *out, struct vc_error *err)
{
    enum vc_code rc;

    if (!initialised) {
        rc = espeak_init(cfg, err);
        if (rc != VC_OK)
            return rc;
    }
    vc_pcm_init(out, initialised);
    if (req->nspeakers == 0)
        return speak(req->text, req->voice, req->language, req->speed, out, err);
    return vc_engine_speak_lines(cfg, req, speak_line, PAUSE_MS, out, err);
}

const struct vc_engine vc_engine_espeak = {
    .name = "espeak",
    .id = VC_ENGINE_ESPEAK,
    .remote = 0,
    .init = espeak_init,
    .shutdown = espeak_shutdown,
    .is_available = espeak_available,
    .has_model = espeak_has_model,
    .synthesize = espeak_synthesize,
};
