/* test_search.c - /search parameters: defaults, whitelists, ranges,
 * the offset cap and cursors; and the base64url they travel in. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vc_base64.h"
#include "vc_search.h"

struct params { const char *names[8], *values[8]; };

static const char *get(void *ctx, const char *name)
{
    struct params *p = ctx;

    for (int i = 0; i < 8 && p->names[i]; i++) {
        if (strcmp(p->names[i], name) == 0)
            return p->values[i];
    }
    return NULL;
}

/* The field one bad parameter is refused for, or "" when accepted. */
static const char *refused(const char *name, const char *value)
{
    static struct vc_error err;
    struct params p = { { name }, { value } };
    struct vc_search s;

    vc_error_clear(&err);
    if (vc_search_parse(get, &p, &s, &err) == VC_OK) {
        vc_search_clear(&s);
        return "";
    }
    return err.code == VC_ERR_INVALID_ARGUMENT ? err.field : "(another code)";
}

int main(void)
{
    struct params none = { { NULL }, { NULL } };
    struct params all = { { "q", "status", "sort", "order", "limit", "offset", "year_from", "year_to" },
                          { "night train", "COMPLETED", "title", "desc", "100", "40", "1990", "1999" } };
    struct params blank = { { "q" }, { "   " } };
    struct vc_search s;
    struct vc_error err;

    vc_error_clear(&err);
    ok(vc_search_parse(get, &none, &s, &err) == VC_OK, "no parameters are fine");
    ok(s.q == NULL && s.limit == 20 && s.offset == 0 && strcmp(s.sort, "created_at") == 0,
       "the defaults: list newest first, 20 a page");
    ok(vc_search_parse(get, &all, &s, &err) == VC_OK, "every parameter parses");
    ok(strcmp(s.q, "night train") == 0 && strcmp(s.status, "COMPLETED") == 0
       && strcmp(s.sort, "title") == 0 && s.desc == 1 && s.limit == 100 && s.offset == 40
       && s.year_from == 1990 && s.year_to == 1999, "and is kept");
    ok(vc_search_parse(get, &blank, &s, &err) == VC_OK && s.q == NULL, "a blank q lists");

    ok(strcmp(refused("sort", "password"), "sort") == 0, "sort is a whitelist");
    ok(strcmp(refused("sort", "title; DROP TABLE x"), "sort") == 0, "no SQL in sort");
    ok(strcmp(refused("order", "sideways"), "order") == 0, "order is asc or desc");
    ok(strcmp(refused("status", "DONE"), "status") == 0, "an unknown status");
    ok(strcmp(refused("limit", "0"), "limit") == 0, "limit below 1");
    ok(strcmp(refused("limit", "101"), "limit") == 0, "limit above 100");
    ok(strcmp(refused("limit", "ten"), "limit") == 0, "limit not a number");
    ok(strcmp(refused("offset", "-1"), "offset") == 0, "a negative offset");
    ok(strcmp(refused("year_from", "1799"), "year_from") == 0, "a year before 1800");
    ok(strcmp(refused("year_to", "20x0"), "year_to") == 0, "a year with garbage");
    ok(strcmp(refused("min_rank", "-0.5"), "min_rank") == 0, "a negative min_rank");
    ok(strcmp(refused("q", "caf\xc3"), "q") == 0, "q that is not UTF-8");
    {
        char big[VC_SEARCH_Q_MAX + 2];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        ok(strcmp(refused("q", big), "q") == 0, "q over the limit");
    }
    ok(strcmp(refused("limit", "1"), "") == 0 && strcmp(refused("limit", "100"), "") == 0,
       "limits 1 and 100 are fine");
    ok(strcmp(refused("offset", "10001"), "offset") == 0 && strcmp(refused("offset", "10000"), "") == 0,
       "offset is capped at VC_SEARCH_OFFSET_MAX");
    ok(strcmp(refused("offset", "99999999999999999999"), "offset") == 0, "an offset past long");
    ok(strcmp(refused("cursor", "%%%"), "cursor") == 0, "a cursor that is not base64url");
    ok(strcmp(refused("cursor", "e30"), "cursor") == 0, "a cursor of {}");
    ok(strcmp(refused("cursor", ""), "") == 0, "an empty cursor is the first page");
    {
        /* {"o":"created_at.desc","v":["2020-01-01","00000000-0000-4000-8000-000000000001"]} */
        const char *doc = "{\"o\":\"created_at.desc\",\"v\":[\"2020-01-01\","
                          "\"00000000-0000-4000-8000-000000000001\"]}";
        char *c = vc_base64url_encode((const unsigned char *)doc, strlen(doc));
        struct params p = { { "cursor" }, { c } };
        struct params both = { { "cursor", "offset" }, { c, "20" } };
        struct params other = { { "cursor", "sort" }, { c, "title" } };
        ok(vc_search_parse(get, &p, &s, &err) == VC_OK && json_array_size(s.after) == 2,
           "a cursor for the default order is taken");
        vc_search_clear(&s);
        ok(s.after == NULL, "and released");
        ok(vc_search_parse(get, &both, &s, &err) != VC_OK && strcmp(err.field, "cursor") == 0,
           "cursor with offset is refused");
        ok(vc_search_parse(get, &other, &s, &err) != VC_OK && strcmp(err.field, "cursor") == 0,
           "a cursor of another order is refused");
        free(c);
    }
    {
        const unsigned char bytes[] = { 0xfb, 0xff, 0xfe, 'a', 0 };
        size_t n = 0;
        for (size_t len = 0; len <= sizeof(bytes); len++) {
            char *e = vc_base64url_encode(bytes, len);
            unsigned char *d = vc_base64url_decode(e, strlen(e), &n);
            int same = d != NULL && n == len && memcmp(d, bytes, len) == 0
                       && strpbrk(e, "+/=") == NULL;
            free(d);
            free(e);
            if (!same) {
                ok(0, "base64url round trip of %zu bytes", len);
                return done_testing();
            }
        }
        ok(1, "base64url round-trips 0 to 5 bytes, without + / or =");
        ok(vc_base64url_decode("+_8", 3, &n) == NULL, "standard base64's + is refused");
        ok(vc_base64url_decode("YW J", 4, &n) == NULL, "a blank is refused");
        ok(vc_base64url_decode("YWJjZ", 5, &n) == NULL, "a length of 4k+1 is refused");
    }
    return done_testing();
}
