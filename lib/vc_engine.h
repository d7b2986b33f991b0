/* vc_engine.h - the speech engine interface and the public voice, language
 * and model lists.
 *
 * espeak-ng (in process), Gemini TTS and ElevenLabs (over HTTP) are each a
 * struct vc_engine: interchangeable behind one synthesize() call that returns
 * PCM s16le mono at a rate the engine states. The public voice names are the
 * 30 Gemini voices and the languages the 24 BCP-47 codes Gemini supports,
 * whatever engine speaks them. */
#ifndef VC_ENGINE_H
#define VC_ENGINE_H

#include <stddef.h>

#include "vc_error.h"
#include "vc_pcm.h"

struct vc_config;

#define VC_MAX_SPEAKERS 2

struct vc_speaker {
    const char *name;       /* as it prefixes lines ("Name: ...") */
    const char *voice;      /* public voice name */
};

/* One synthesis request. All strings are borrowed from the caller and
 * already validated (voice and language from the public lists). */
struct vc_tts_request {
    const char *text;       /* UTF-8, trimmed, non-empty */
    const char *voice;      /* public voice name */
    const char *language;   /* BCP-47 code, or NULL for the voice default */
    const char *model;      /* resolved model name */
    double speed;           /* 0.5 - 2.0, 1.0 = normal */
    const char *instructions;   /* a style prompt, or NULL; engines without one ignore it */
    struct vc_speaker speakers[VC_MAX_SPEAKERS];
    size_t nspeakers;       /* 0 = single voice */
    double deadline;        /* vc_time_mono_s() by which all calls end; 0: none */
};

/* The engines of this build in a fixed order: an id indexes the engine's
 * counters in the scoreboard and its metrics. Append only. */
enum vc_engine_id {
    VC_ENGINE_ESPEAK,
    VC_ENGINE_GEMINI,
    VC_ENGINE_ELEVENLABS,
    VC_ENGINE_FLITE,
    VC_ENGINE_COUNT
};

struct vc_engine {
    const char *name;       /* "espeak", "gemini", "elevenlabs" */
    enum vc_engine_id id;
    int remote;             /* calls a paid service over HTTP */

    /* Prepare per-process state; called once per worker after fork.
     * May be NULL. */
    enum vc_code (*init)(const struct vc_config *cfg, struct vc_error *err);

    /* Release per-process state. May be NULL. */
    void (*shutdown)(void);

    /* Whether the engine can run with cfg; when not, *why names the
     * missing setting (static string). */
    int (*is_available)(const struct vc_config *cfg, const char **why);

    /* Whether this engine serves model (a name or an alias). */
    int (*has_model)(const struct vc_config *cfg, const char *model);

    /* Synthesise req into out (initialised by the engine; the caller frees
     * it with vc_pcm_free on success and failure alike). */
    enum vc_code (*synthesize)(const struct vc_config *cfg,
                               const struct vc_tts_request *req,
                               struct vc_pcm *out, struct vc_error *err);
};

/* Speak one line of text in voice, appending to out. */
typedef enum vc_code (*vc_speak_line_fn)(const struct vc_config *cfg,
                                         const struct vc_tts_request *req,
                                         const char *text, const char *voice,
                                         struct vc_pcm *out, struct vc_error *err);

/* Multi-speaker for engines without it: each line of req->text that starts
 * with "Name:" of a speaker in that speaker's voice (the prefix dropped),
 * other lines in req->voice, joined with pause_ms of silence. Consecutive
 * lines in one voice are one call; more calls than VOXCAT_MAX_SEGMENTS is
 * a 400 before any is made; the request's deadline (504) and
 * VOXCAT_MAX_AUDIO_S (413) stop it between calls. */
enum vc_code vc_engine_speak_lines(const struct vc_config *cfg, const struct vc_tts_request *req,
                                   vc_speak_line_fn speak, unsigned pause_ms,
                                   struct vc_pcm *out, struct vc_error *err) VC_MUST_CHECK;

/* The public voice names (Gemini's 30), NULL-terminated, static. */
extern const char *const vc_voices[];

/* The public language codes (Gemini TTS's 24), NULL-terminated, static. */
extern const char *const vc_languages[];

/* "female" or "male", as Gemini describes a public voice (static), or NULL. */
const char *vc_voice_gender(const char *voice);

/* Index of name in list (case-sensitive), or -1. */
int vc_list_index(const char *const *list, const char *name);

#endif
