/* test_tts_input.c - speech request parsing, validation, normalisation and
 * the cache key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pieces.h"
#include "tap.h"
#include "vc_format.h"
#include "vc_hash.h"
#include "vc_tts_input.h"

static struct vc_config cfg;

/* Parse body; returns the code, and the field blamed in field. */
static enum vc_code parse(const char *body, struct vc_tts_input *in, char field[VC_ERR_FIELD_MAX])
{
    struct vc_error err;
    enum vc_code rc;

    vc_error_clear(&err);
    rc = vc_tts_input_from_json(&cfg, body, strlen(body), in, &err);
    snprintf(field, VC_ERR_FIELD_MAX, "%s", err.field);
    return rc;
}

/* The field a bad body is refused for ("" when it is accepted). */
static const char *refused(const char *body, enum vc_code want)
{
    static char field[VC_ERR_FIELD_MAX];
    struct vc_tts_input in;
    enum vc_code rc = parse(body, &in, field);

    if (rc == VC_OK) {
        vc_tts_input_free(&in);
        return "";
    }
    return rc == want ? field : "(another code)";
}

static void key_of(const char *body, char key[VC_SHA256_HEX])
{
    char field[VC_ERR_FIELD_MAX];
    struct vc_tts_input in;

    key[0] = '\0';
    if (parse(body, &in, field) != VC_OK)
        return;
    vc_tts_cache_key(&in, key);
    vc_tts_input_free(&in);
}

struct query { const char *names[4], *values[4]; };

static const char *get(void *ctx, const char *name)
{
    struct query *q = ctx;

    for (int i = 0; i < 4 && q->names[i]; i++) {
        if (strcmp(q->names[i], name) == 0)
            return q->values[i];
    }
    return NULL;
}

static void test_normalise(void)
{
    struct { const char *in, *out; } cases[] = {
        { "  hello   world  ", "hello world" },
        { "a\r\nb\rc\n", "a\nb\nc" },
        { "\n\n  x \t y\n\n\nz  \n", "x y\nz" },
        { " \t\r\n ", "" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = vc_tts_normalise_text(cases[i].in);
        ok(got != NULL && strcmp(got, cases[i].out) == 0, "normalise case %zu", i);
        free(got);
    }
}

static void test_fields(void)
{
    char field[VC_ERR_FIELD_MAX];
    struct vc_tts_input in;

    ok(parse("{\"text\":\"  Hello \\r\\n world \"}", &in, field) == VC_OK, "a plain request parses");
    ok(strcmp(in.text, "Hello\nworld") == 0, "its text is normalised");
    ok(strcmp(in.voice, cfg.default_voice) == 0, "the voice defaults to VOXCAT_DEFAULT_VOICE");
    ok(strcmp(in.model, "flite") == 0 && in.choice.engine != NULL, "English with no model is flite");
    ok(in.speed == 1.0 && in.language == NULL && in.nspeakers == 0 && !in.async,
       "speed 1, no language, no speakers, not async");
    vc_tts_input_free(&in);

    ok(parse("{\"text\":\"Hallo\",\"language\":\"de-DE\"}", &in, field) == VC_OK
       && strcmp(in.model, "espeak") == 0, "German with no model is espeak");
    vc_tts_input_free(&in);
    ok(parse("{\"text\":\"\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\"}", &in, field) == VC_OK
       && strcmp(in.model, "espeak") == 0, "Cyrillic with no language is espeak");
    vc_tts_input_free(&in);
    ok(parse("{\"text\":\"x\",\"voice\":\"Kore\",\"language\":\"de-DE\",\"speed\":1.234,"
             "\"title\":\"T\",\"artist\":\"A\",\"album\":\"B\",\"genre\":\"G\",\"async\":true}",
             &in, field) == VC_OK, "every field parses");
    ok(strcmp(in.voice, "Kore") == 0 && strcmp(in.language, "de-DE") == 0, "voice and language kept");
    ok(in.speed == 1.23, "speed is rounded to two decimals");
    ok(strcmp(in.title, "T") == 0 && strcmp(in.genre, "G") == 0 && in.async, "labels and async kept");
    vc_tts_input_free(&in);

    ok(strcmp(refused("{}", VC_ERR_INVALID_ARGUMENT), "text") == 0, "text is required");
    ok(strcmp(refused("{\"text\":\" \\n \"}", VC_ERR_INVALID_ARGUMENT), "text") == 0,
       "blank text is empty");
    ok(strcmp(refused("{\"text\":5}", VC_ERR_INVALID_ARGUMENT), "text") == 0, "text must be a string");
    ok(strcmp(refused("{\"text\":\"a\\u0000b\"}", VC_ERR_INVALID_ARGUMENT), "body") == 0,
       "a NUL in text is refused (jansson refuses \\u0000)");
    ok(strcmp(refused("[1]", VC_ERR_INVALID_ARGUMENT), "body") == 0, "the body must be an object");
    ok(strcmp(refused("{\"text\":", VC_ERR_INVALID_ARGUMENT), "body") == 0, "bad JSON names the body");
    ok(strcmp(refused("{\"text\":\"a\",\"text\":\"b\"}", VC_ERR_INVALID_ARGUMENT), "body") == 0,
       "a repeated field is refused");
    ok(strcmp(refused("{\"text\":\"x\",\"colour\":1}", VC_ERR_INVALID_ARGUMENT), "colour") == 0,
       "an unknown field is named");
    ok(strcmp(refused("{\"text\":\"x\",\"voice\":\"Nobody\"}", VC_ERR_INVALID_ARGUMENT), "voice") == 0,
       "an unknown voice");
    ok(strcmp(refused("{\"text\":\"x\",\"language\":\"xx-XX\"}", VC_ERR_INVALID_ARGUMENT),
              "language") == 0, "an unknown language");
    ok(strcmp(refused("{\"text\":\"x\",\"model\":\"nope\"}", VC_ERR_INVALID_ARGUMENT), "model") == 0,
       "an unknown model");
    ok(strcmp(refused("{\"text\":\"x\",\"model\":\"gemini-flash\"}", VC_ERR_INVALID_ARGUMENT),
              "model") == 0, "a remote model without its key");
    ok(strcmp(refused("{\"text\":\"x\",\"speed\":0.49}", VC_ERR_INVALID_ARGUMENT), "speed") == 0,
       "speed below 0.5");
    ok(strcmp(refused("{\"text\":\"x\",\"speed\":\"1\"}", VC_ERR_INVALID_ARGUMENT), "speed") == 0,
       "speed must be a number");
    ok(strcmp(refused("{\"text\":\"x\",\"async\":1}", VC_ERR_INVALID_ARGUMENT), "async") == 0,
       "async must be a boolean");
    {
        char body[700];
        snprintf(body, sizeof(body), "{\"text\":\"x\",\"title\":\"%0501d\"}", 0);
        ok(strcmp(refused(body, VC_ERR_INVALID_ARGUMENT), "title") == 0, "a title over 500 bytes");
    }
    {
        size_t n = (size_t)cfg.max_text + 1;
        char *body = malloc(n + 16);
        memcpy(body, "{\"text\":\"", 9);
        memset(body + 9, 'a', n);
        strcpy(body + 9 + n, "\"}");
        ok(strcmp(refused(body, VC_ERR_PAYLOAD_TOO_LARGE), "text") == 0,
           "text over VOXCAT_MAX_TEXT is a 413");
        free(body);
    }
}

static void test_speakers(void)
{
    char field[VC_ERR_FIELD_MAX];
    struct vc_tts_input in;

    ok(parse("{\"text\":\"Ann: hi\\nBob: yo\",\"speakers\":[{\"name\":\"Ann\",\"voice\":\"Kore\"},"
             "{\"name\":\"Bob\",\"voice\":\"Puck\"}]}", &in, field) == VC_OK, "two speakers parse");
    ok(in.nspeakers == 2 && strcmp(in.speaker_name[1], "Bob") == 0
       && strcmp(in.speaker_voice[1], "Puck") == 0, "in order, with their voices");
    vc_tts_input_free(&in);
    ok(strcmp(refused("{\"text\":\"Ann: hi\",\"speakers\":[{\"name\":\"Ann\",\"voice\":\"Kore\"},"
                      "{\"name\":\"Ann\",\"voice\":\"Puck\"}]}", VC_ERR_INVALID_ARGUMENT),
              "speakers") == 0, "speaker names must differ");
    ok(strcmp(refused("{\"text\":\"hi\",\"speakers\":[{\"name\":\"Ann\",\"voice\":\"Kore\"}]}",
                      VC_ERR_INVALID_ARGUMENT), "speakers") == 0,
       "a speaker no line starts with");
    ok(strcmp(refused("{\"text\":\"A:x\",\"speakers\":[{},{},{}]}", VC_ERR_INVALID_ARGUMENT),
              "speakers") == 0, "at most two speakers");
    ok(strcmp(refused("{\"text\":\"A:x\",\"speakers\":[{\"name\":\"A:\",\"voice\":\"Kore\"}]}",
                      VC_ERR_INVALID_ARGUMENT), "speakers") == 0, "a name with ':'");
    ok(strcmp(refused("{\"text\":\"A:x\",\"speakers\":[\"A\"]}", VC_ERR_INVALID_ARGUMENT),
              "speakers") == 0, "a speaker must be an object");
}

static void test_query(void)
{
    struct query q = { { "text", "voice", "speed", "token" }, { "Hi  there", "Puck", "1.5", "x" } };
    struct query bad = { { "text", "speed" }, { "Hi", "fast" } };
    struct vc_tts_input in;
    struct vc_error err;

    vc_error_clear(&err);
    ok(vc_tts_input_from_query(&cfg, get, &q, &in, &err) == VC_OK, "a query parses (others ignored)");
    ok(strcmp(in.text, "Hi there") == 0 && strcmp(in.voice, "Puck") == 0 && in.speed == 1.5,
       "with the same normalisation and fields");
    vc_tts_input_free(&in);
    ok(vc_tts_input_from_query(&cfg, get, &bad, &in, &err) == VC_ERR_INVALID_ARGUMENT
       && strcmp(err.field, "speed") == 0, "a speed that is not a number");
}

static void test_key(void)
{
    char a[VC_SHA256_HEX], b[VC_SHA256_HEX];

    key_of("{\"text\":\"Hello world\"}", a);
    key_of("{\"text\":\"  Hello   world \",\"title\":\"other\",\"async\":true}", b);
    ok(strlen(a) == 64 && strcmp(a, b) == 0,
       "the key ignores labels, async and blanks the text normalises away");
    key_of("{\"text\":\"Hello world\",\"speed\":1.001}", b);
    ok(strcmp(a, b) == 0, "and speed past two decimals");
    key_of("{\"text\":\"Hello world\",\"voice\":\"Puck\"}", b);
    ok(strcmp(a, b) != 0, "another voice is another key");
    key_of("{\"text\":\"Hello world\",\"language\":\"en-US\"}", b);
    ok(strcmp(a, b) != 0, "a language is another key");
    key_of("{\"text\":\"Hello world\",\"speed\":1.1}", b);
    ok(strcmp(a, b) != 0, "another speed is another key");
    key_of("{\"text\":\"Hello World\"}", b);
    ok(strcmp(a, b) != 0, "the text's case counts");

    /* Fields that could run together under a separator-joined key. */
    key_of("{\"text\":\"A\\u001fKore: x\\nB: y\",\"speakers\":[{\"name\":\"A\\u001fKore\","
           "\"voice\":\"Puck\"},{\"name\":\"B\",\"voice\":\"Kore\"}]}", a);
    key_of("{\"text\":\"A\\u001fKore: x\\nB: y\",\"speakers\":[{\"name\":\"A\","
           "\"voice\":\"Puck\"},{\"name\":\"B\",\"voice\":\"Kore\"}]}", b);
    ok(a[0] != '\0' && strcmp(a, b) != 0,
       "a speaker name holding the unit separator does not collide");
    key_of("{\"text\":\"A: x\\nB: y\",\"speakers\":[{\"name\":\"A\",\"voice\":\"Puck\"},"
           "{\"name\":\"B\",\"voice\":\"Kore\"}]}", a);
    key_of("{\"text\":\"A: x\\nB: y\",\"speakers\":[{\"name\":\"B\",\"voice\":\"Kore\"},"
           "{\"name\":\"A\",\"voice\":\"Puck\"}]}", b);
    ok(strcmp(a, b) != 0, "speakers in another order are another request");
}

/* The cache key as it was first built, through a jansson tree and
 * json_dumps(JSON_SORT_KEYS): every stored key depends on these bytes. */
static void reference_key(const struct vc_tts_input *in, char key[VC_SHA256_HEX])
{
    json_t *speakers = json_array();
    json_t *doc = NULL;
    char speed[16], format[32];
    char *text = NULL;

    key[0] = '\0';
    for (size_t i = 0; speakers != NULL && i < in->nspeakers; i++)
        json_array_append_new(speakers, json_pack("[s, s]", in->speaker_name[i], in->speaker_voice[i]));
    snprintf(speed, sizeof(speed), "%.2f", in->speed);
    snprintf(format, sizeof(format), "%s-24000-mono", vc_format_name(in->format));
    if (speakers != NULL)
        doc = json_pack("{s:i, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:s}", "v", 2,
                        "model", in->choice.resolved, "voice", in->voice,
                        "language", in->language ? in->language : "", "speakers", speakers,
                        "speed", speed, "format", format, "text", in->text,
                        "instructions", in->instructions ? in->instructions : "");
    if (doc != NULL)
        text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (text != NULL && vc_sha256_hex(text, strlen(text), key) != 0)
        key[0] = '\0';
    free(text);
    json_decref(doc);
    json_decref(speakers);
}

static const char *const key_pieces[] = {
    "a", "Z", " ", "/", "\\", "\"", "\x7f", "\x01", "\x1f", "\n", "\t", "\xc3\xa9", "\xe2\x80\xa8",
    "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "|", ":", ",", "[", "}",
};

static void random_text(char *buf, size_t cap, unsigned *seed)
{
    join_pieces(buf, cap, key_pieces, sizeof(key_pieces) / sizeof(key_pieces[0]), 10, seed);
}

/* The key written directly is the key jansson built, for any text. */
static void test_key_unchanged(void)
{
    unsigned seed = 11;
    int same = 1, nonempty = 1;
    char text[128], voice[64], lang[64], instr[64], names[VC_MAX_SPEAKERS][32], voices[VC_MAX_SPEAKERS][32];

    for (int i = 0; i < 3000; i++) {
        struct vc_tts_input in;
        char want[VC_SHA256_HEX], got[VC_SHA256_HEX];

        memset(&in, 0, sizeof(in));
        random_text(text, sizeof(text), &seed);
        random_text(voice, sizeof(voice), &seed);
        random_text(lang, sizeof(lang), &seed);
        random_text(instr, sizeof(instr), &seed);
        in.text = text;
        in.voice = voice;
        in.language = rand_r(&seed) % 3 ? lang : NULL;
        in.instructions = rand_r(&seed) % 3 ? instr : NULL;
        snprintf(in.choice.resolved, sizeof(in.choice.resolved), "%s", rand_r(&seed) % 2 ? "espeak" : "gemini-2.5-flash-preview-tts");
        in.speed = 0.25 + (rand_r(&seed) % 376) / 100.0;
        in.format = (enum vc_format)(rand_r(&seed) % VC_FORMAT_COUNT);
        in.nspeakers = rand_r(&seed) % (VC_MAX_SPEAKERS + 1);
        for (size_t k = 0; k < in.nspeakers; k++) {
            random_text(names[k], sizeof(names[k]), &seed);
            random_text(voices[k], sizeof(voices[k]), &seed);
            in.speaker_name[k] = names[k];
            in.speaker_voice[k] = voices[k];
        }
        reference_key(&in, want);
        vc_tts_cache_key(&in, got);
        if (strcmp(want, got) != 0 && same)
            printf("#   case %d: text \"%s\": %s vs %s\n", i, text, want, got);
        same &= strcmp(want, got) == 0;
        nonempty &= got[0] != '\0';
    }
    ok(same && nonempty, "3000 random requests: the same cache key as the jansson-built one");
}

/* A body parsed again comes from the per-process memo: the same input,
 * owned by the caller; under other settings it is validated anew. */
static void test_memo(void)
{
    const char *body = "{\"text\":\"  memo   test \",\"voice\":\"Puck\",\"speed\":1.25,"
                       "\"title\":\"T\",\"format\":\"mp3\"}";
    struct vc_tts_input a, b;
    struct vc_config small;
    struct vc_error err;
    char field[VC_ERR_FIELD_MAX];
    char ka[VC_SHA256_HEX], kb[VC_SHA256_HEX];
    FILE *devnull = fopen("/dev/null", "w");

    ok(parse(body, &a, field) == VC_OK && parse(body, &b, field) == VC_OK, "parsed twice");
    ok(strcmp(a.text, b.text) == 0 && strcmp(b.text, "memo test") == 0 && strcmp(a.voice, b.voice) == 0
       && a.speed == b.speed && strcmp(b.title, "T") == 0 && b.format == a.format && b.format_set
       && b.choice.engine == a.choice.engine && strcmp(a.choice.resolved, b.choice.resolved) == 0,
       "the second parse is the same input");
    ok(a.text != b.text && a.voice != b.voice && a.title != b.title, "with its own strings");
    vc_tts_cache_key(&a, ka);
    vc_tts_input_free(&a);
    vc_tts_cache_key(&b, kb);
    ok(ka[0] != '\0' && strcmp(ka, kb) == 0, "and the same key, after the first was freed");
    b.format = VC_FORMAT_WAV;
    vc_tts_cache_key(&b, kb);
    ok(strcmp(ka, kb) != 0, "a key follows a format changed after parsing");
    vc_tts_input_free(&b);

    /* The same settings struct loaded again, with a 5-character limit:
     * the memo must not answer for the old settings at the same address. */
    ok(vc_config_load(&small, devnull) == VC_OK, "settings loaded");
    vc_error_clear(&err);
    ok(vc_tts_input_from_json(&small, body, strlen(body), &a, &err) == VC_OK, "the body is accepted");
    vc_tts_input_free(&a);
    vc_config_free(&small);
    setenv("VOXCAT_MAX_TEXT", "5", 1);
    ok(vc_config_load(&small, devnull) == VC_OK, "loaded again with a 5-character limit");
    unsetenv("VOXCAT_MAX_TEXT");
    vc_error_clear(&err);
    ok(vc_tts_input_from_json(&small, body, strlen(body), &a, &err) == VC_ERR_PAYLOAD_TOO_LARGE,
       "the body seen before is refused under them (413)");
    vc_config_free(&small);
    fclose(devnull);
}

int main(void)
{
    FILE *devnull = fopen("/dev/null", "w");

    unsetenv("GEMINI_API_KEY");
    unsetenv("ELEVENLABS_API_KEY");
    unsetenv("VOXCAT_DEFAULT_MODEL");
    unsetenv("VOXCAT_MAX_TEXT");
    if (vc_config_load(&cfg, devnull) != VC_OK) {
        puts("Bail out! the default configuration does not load");
        return 1;
    }
    fclose(devnull);
    test_normalise();
    test_fields();
    test_speakers();
    test_query();
    test_key();
    test_key_unchanged();
    test_memo();
    vc_config_free(&cfg);
    return done_testing();
}
