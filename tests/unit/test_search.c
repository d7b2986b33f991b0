/* test_search.c - /search parameters: defaults, whitelists, ranges. */
#include <string.h>

#include "tap.h"
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
    if (vc_search_parse(get, &p, &s, &err) == VC_OK)
        return "";
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
    return done_testing();
}
