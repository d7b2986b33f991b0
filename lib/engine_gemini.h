/* engine_gemini.h - Google Gemini TTS over HTTP (generateContent with the
 * AUDIO modality). Answers are base64 PCM s16le with the rate in the
 * mimeType; two speakers are native (multiSpeakerVoiceConfig). */
#ifndef VC_ENGINE_GEMINI_H
#define VC_ENGINE_GEMINI_H

#include "vc_engine.h"

extern const struct vc_engine vc_engine_gemini;

#endif
