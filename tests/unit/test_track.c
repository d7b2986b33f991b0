/* test_track.c - track statuses, transitions, ids and default titles. */
#include <string.h>

#include "tap.h"
#include "vc_track.h"

int main(void)
{
    enum vc_status P = VC_STATUS_PENDING, R = VC_STATUS_PROCESSING, C = VC_STATUS_COMPLETED,
                   F = VC_STATUS_FAILED, st;
    /* allowed[from][to], as SPEC "Status transitions" lists them. */
    static const int want[4][4] = {
        /*            P  R  C  F */
        /* P */     { 0, 1, 0, 0 },
        /* R */     { 1, 0, 1, 1 },
        /* C */     { 0, 0, 0, 0 },
        /* F */     { 1, 0, 0, 0 },
    };
    char title[8];
    int right = 0;

    for (int from = 0; from < VC_STATUS_COUNT; from++) {
        for (int to = 0; to < VC_STATUS_COUNT; to++)
            right += vc_status_allowed((enum vc_status)from, (enum vc_status)to) == want[from][to];
    }
    is_int(right, 16, "all 16 moves between the four statuses are as SPEC says");
    ok(vc_status_allowed(P, R) && vc_status_allowed(R, C) && vc_status_allowed(R, F)
       && vc_status_allowed(F, P) && vc_status_allowed(R, P), "the five allowed moves");
    ok(!vc_status_allowed(C, P) && !vc_status_allowed(P, C) && !vc_status_allowed(F, C),
       "COMPLETED is final; nothing skips PROCESSING");
    ok(!vc_status_allowed((enum vc_status)7, P) && !vc_status_allowed(P, (enum vc_status)-1),
       "out-of-range statuses move nowhere");

    ok(vc_status_parse("FAILED", &st) == 0 && st == F, "FAILED parses");
    ok(vc_status_parse("failed", &st) != 0, "names are upper case");
    ok(vc_status_parse(NULL, &st) != 0 && vc_status_parse("", &st) != 0, "NULL and \"\" do not");
    ok(strcmp(vc_status_name(R), "PROCESSING") == 0 && strcmp(vc_status_name((enum vc_status)9),
                                                             "UNKNOWN") == 0, "names round-trip");
    for (int s = 0; s < VC_STATUS_COUNT; s++) {
        enum vc_status back;
        ok(vc_status_parse(vc_status_name((enum vc_status)s), &back) == 0 && back == (enum vc_status)s
           && strstr(vc_status_list(), vc_status_name((enum vc_status)s)) != NULL,
           "%s parses back and is in the list", vc_status_name((enum vc_status)s));
    }

    ok(vc_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950e"), "a uuid");
    ok(vc_uuid_valid("0F8FAD5B-D9CB-469F-A165-70867728950E"), "upper case hex too");
    ok(!vc_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950"), "one digit short");
    ok(!vc_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950e0"), "one digit long");
    ok(!vc_uuid_valid("0f8fad5bxd9cb-469f-a165-70867728950e"), "a dash missing");
    ok(!vc_uuid_valid("0f8fad5b-d9cb-469f-a165-70867728950g"), "not hex");
    ok(!vc_uuid_valid(NULL) && !vc_uuid_valid(""), "NULL and empty");
    is_int(VC_UUID_SIZE, 37, "a uuid and its NUL fit VC_UUID_SIZE");

    vc_track_default_title("first line\nsecond", title, sizeof(title));
    ok(strcmp(title, "first l") == 0, "a title is the first line, cut to fit");
    vc_track_default_title("ab\xc3\xa9\xc3\xa9\xc3\xa9", title, 6);
    ok(strcmp(title, "ab\xc3\xa9") == 0, "and never cut inside a UTF-8 sequence");
    return done_testing();
}
