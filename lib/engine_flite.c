/* engine_flite.c - the local English engine: CMU Flite, in process. */
#include "engine_flite.h"

#include <flite/flite.h>
#include <stdlib.h>
#include <string.h>

#include "vc_config.h"

#define PAUSE_MS 250            /* between lines of different speakers, as espeak */

/* Flite's voice registration functions (its voice libraries have no
 * headers of their own). */
cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_kal16(const char *voxdir);

static const struct {
    const char *name;
    cst_voice *(*reg)(const char *voxdir);
} flite_voices[] = {
    { "slt", register_cmu_us_slt },     /* female, clustergen */
    { "awb", register_cmu_us_awb },     /* male, Scottish English */
    { "rms", register_cmu_us_rms },     /* male */
    { "kal16", register_cmu_us_kal16 }, /* male, diphone, 16 kHz */
};
/* Not kal, Flite's 8 kHz diphone voice: pocketsphinx heard 17% of its
 * words where the others scored 89-91% (tests/90-flite.bats). */

#define NFLITE (sizeof(flite_voices) / sizeof(flite_voices[0]))

/* One Flite voice per public voice, in vc_voices order: the female ones
 * (as Gemini describes them) speak with slt, the male ones in turn with
 * awb, rms and kal16. */
static const char *const mapping[] = {
    "slt", "awb", "rms", "slt", "kal16", "slt", "awb", "slt",
    "slt", "slt", "rms", "kal16", "awb", "rms",
    "slt", "slt", "kal16", "awb", "slt", "slt",
    "rms", "kal16", "slt", "slt", "awb", "rms",
    "slt", "kal16", "awb", "slt",
};

_Static_assert(sizeof(mapping) / sizeof(mapping[0]) == 30, "one Flite voice per public voice");

static cst_voice *registered[NFLITE];
static int initialised;

const char *vc_flite_voice(const char *voice)
{
    int i = vc_list_index(vc_voices, voice);

    return i < 0 ? NULL : mapping[i];
}

int vc_flite_can_read(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;

    /* Latin letters end at U+024F (two-byte lead 0xC9); combining marks
     * (U+0300-036F) and punctuation (U+2000-206F, lead E2 80/81) are
     * fine. Everything else is a script Flite would spell as noise. */
    for (; *p; p++) {
        if (*p < 0x80 || (*p & 0xC0) == 0x80)
            continue;
        if (*p <= 0xC9)
            continue;
        if (*p == 0xCC || *p == 0xCD)
            continue;
        if (*p == 0xE2 && (p[1] == 0x80 || p[1] == 0x81))
            continue;
        return 0;
    }
    return 1;
}

static enum vc_code flite_engine_init(const struct vc_config *cfg, struct vc_error *err)
{
    (void)cfg;
    if (initialised)
        return VC_OK;
    flite_init();
    for (size_t i = 0; i < NFLITE; i++) {
        registered[i] = flite_voices[i].reg(NULL);
        if (registered[i] == NULL)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "flite: voice %s did not load",
                                flite_voices[i].name);
    }
    initialised = 1;
    return VC_OK;
}

static void flite_engine_shutdown(void)
{
    /* Flite's voices are static data in its libraries: nothing to free
     * that a process exit would not. */
    initialised = 0;
}

static int flite_available(const struct vc_config *cfg, const char **why)
{
    (void)cfg;
    *why = NULL;
    return 1;
}

static int flite_has_model(const struct vc_config *cfg, const char *model)
{
    (void)cfg;
    return strcmp(model, "flite") == 0;
}

static cst_voice *voice_named(const char *name)
{
    for (size_t i = 0; i < NFLITE; i++) {
        if (strcmp(flite_voices[i].name, name) == 0)
            return registered[i];
    }
    return NULL;
}

static enum vc_code speak(const struct vc_config *cfg, const struct vc_tts_request *req,
                          const char *text, const char *voice, struct vc_pcm *out,
                          struct vc_error *err)
{
    const char *name = vc_flite_voice(voice);
    cst_voice *v = name ? voice_named(name) : NULL;
    cst_wave *w;
    enum vc_code rc = VC_OK;

    (void)cfg;
    if (!initialised || v == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "flite is not ready");
    /* Flite stretches durations: the inverse of a speed. */
    flite_feat_set_float(v->features, "duration_stretch", (float)(1.0 / req->speed));
    w = flite_text_to_wave(text, v);
    if (w == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "flite made no audio");
    /* The buffer is at 16 kHz, Flite's rate; a voice at another rate
     * would be brought to it. */
    if (w->sample_rate == out->rate) {
        rc = vc_pcm_append(out, w->samples, (size_t)w->num_samples, err);
    } else {
        struct vc_pcm piece;
        vc_pcm_init(&piece, w->sample_rate);
        rc = vc_pcm_append(&piece, w->samples, (size_t)w->num_samples, err);
        if (rc == VC_OK)
            rc = vc_pcm_resample(&piece, out->rate, err);
        if (rc == VC_OK)
            rc = vc_pcm_append(out, piece.samples, piece.len, err);
        vc_pcm_free(&piece);
    }
    delete_wave(w);
    return rc;
}

static enum vc_code flite_synthesize(const struct vc_config *cfg, const struct vc_tts_request *req,
                                     struct vc_pcm *out, struct vc_error *err)
{
    vc_pcm_init(out, 16000);
    if (!vc_flite_can_read(req->text))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "text",
                            "flite reads English in the Latin script: use model espeak "
                            "for this text");
    if (req->nspeakers == 0)
        return speak(cfg, req, req->text, req->voice, out, err);
    return vc_engine_speak_lines(cfg, req, speak, PAUSE_MS, out, err);
}

const struct vc_engine vc_engine_flite = {
    .name = "flite",
    .id = VC_ENGINE_FLITE,
    .remote = 0,
    .init = flite_engine_init,
    .shutdown = flite_engine_shutdown,
    .is_available = flite_available,
    .has_model = flite_has_model,
    .synthesize = flite_synthesize,
};
