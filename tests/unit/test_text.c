/* test_text.c - UTF-8 checks and scrubbing. */
#include <string.h>

#include "tap.h"
#include "vc_text.h"

static int valid(const char *s)
{
    return vc_utf8_valid(s, strlen(s));
}

int main(void)
{
    char scrub[] = "ok \xff\xfe caf\xc3\xa9";

    ok(valid("plain ASCII"), "ASCII");
    ok(valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5"), "two-, three- and four-byte sequences");
    ok(valid(""), "empty");
    ok(!valid("\xc3"), "a truncated sequence");
    ok(!valid("\xc3\x28"), "a bad continuation byte");
    ok(!valid("\x80"), "a lone continuation byte");
    ok(!valid("\xc0\xaf"), "an overlong '/'");
    ok(!valid("\xe0\x80\xaf"), "an overlong three-byte form");
    ok(!valid("\xed\xa0\x80"), "a UTF-16 surrogate");
    ok(!valid("\xf4\x90\x80\x80"), "a code point above U+10FFFF");
    ok(!valid("\xf5\x80\x80\x80") && !valid("\xff"), "bytes that never occur");
    ok(!vc_utf8_valid("a\0b", 3), "a NUL byte inside the length");
    ok(vc_utf8_valid("ab\xc3", 2), "only len bytes are read");

    vc_utf8_scrub(scrub);
    ok(valid(scrub), "a scrubbed string is valid");
    ok(strncmp(scrub, "ok ", 3) == 0, "its ASCII is kept");
    {
        char good[] = "caf\xc3\xa9";
        vc_utf8_scrub(good);
        ok(strcmp(good, "caf\xc3\xa9") == 0, "a valid string is left alone");
    }

    {
        char buf[16], num[24];
        ok(vc_strjoin(buf, sizeof(buf), "ab", "", "cde", (char *)NULL) == 5 && strcmp(buf, "abcde") == 0,
           "strjoin: the strings one after another, their length");
        ok(vc_strjoin(buf, sizeof(buf), (char *)NULL) == 0 && buf[0] == '\0', "strjoin: no string");
        ok(vc_strjoin(buf, 6, "abc", "defgh", (char *)NULL) == -1 && strcmp(buf, "abcde") == 0,
           "strjoin: -1 when they do not fit, and what fitted, terminated");
        ok(vc_strjoin(buf, 6, "abcde", (char *)NULL) == 5, "strjoin: exactly the room left for the NUL");
        ok(vc_strjoin(buf, 1, "a", (char *)NULL) == -1 && buf[0] == '\0', "strjoin: room for the NUL only");
        ok(vc_strjoin(buf, 0, "a", (char *)NULL) == -1, "strjoin: no room at all");
        ok(vc_utoa(0, num) == 1 && strcmp(num, "0") == 0, "utoa: 0");
        ok(vc_utoa(4096, num) == 4 && strcmp(num, "4096") == 0, "utoa: 4096");
        ok(vc_utoa(18446744073709551615ULL, num) == 20 && strcmp(num, "18446744073709551615") == 0,
           "utoa: the largest");
    }
    return done_testing();
}
