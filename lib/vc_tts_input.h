/* vc_tts_input.h - a speech request as voxcat accepts it: parsed from a
 * JSON body or a query string, validated field by field against one table,
 * its text normalised, and its cache key. Pure: no I/O, no database, so it
 * is unit tested and fuzzed on its own.
 *
 * The cache key is the sha256 of a canonical JSON serialisation of
 * everything that changes the audio (model, voice, language, speakers,
 * speed, instructions, normalised text, output format): JSON escaping makes it
 * injective, so two different requests never share a key.
 *
 * Being pure, both are remembered per process for the bodies and canonical
 * forms seen last (a fixed table, not thread-safe: voxcat's processes run
 * one request at a time). */
#ifndef VC_TTS_INPUT_H
#define VC_TTS_INPUT_H

#include <jansson.h>
#include <stddef.h>

#include "vc_config.h"
#include "vc_engine.h"
#include "vc_engines.h"
#include "vc_error.h"
#include "vc_format.h"
#include "vc_hash.h"

#define VC_TTS_FIELD_MAX 500    /* title, artist, album, genre */
#define VC_SPEAKER_NAME_MAX 64

/* A validated request. All strings owned; free with vc_tts_input_free. */
struct vc_tts_input {
    char *text;                 /* normalised: trimmed, LF, single spaces */
    char *voice;
    char *language;             /* NULL = the engine's default */
    char *model;                /* the public name asked for */
    struct vc_model_choice choice;
    double speed;
    char *speaker_name[VC_MAX_SPEAKERS];
    char *speaker_voice[VC_MAX_SPEAKERS];
    size_t nspeakers;
    char *title, *artist, *album, *genre;
    char *instructions;         /* a style prompt for engines that take one */
    enum vc_format format;      /* of the answer; WAV unless asked */
    int format_set;             /* the request named the format */
    int async;
    int stream;                 /* send audio while it is made */
};

/* Look up a named value of the request (query parameter); borrowed or NULL. */
typedef const char *(*vc_tts_getter)(void *ctx, const char *name);

/* Parse and validate a JSON body. 400 naming the field, 413 for text over
 * cfg->max_text. On failure in is left empty (nothing to free). */
enum vc_code vc_tts_input_from_json(const struct vc_config *cfg, const char *body, size_t len,
                                    struct vc_tts_input *in, struct vc_error *err) VC_MUST_CHECK;

/* The same from query parameters (GET /tts?text=...): the named fields of
 * the JSON body but speakers and async; other parameters are ignored. */
enum vc_code vc_tts_input_from_query(const struct vc_config *cfg, vc_tts_getter get, void *ctx,
                                     struct vc_tts_input *in, struct vc_error *err) VC_MUST_CHECK;

void vc_tts_input_free(struct vc_tts_input *in);

/* Text with CR/CRLF as LF, runs of blanks as one space, each line trimmed
 * and blank lines dropped. New string, or NULL when out of memory. */
char *vc_tts_normalise_text(const char *text);

/* The cache key of a validated input into key; "" when out of memory (a
 * key that matches no file, so the caller's checks fail safely). */
void vc_tts_cache_key(const struct vc_tts_input *in, char key[VC_SHA256_HEX]);

#endif
