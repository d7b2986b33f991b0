/* engine_espeak.h - the local speech engine: espeak-ng, in process.
 *
 * espeak-ng keeps global state and is not thread-safe: one engine per
 * process, initialised after fork (init), synchronous, and told not to exit
 * the process on errors. It speaks at 22050 Hz; the speech path resamples. */
#ifndef VC_ENGINE_ESPEAK_H
#define VC_ENGINE_ESPEAK_H

#include "vc_engine.h"

extern const struct vc_engine vc_engine_espeak;

/* The espeak-ng variant a public voice maps to (static), or NULL. */
const char *vc_espeak_variant(const char *voice);

/* The espeak-ng language voice a BCP-47 code maps to (static), or NULL. */
const char *vc_espeak_language(const char *language);

#endif
