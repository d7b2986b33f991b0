/* handlers.h - the request handlers the route table points to. */
#ifndef VC_HANDLERS_H
#define VC_HANDLERS_H

#include "router.h"

/* handle_status.c */
enum vc_code vc_handle_status(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_status_live(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_status_ready(struct vc_request *req, struct vc_error *err);

/* handle_search.c */
enum vc_code vc_handle_search(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_search_facets(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_search_track(struct vc_request *req, struct vc_error *err);

/* handle_track_status.c */
enum vc_code vc_handle_track_status_get(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_track_status_put(struct vc_request *req, struct vc_error *err);

/* handle_metrics.c */
enum vc_code vc_handle_status_metrics(struct vc_request *req, struct vc_error *err);

/* handle_tts.c */

/* How speech is answered: the file (through nginx), or sent while it is
 * made as raw audio or as server-sent events. */
enum vc_answer { VC_ANSWER_FILE, VC_ANSWER_STREAM, VC_ANSWER_EVENTS };

struct vc_tts_input;

/* Speak in (owned by the caller; an async request takes it over) and
 * answer as how says: the one path of POST /tts, GET /tts and the OpenAI
 * route. */
enum vc_code vc_speak_answer(struct vc_request *req, struct vc_tts_input *in,
                             enum vc_answer how, struct vc_error *err);

enum vc_code vc_handle_tts_post(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tts_get(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tts_audio(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tts_track(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tts_voices(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tts_languages(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tts_models(struct vc_request *req, struct vc_error *err);

/* handle_tokens.c */
enum vc_code vc_handle_tokens_list(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tokens_create(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_tokens_revoke(struct vc_request *req, struct vc_error *err);

/* handle_openai.c */
enum vc_code vc_handle_openai_speech(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_openai_models(struct vc_request *req, struct vc_error *err);
enum vc_code vc_handle_openai_voices(struct vc_request *req, struct vc_error *err);

#endif
