/* vc_engines.h - the registry of speech engines and the public model list.
 *
 * A model name (or alias) picks an engine: "espeak" the local engine,
 * "gemini-flash"/"gemini-pro" (or a full Gemini TTS model name) Gemini,
 * "eleven_multilingual_v2"/"eleven_flash_v2_5" ElevenLabs. A model whose
 * engine lacks its key is listed as unavailable with the setting to set. */
#ifndef VC_ENGINES_H
#define VC_ENGINES_H

#include <jansson.h>

#include "vc_config.h"
#include "vc_engine.h"
#include "vc_error.h"

#define VC_MODEL_MAX 128

struct vc_model_choice {
    const struct vc_engine *engine;     /* static */
    char resolved[VC_MODEL_MAX];        /* the name the engine is asked for */
};

/* Initialise every engine for this process (after fork). A remote engine
 * that fails to initialise is logged and left unavailable. */
enum vc_code vc_engines_init(const struct vc_config *cfg, struct vc_error *err) VC_MUST_CHECK;

/* Release engine state. */
void vc_engines_shutdown(void);

/* Resolve model (NULL = the configured default) to its engine: 400
 * naming "model" when unknown or when its engine is not configured. */
enum vc_code vc_engines_resolve(const struct vc_config *cfg, const char *model,
                                struct vc_model_choice *out, struct vc_error *err) VC_MUST_CHECK;

/* {"models":[{name, engine, resolved, available, reason}]} (new reference). */
json_t *vc_engines_models_json(const struct vc_config *cfg);

/* {"espeak":{"available":true}, ...} for /status (new reference). */
json_t *vc_engines_status_json(const struct vc_config *cfg);

/* The engine of id (static), or NULL when out of range. */
const struct vc_engine *vc_engine_at(enum vc_engine_id id);

#endif
