/* test_quota.c - vc_auth's daily quota against a real PostgreSQL (libpq's
 * PG* environment: tests/80-auth.bats runs it on its stack's database): a
 * charge counts on the UTC day it was taken and says which; a refund
 * gives back on that day, even when the synthesis ended after midnight. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/tap.h"
#include "vc_auth.h"
#include "vc_db.h"

/* The value of a one-row, one-column query, copied into buf. */
static int scalar(struct vc_db *db, const char *sql, int n, const char *const *params,
                  char *buf, size_t len)
{
    struct vc_error err;
    struct vc_result *r;
    int got;

    vc_error_clear(&err);
    r = vc_db_query(db, sql, n, params, &err);
    got = r != NULL && vc_result_rows(r) == 1;
    if (got)
        snprintf(buf, len, "%s", vc_result_value(r, 0, 0));
    vc_result_free(r);
    return got;
}

/* chars used by token on day (text) for engine, -1 when there is no row. */
static long used(struct vc_db *db, const char *token, const char *day)
{
    const char *p[2] = { token, day };
    char n[24];

    return scalar(db, "SELECT chars FROM token_usage WHERE token_id = $1 AND day = $2::date "
                      "AND engine = 'espeak'", 2, p, n, sizeof(n))
               ? strtol(n, NULL, 10) : -1;
}

int main(void)
{
    struct vc_db *db = vc_db_new("", 5000, 1);
    struct vc_charge c, yesterday_c;
    struct vc_error err;
    char token[64], today[16], yesterday[16], n[24];
    const char *tp[1] = { token };
    const char *yp[2] = { token, yesterday };

    ok(scalar(db, "INSERT INTO api_tokens (name, token_sha256, daily_chars) "
                  "VALUES ('quota-probe-' || pg_backend_pid(), "
                  "        encode(sha256(gen_random_uuid()::text::bytea), 'hex'), 100) "
                  "RETURNING id", 0, NULL, token, sizeof(token)),
       "a token with a quota of 100 characters a day");
    ok(scalar(db, "SELECT (now() AT TIME ZONE 'UTC')::date::text", 0, NULL, today,
              sizeof(today)),
       "today is %s", today);
    ok(scalar(db, "SELECT ((now() AT TIME ZONE 'UTC')::date - 1)::text", 0, NULL, yesterday,
              sizeof(yesterday)),
       "yesterday was %s", yesterday);

    vc_error_clear(&err);
    ok(vc_auth_charge(db, token, "espeak", 30, &c, &err) == VC_OK, "a charge of 30");
    ok(strcmp(c.day, today) == 0, "counts on today, and says so (%s)", c.day);
    ok(c.chars == 30, "and what it charged");
    is_int(used(db, token, today), 30, "today's use is 30");

    vc_error_clear(&err);
    ok(vc_auth_charge(db, token, "espeak", 80, &c, &err) == VC_ERR_QUOTA_EXCEEDED,
       "80 more would pass the quota: refused (%s)", err.message);
    is_int(used(db, token, today), 30, "and nothing was charged");

    /* A charge taken yesterday, whose synthesis ends after midnight: its
     * row is yesterday's; today's use is another charge's. */
    ok(scalar(db, "INSERT INTO token_usage (token_id, day, engine, chars) "
                  "VALUES ($1, $2::date, 'espeak', 50) RETURNING chars", 2, yp, n, sizeof(n))
       && strcmp(n, "50") == 0,
       "yesterday's use was 50");
    yesterday_c.chars = 20;
    snprintf(yesterday_c.day, sizeof(yesterday_c.day), "%s", yesterday);
    vc_auth_refund(db, token, "espeak", &yesterday_c);
    is_int(used(db, token, yesterday), 30, "a refund of yesterday's charge of 20 lowers yesterday");
    is_int(used(db, token, today), 30, "and leaves today's use alone");

    c.chars = 30;
    snprintf(c.day, sizeof(c.day), "%s", today);
    vc_auth_refund(db, token, "espeak", &c);
    is_int(used(db, token, today), 0, "today's refund gives today's 30 back");

    vc_error_clear(&err);
    ok(vc_auth_charge(db, token, "espeak", 100, &c, &err) == VC_OK,
       "so the whole quota can be charged again today");

    vc_error_clear(&err);
    vc_result_free(vc_db_query(db, "DELETE FROM api_tokens WHERE id = $1", 1, tp, &err));
    vc_db_free(db);
    return done_testing();
}
