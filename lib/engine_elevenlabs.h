/* engine_elevenlabs.h - ElevenLabs text-to-speech over HTTP, raw PCM
 * s16le at 24 kHz. Public voice names map to ElevenLabs voice ids through
 * VOXCAT_ELEVENLABS_VOICES; two speakers are spoken line by line. */
#ifndef VC_ENGINE_ELEVENLABS_H
#define VC_ENGINE_ELEVENLABS_H

#include "vc_engine.h"

extern const struct vc_engine vc_engine_elevenlabs;

#endif
