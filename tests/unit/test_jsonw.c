/* test_jsonw.c - the JSON writer against jansson's json_dumps: the same
 * bytes for every kind of character, in both escaping modes, for nested
 * values; invalid UTF-8 fails both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pieces.h"
#include "tap.h"
#include "vc_jsonw.h"

/* Pieces a random string is made of: ASCII, every control character,
 * quotes and slashes, DEL, 2-, 3- and 4-byte UTF-8. */
static const char *const pieces[] = {
    "a", "Z", " ", "/", "\\", "\"", "\x7f", "\x01", "\x1f", "\b", "\f", "\n", "\r", "\t",
    "\xc3\xa9", "\xc2\x80", "\xdf\xbf", "\xe2\x80\xa8", "\xe4\xb8\xad", "\xef\xbf\xbf",
    "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "'", "<", "\xe2\x82\xac",
};

static void random_string(char *buf, size_t cap, unsigned *seed)
{
    join_pieces(buf, cap, pieces, sizeof(pieces) / sizeof(pieces[0]), 12, seed);
}

/* The writer's text for v, or "(failed)". Caller frees. */
static char *written(const json_t *v, int ascii)
{
    struct vc_jsonw w;
    const char *text;
    char *copy;

    vc_jsonw_init(&w, ascii);
    vc_jsonw_value(&w, v, 17);
    text = vc_jsonw_text(&w, NULL);
    copy = strdup(text != NULL ? text : "(failed)");
    vc_jsonw_release(&w);
    return copy;
}

static int same_as_jansson(const json_t *v, int ascii)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | (ascii ? JSON_ENSURE_ASCII : 0));
    char *got = written(v, ascii);
    int same = want != NULL && strcmp(want, got) == 0;

    if (!same)
        printf("#   jansson %s\n#   writer  %s\n", want ? want : "(null)", got);
    free(want);
    free(got);
    return same;
}

static void test_strings(void)
{
    unsigned seed = 7;
    int all_utf8 = 1, all_ascii = 1;
    char buf[256];

    for (int i = 0; i < 2000; i++) {
        json_t *s;

        random_string(buf, sizeof(buf), &seed);
        s = json_string(buf);
        all_utf8 &= same_as_jansson(s, 0);
        all_ascii &= same_as_jansson(s, 1);
        json_decref(s);
    }
    ok(all_utf8, "2000 random strings: the same bytes as json_dumps");
    ok(all_ascii, "2000 random strings: the same bytes as json_dumps(JSON_ENSURE_ASCII)");
}

/* The writer takes plain ASCII eight bytes at a time: each character that
 * needs care, at every place in and around such a block, is still seen. */
static void test_blocks(void)
{
    static const char *const odd[] = { "\"", "\\", "\n", "\x1f", "\x01", "\x7f", " ",
                                       "~", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8e\xb5" };
    int all = 1;

    for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
        for (size_t at = 0; at < 20; at++) {
            char buf[64];
            json_t *s;

            memset(buf, 'a', 20);
            buf[20] = '\0';
            memcpy(buf + at, odd[k], strlen(odd[k]));
            buf[at + strlen(odd[k]) > 20 ? at + strlen(odd[k]) : 20] = '\0';
            s = json_string(buf);
            all &= s != NULL && same_as_jansson(s, 0) && same_as_jansson(s, 1);
            json_decref(s);
            /* The same as an object's key, after a first plain one. */
            s = json_pack("{s:i, s:i}", "first", 1, buf, 2);
            all &= s != NULL && same_as_jansson(s, 0) && same_as_jansson(s, 1);
            json_decref(s);
        }
    }
    ok(all, "a character that needs escaping is escaped at every place of a block, value or key");
}

static void test_values(void)
{
    json_t *v = json_pack("{s:s, s:i, s:b, s:n, s:[i, s, {s:s}], s:{}, s:[], s:I}",
                          "z", "first", "a", 42, "t", 1, "nothing", "list", -7, "x\"y", "k", "\xc3\xa9",
                          "empty", "none", "big", (json_int_t)-9007199254740993LL);

    ok(v != NULL && same_as_jansson(v, 0) && same_as_jansson(v, 1),
       "nested objects and arrays, in insertion order");
    json_decref(v);
}

static void test_reals(void)
{
    struct vc_jsonw w;

    vc_jsonw_init(&w, 1);
    vc_jsonw_real(&w, 0.7, 9);
    vc_jsonw_raw(&w, " ", 1);
    vc_jsonw_real(&w, 3.0, 9);
    vc_jsonw_raw(&w, " ", 1);
    vc_jsonw_real(&w, 1e21, 9);
    ok(strcmp(vc_jsonw_text(&w, NULL), "0.7 3.0 1e+21") == 0, "reals: shortest at the precision, .0 on integers");
    vc_jsonw_release(&w);

    /* Durations of two decimals are written by hand: the same text. */
    int same = 1;
    for (long i = -2000000; i <= 2000000 && same; i += 37) {
        double v = i / 100.0;
        char want[64];
        int n = snprintf(want, sizeof(want), "%.9g", v);

        if (strpbrk(want, ".eEin") == NULL)
            memcpy(want + n, ".0", 3);
        vc_jsonw_init(&w, 1);
        vc_jsonw_real(&w, v, 9);
        same = strcmp(vc_jsonw_text(&w, NULL), want) == 0;
        if (!same)
            printf("#   %s written as %s\n", want, vc_jsonw_text(&w, NULL));
        vc_jsonw_release(&w);
    }
    ok(same, "two-decimal reals from -20000 to 20000: what %%.9g writes");
}

static void test_invalid_utf8(void)
{
    static const char *const bad[] = {
        "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "a\x80",
    };
    int all = 1;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vc_jsonw w;

        vc_jsonw_init(&w, 0);
        vc_jsonw_cstring(&w, bad[i]);
        all &= vc_jsonw_text(&w, NULL) == NULL && json_string(bad[i]) == NULL;
        vc_jsonw_release(&w);
    }
    ok(all, "invalid UTF-8 (truncated, overlong, surrogate, past U+10FFFF) fails, as in jansson");
}

static void test_growth(void)
{
    struct vc_jsonw w;
    size_t len = 0;
    const char *text;
    int good = 1;

    vc_jsonw_init(&w, 0);
    for (int i = 0; i < 1000; i++)
        VC_JSONW_LIT(&w, "0123456789");
    text = vc_jsonw_text(&w, &len);
    for (size_t i = 0; text != NULL && i < len; i++)
        good &= text[i] == (char)('0' + i % 10);
    ok(text != NULL && len == 10000 && good && text[len] == '\0', "grows past its inline buffer");
    vc_jsonw_release(&w);
}

/* Spaced JSON (jansson's indented output, PostgreSQL's " : " and ", ")
 * copied compact is json_dumps's compact text: strings keep their spaces,
 * quotes and backslashes. */
static void test_spaced_json(void)
{
    unsigned seed = 11;
    int all = 1;
    char buf[256];
    const char *pg = "{\"id\" : 1, \"title\" : \"a \\\" b\", \"next\" : [\"x y\", null]}";
    struct vc_jsonw w;
    const char *text;

    for (int i = 0; i < 500 && all; i++) {
        json_t *v = json_object();
        char *spaced, *want;

        random_string(buf, sizeof(buf), &seed);
        json_object_set_new(v, "text", json_string(buf));
        json_object_set_new(v, "list", json_pack("[s, i, n, {s:f}]", buf, i, "k", i / 4.0));
        spaced = json_dumps(v, JSON_INDENT(3));
        want = json_dumps(v, JSON_COMPACT);
        vc_jsonw_init(&w, 0);
        vc_jsonw_json(&w, spaced, strlen(spaced));
        text = vc_jsonw_text(&w, NULL);
        all = text != NULL && want != NULL && strcmp(text, want) == 0;
        if (!all)
            printf("#   want %s\n#   got  %s\n", want ? want : "(null)", text ? text : "(failed)");
        vc_jsonw_release(&w);
        free(spaced);
        free(want);
        json_decref(v);
    }
    ok(all, "spaced JSON with any string copies as jansson's compact text");
    vc_jsonw_init(&w, 0);
    vc_jsonw_json(&w, pg, strlen(pg));
    text = vc_jsonw_text(&w, NULL);
    ok(text != NULL && strcmp(text, "{\"id\":1,\"title\":\"a \\\" b\",\"next\":[\"x y\",null]}") == 0,
       "PostgreSQL's spacing goes, a string's stays");
    vc_jsonw_release(&w);
}

int main(void)
{
    test_strings();
    test_blocks();
    test_values();
    test_reals();
    test_invalid_utf8();
    test_growth();
    test_spaced_json();
    return done_testing();
}
