/* vc_tts_input.c - parse, validate and normalise a speech request, and
 * compute its cache key. */
#include "vc_tts_input.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_flite.h"
#include "vc_jsonw.h"
#include "vc_text.h"

#define VOICE_MAX 64
#define INSTRUCTIONS_MAX 2000
#define LANGUAGE_MAX 16

#define NSTRINGS (9 + 2 * VC_MAX_SPEAKERS)

/* The addresses of an input's strings: the one list that freeing and
 * copying an input go by. */
static void string_fields(struct vc_tts_input *in, char **f[NSTRINGS])
{
    size_t n = 0;

    f[n++] = &in->text;
    f[n++] = &in->voice;
    f[n++] = &in->language;
    f[n++] = &in->model;
    f[n++] = &in->title;
    f[n++] = &in->artist;
    f[n++] = &in->album;
    f[n++] = &in->genre;
    f[n++] = &in->instructions;
    for (size_t i = 0; i < VC_MAX_SPEAKERS; i++) {
        f[n++] = &in->speaker_name[i];
        f[n++] = &in->speaker_voice[i];
    }
}

void vc_tts_input_free(struct vc_tts_input *in)
{
    char **f[NSTRINGS];

    if (in == NULL)
        return;
    string_fields(in, f);
    for (size_t i = 0; i < NSTRINGS; i++)
        free(*f[i]);
    memset(in, 0, sizeof(*in));
}

char *vc_tts_normalise_text(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    size_t o = 0;
    int pending_space = 0, at_line_start = 1;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        if (c == '\r' || c == '\n') {
            if (!at_line_start) {
                out[o++] = '\n';
                at_line_start = 1;
            }
            pending_space = 0;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
            pending_space = !at_line_start;
            continue;
        }
        if (pending_space)
            out[o++] = ' ';
        pending_space = 0;
        at_line_start = 0;
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == '\n')
        o--;
    out[o] = '\0';
    return out;
}

/* Copy a string value after the checks every string field shares. */
static enum vc_code dup_checked(const char *value, const char *field, size_t max,
                                char **out, struct vc_error *err)
{
    if (!vc_utf8_valid(value, strlen(value)))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field, "%s is not valid UTF-8", field);
    if (strlen(value) > max)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, field,
                            "%s is longer than %zu bytes", field, max);
    *out = strdup(value);
    if (*out == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    return VC_OK;
}

/* Whether text has a line that starts with "name:". */
static int text_has_speaker(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *line = text;

    while (line != NULL && *line) {
        if (strncmp(line, name, n) == 0 && line[n] == ':')
            return 1;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return 0;
}

/* ---- one checker per kind of field ------------------------------------ */

struct field;
typedef enum vc_code (*take_fn)(const struct vc_config *cfg, const struct field *f, json_t *v,
                                struct vc_tts_input *in, struct vc_error *err);

/* A field of the request: its name, how it is checked and taken, its
 * limit, the list of values it may hold, and where it goes in the input.
 * v is never NULL or JSON null when take is called. */
struct field {
    const char *name;
    take_fn take;
    size_t max;
    const char *const *list;
    const char *list_hint;      /* where a client finds list */
    int blank_is_absent;        /* "" leaves the default */
    size_t off;
};

#define SLOT(in, f, type) ((type *)((char *)(in) + (f)->off))

static enum vc_code take_text(const struct vc_config *cfg, const struct field *f, json_t *v,
                              struct vc_tts_input *in, struct vc_error *err)
{
    const char *s;
    size_t n;

    if (!json_is_string(v))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "%s must be a string", f->name);
    s = json_string_value(v);
    n = json_string_length(v);
    if (n > (size_t)cfg->max_text)
        return vc_error_set(err, VC_ERR_PAYLOAD_TOO_LARGE, f->name,
                            "text is %zu bytes, over the limit of %ld", n, cfg->max_text);
    if (!vc_utf8_valid(s, n))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "text is not valid UTF-8");
    in->text = vc_tts_normalise_text(s);
    if (in->text == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    if (in->text[0] == '\0')
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "text is empty");
    return VC_OK;
}

/* A string, from f->list when there is one. A name from a list (or a
 * model) given as "" means not given: the default applies. */
static enum vc_code take_string(const struct vc_config *cfg, const struct field *f, json_t *v,
                                struct vc_tts_input *in, struct vc_error *err)
{
    const char *s;

    (void)cfg;
    if (!json_is_string(v))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "%s must be a string", f->name);
    s = json_string_value(v);
    if (s[0] == '\0' && f->blank_is_absent)
        return VC_OK;
    if (f->list != NULL && vc_list_index(f->list, s) < 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "unknown %s (see %s)",
                            f->name, f->list_hint);
    return dup_checked(s, f->name, f->max, SLOT(in, f, char *), err);
}

static enum vc_code take_speed(const struct vc_config *cfg, const struct field *f, json_t *v,
                               struct vc_tts_input *in, struct vc_error *err)
{
    double speed;

    (void)cfg;
    if (!json_is_number(v))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "speed must be a number");
    speed = json_number_value(v);
    if (!(speed >= 0.5 && speed <= 2.0))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                            "speed must be between 0.5 and 2.0");
    /* Two decimals is all any engine honours; rounding keeps the key stable. */
    in->speed = round(speed * 100.0) / 100.0;
    return VC_OK;
}

static enum vc_code take_format(const struct vc_config *cfg, const struct field *f, json_t *v,
                                struct vc_tts_input *in, struct vc_error *err)
{
    (void)cfg;
    if (!json_is_string(v) || vc_format_parse(json_string_value(v), &in->format) != 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "format must be %s",
                            vc_format_list());
    in->format_set = 1;
    return VC_OK;
}

static enum vc_code take_bool(const struct vc_config *cfg, const struct field *f, json_t *v,
                              struct vc_tts_input *in, struct vc_error *err)
{
    (void)cfg;
    if (!json_is_boolean(v))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "%s must be true or false",
                            f->name);
    *SLOT(in, f, int) = json_is_true(v);
    return VC_OK;
}

/* Speakers: after text, which their names must prefix. */
static enum vc_code take_speakers(const struct vc_config *cfg, const struct field *f, json_t *v,
                                  struct vc_tts_input *in, struct vc_error *err)
{
    size_t i;
    json_t *sp;

    (void)cfg;
    if (!json_is_array(v) || json_array_size(v) > VC_MAX_SPEAKERS)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                            "speakers must be an array of at most %d {name, voice}",
                            VC_MAX_SPEAKERS);
    json_array_foreach(v, i, sp) {
        const char *name = json_string_value(json_object_get(sp, "name"));
        const char *voice = json_string_value(json_object_get(sp, "voice"));
        enum vc_code rc;

        if (!json_is_object(sp) || name == NULL || voice == NULL)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                "speaker %zu must be {\"name\": string, \"voice\": string}", i + 1);
        if (name[0] == '\0' || strlen(name) > VC_SPEAKER_NAME_MAX || strpbrk(name, ":\n\r") != NULL)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                "speaker %zu needs a name of 1-%d characters without ':'",
                                i + 1, VC_SPEAKER_NAME_MAX);
        if (vc_list_index(vc_voices, voice) < 0)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                "speaker %zu has an unknown voice", i + 1);
        if (i > 0 && strcmp(name, in->speaker_name[0]) == 0)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name, "speaker names must differ");
        if (!text_has_speaker(in->text, name))
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, f->name,
                                "no line of text starts with \"%s:\"", name);
        rc = dup_checked(name, f->name, VC_SPEAKER_NAME_MAX, &in->speaker_name[i], err);
        if (rc == VC_OK)
            rc = dup_checked(voice, f->name, VOICE_MAX, &in->speaker_voice[i], err);
        if (rc != VC_OK)
            return rc;
        in->nspeakers++;
    }
    return VC_OK;
}

#define OFF(member) offsetof(struct vc_tts_input, member)

/* Every field a request may have, checked in this order: text first, as
 * speakers refer to it. A field not here is refused by name. */
static const struct field fields[] = {
    { "text",     take_text,     0,                NULL,         NULL,                 0, OFF(text) },
    { "voice",    take_string,   VOICE_MAX,        vc_voices,    "GET /tts/voices",    1, OFF(voice) },
    { "language", take_string,   LANGUAGE_MAX,     vc_languages, "GET /tts/languages", 1, OFF(language) },
    { "model",    take_string,   VC_MODEL_MAX,     NULL,         NULL,                 1, OFF(model) },
    { "speed",    take_speed,    0,                NULL,         NULL,                 0, OFF(speed) },
    { "speakers", take_speakers, 0,                NULL,         NULL,                 0, OFF(speaker_name) },
    { "title",    take_string,   VC_TTS_FIELD_MAX, NULL,         NULL,                 0, OFF(title) },
    { "artist",   take_string,   VC_TTS_FIELD_MAX, NULL,         NULL,                 0, OFF(artist) },
    { "album",    take_string,   VC_TTS_FIELD_MAX, NULL,         NULL,                 0, OFF(album) },
    { "genre",    take_string,   VC_TTS_FIELD_MAX, NULL,         NULL,                 0, OFF(genre) },
    { "instructions", take_string, INSTRUCTIONS_MAX, NULL,       NULL,                 1, OFF(instructions) },
    { "format",   take_format,   0,                NULL,         NULL,                 0, OFF(format) },
    { "async",    take_bool,     0,                NULL,         NULL,                 0, OFF(async) },
    { "stream",   take_bool,     0,                NULL,         NULL,                 0, OFF(stream) },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct field *field_named(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    }
    return NULL;
}

/* The model of a request that named none. Under "auto" (the default),
 * English in the Latin script goes to Flite, which a listener understands,
 * and every other language to espeak-ng; the choice is recorded on the
 * track and is part of the cache key like a named model. */
static const char *default_model(const struct vc_config *cfg, const struct vc_tts_input *in)
{
    if (strcmp(cfg->default_model, "auto") != 0)
        return cfg->default_model;
    if ((in->language == NULL || strncmp(in->language, "en-", 3) == 0)
        && vc_flite_can_read(in->text))
        return "flite";
    return "espeak";
}

/* Validate a parsed request object (borrowed) into in. */
static enum vc_code from_object(const struct vc_config *cfg, json_t *root,
                                struct vc_tts_input *in, struct vc_error *err)
{
    const char *key;
    json_t *v;
    enum vc_code rc;

    memset(in, 0, sizeof(*in));
    in->speed = 1.0;
    if (!json_is_object(root))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body", "the body must be a JSON object");
    json_object_foreach(root, key, v) {
        if (field_named(key) == NULL)
            return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, key, "unknown field \"%s\"", key);
    }
    v = json_object_get(root, "text");
    if (v == NULL || json_is_null(v))
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "text", "text is required");
    for (size_t i = 0; i < NFIELDS; i++) {
        v = json_object_get(root, fields[i].name);
        if (v == NULL || json_is_null(v))
            continue;
        rc = fields[i].take(cfg, &fields[i], v, in, err);
        if (rc != VC_OK)
            goto fail;
    }
    if (in->voice == NULL) {
        in->voice = strdup(cfg->default_voice);
        if (in->voice == NULL) {
            rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            goto fail;
        }
    }
    if (in->model == NULL) {
        in->model = strdup(default_model(cfg, in));
        if (in->model == NULL) {
            rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            goto fail;
        }
    }
    rc = vc_engines_resolve(cfg, in->model, &in->choice, err);
    if (rc != VC_OK)
        goto fail;
    return VC_OK;
fail:
    vc_tts_input_free(in);
    return rc;
}

/* A memo of bodies that parsed, and of cache keys, per process. Parsing
 * is pure (the body and the settings decide it, nothing else), so a body
 * seen before needs no second jansson tree: a player asking for the same
 * speech again is a cache hit, and the parse was a third of its work.
 * Only short bodies are kept, in a fixed table: its memory is bounded and
 * an entry is simply overwritten. */
#define MEMO_SLOTS 64
#define MEMO_BYTES 1024

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static struct {
    unsigned long serial;       /* the settings it was parsed under */
    size_t len;                 /* 0: empty */
    char body[MEMO_BYTES];
    struct vc_tts_input in;     /* owned */
} parsed[MEMO_SLOTS];

/* A deep copy of a validated input; -1 (to left empty) when out of memory. */
static int input_copy(const struct vc_tts_input *from, struct vc_tts_input *to)
{
    char **f[NSTRINGS];
    int bad = 0;

    *to = *from;
    string_fields(to, f);
    for (size_t i = 0; i < NSTRINGS; i++) {
        if (*f[i] == NULL)
            continue;
        *f[i] = bad ? NULL : strdup(*f[i]);
        bad |= *f[i] == NULL;
    }
    if (bad)
        vc_tts_input_free(to);
    return bad ? -1 : 0;
}

enum vc_code vc_tts_input_from_json(const struct vc_config *cfg, const char *body, size_t len,
                                    struct vc_tts_input *in, struct vc_error *err)
{
    json_error_t jerr;
    json_t *root;
    enum vc_code rc;
    unsigned slot = 0;

    memset(in, 0, sizeof(*in));
    if (body != NULL && len > 0 && len <= MEMO_BYTES) {
        slot = fnv1a(body, len) % MEMO_SLOTS;
        if (parsed[slot].len == len && parsed[slot].serial == cfg->serial
            && memcmp(parsed[slot].body, body, len) == 0 && input_copy(&parsed[slot].in, in) == 0)
            return VC_OK;
    }
    root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "body",
                            "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                            jerr.text);
    rc = from_object(cfg, root, in, err);
    json_decref(root);
    if (rc == VC_OK && body != NULL && len > 0 && len <= MEMO_BYTES) {
        vc_tts_input_free(&parsed[slot].in);
        parsed[slot].len = 0;
        if (input_copy(in, &parsed[slot].in) == 0) {
            memcpy(parsed[slot].body, body, len);
            parsed[slot].len = len;
            parsed[slot].serial = cfg->serial;
        }
    }
    return rc;
}

enum vc_code vc_tts_input_from_query(const struct vc_config *cfg, vc_tts_getter get, void *ctx,
                                     struct vc_tts_input *in, struct vc_error *err)
{
    json_t *root = json_object();
    enum vc_code rc = VC_OK;

    memset(in, 0, sizeof(*in));
    if (root == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    /* A query carries strings only: the JSON fields that are strings, and
     * speed as a number. */
    for (size_t i = 0; i < NFIELDS && rc == VC_OK; i++) {
        const struct field *f = &fields[i];
        const char *s;
        json_t *v;

        if (f->take != take_string && f->take != take_text && f->take != take_speed
            && f->take != take_format)
            continue;
        s = get(ctx, f->name);
        if (s == NULL)
            continue;
        if (f->take == take_speed) {
            char *end;
            double d;
            if (s[0] == '\0')
                continue;
            errno = 0;
            d = strtod(s, &end);
            if (errno != 0 || *end != '\0') {
                rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "speed", "speed must be a number");
                break;
            }
            v = json_real(d);
        } else {
            /* Not json_string: it would refuse bad UTF-8 before the field
             * check can name the field. */
            v = json_stringn_nocheck(s, strlen(s));
        }
        if (v == NULL || json_object_set_new(root, f->name, v) != 0)
            rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    if (rc == VC_OK)
        rc = from_object(cfg, root, in, err);
    json_decref(root);
    return rc;
}

/* The key is sha256 over canonical JSON: compact, keys sorted, strings as
 * jansson escapes them (what the key was when it was built with
 * json_dumps(JSON_SORT_KEYS); stored keys depend on every byte, and
 * test_tts_input checks it still is). Written directly: it is on every
 * request's path, and building and sorting a jansson tree cost more than
 * the rest of a cache hit's parsing. */
/* The keys of the last canonical forms hashed: the same memo's reason. */
static struct {
    size_t len;                 /* 0: empty */
    char text[MEMO_BYTES];
    char key[VC_SHA256_HEX];
} hashed[MEMO_SLOTS];

static void hash_memo(const char *text, size_t len, char key[VC_SHA256_HEX])
{
    unsigned slot = fnv1a(text, len) % MEMO_SLOTS;

    if (len <= MEMO_BYTES && hashed[slot].len == len && memcmp(hashed[slot].text, text, len) == 0) {
        memcpy(key, hashed[slot].key, VC_SHA256_HEX);
        return;
    }
    if (vc_sha256_hex(text, len, key) != 0) {
        key[0] = '\0';
        return;
    }
    if (len <= MEMO_BYTES) {
        memcpy(hashed[slot].text, text, len);
        memcpy(hashed[slot].key, key, VC_SHA256_HEX);
        hashed[slot].len = len;
    }
}

void vc_tts_cache_key(const struct vc_tts_input *in, char key[VC_SHA256_HEX])
{
    struct vc_jsonw w;
    char speed[16];
    const char *text;
    size_t len;

    key[0] = '\0';
    if (in->text == NULL || in->voice == NULL)
        return;
    if (in->speed == 1.0)           /* most requests: no format to parse */
        memcpy(speed, "1.00", 5);
    else
        snprintf(speed, sizeof(speed), "%.2f", in->speed);
    vc_jsonw_init(&w, 0);
    VC_JSONW_LIT(&w, "{\"format\":\"");
    vc_jsonw_raw(&w, vc_format_name(in->format), strlen(vc_format_name(in->format)));
    VC_JSONW_LIT(&w, "-24000-mono\",\"instructions\":");
    vc_jsonw_cstring(&w, in->instructions ? in->instructions : "");
    vc_jsonw_key(&w, "language", 0);
    vc_jsonw_cstring(&w, in->language ? in->language : "");
    vc_jsonw_key(&w, "model", 0);
    vc_jsonw_cstring(&w, in->choice.resolved);
    VC_JSONW_LIT(&w, ",\"speakers\":[");
    for (size_t i = 0; i < in->nspeakers; i++) {
        vc_jsonw_raw(&w, i > 0 ? ",[" : "[", i > 0 ? 2 : 1);
        vc_jsonw_cstring(&w, in->speaker_name[i]);
        VC_JSONW_LIT(&w, ",");
        vc_jsonw_cstring(&w, in->speaker_voice[i]);
        VC_JSONW_LIT(&w, "]");
    }
    VC_JSONW_LIT(&w, "],\"speed\":\"");
    vc_jsonw_raw(&w, speed, strlen(speed));
    VC_JSONW_LIT(&w, "\",\"text\":");
    vc_jsonw_cstring(&w, in->text);
    VC_JSONW_LIT(&w, ",\"v\":2,\"voice\":");
    vc_jsonw_cstring(&w, in->voice);
    VC_JSONW_LIT(&w, "}");
    text = vc_jsonw_text(&w, &len);
    if (text != NULL)
        hash_memo(text, len, key);
    vc_jsonw_release(&w);
}
