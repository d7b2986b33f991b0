/* engine_flite.h - the local English engine: CMU Flite, in process.
 *
 * Flite's English voices (slt, awb, rms, kal16) are far easier to
 * understand than espeak-ng's English (see the README's measured recall),
 * so an English request with no model comes here. Each public voice maps
 * to one Flite voice of its gender. Flite keeps global state: the voices
 * are registered once per process, after fork; it speaks at 16 kHz and
 * the speech path resamples. Latin script only: other text is a 400
 * naming "text". */
#ifndef VC_ENGINE_FLITE_H
#define VC_ENGINE_FLITE_H

#include "vc_engine.h"

extern const struct vc_engine vc_engine_flite;

/* The Flite voice a public voice maps to (static), or NULL. */
const char *vc_flite_voice(const char *voice);

/* Whether Flite can read text: letters of the Latin script only (any
 * punctuation, digits and symbols). */
int vc_flite_can_read(const char *text);

#endif
