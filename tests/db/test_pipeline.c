/* test_pipeline.c - vc_db's pipelines against a real PostgreSQL (libpq's
 * PG* environment: tests/22-database.bats runs it on its stack's
 * database): one transaction, all or nothing; the connection usable after
 * a refusal; a lost connection sent again only when the caller allows;
 * nothing else runs while a pipeline is pending. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/tap.h"
#include "vc_db.h"

static const struct vc_stmt st_add = {
    "t_add", "INSERT INTO pipeline_probe (n) VALUES ($1::int)", 1
};
static const struct vc_stmt st_count = { "t_count", "SELECT count(*) FROM pipeline_probe", 0 };
static const struct vc_stmt st_local = {
    "t_local", "SELECT set_config('work_mem', '7MB', true)", 0
};
static const struct vc_stmt st_setting = { "t_setting", "SELECT current_setting('work_mem')", 0 };
static const struct vc_stmt st_pid = { "t_pid", "SELECT pg_backend_pid()", 0 };

static long count(struct vc_db *db)
{
    struct vc_error err;
    struct vc_result *r;
    long n = -1;

    vc_error_clear(&err);
    r = vc_db_exec(db, &st_count, NULL, &err);
    if (r != NULL)
        n = strtol(vc_result_value(r, 0, 0), NULL, 10);
    vc_result_free(r);
    return n;
}

/* Have another connection end db's backend, as a restart or an operator
 * would, without db noticing. */
static void kill_backend(struct vc_db *db, struct vc_db *other)
{
    struct vc_error err;
    struct vc_result *r;
    const char *p[1];

    vc_error_clear(&err);
    r = vc_db_exec(db, &st_pid, NULL, &err);
    if (r == NULL)
        return;
    p[0] = vc_result_value(r, 0, 0);
    vc_result_free(vc_db_query(other, "SELECT pg_terminate_backend($1::int)", 1, p, &err));
    vc_result_free(r);
    usleep(200000);
}

static void free_all(struct vc_result **r, int n)
{
    for (int i = 0; i < n; i++)
        vc_result_free(r[i]);
}

int main(void)
{
    struct vc_db *db = vc_db_new("", 5000, 1), *other = vc_db_new("", 5000, 1);
    const char *one[1] = { "1" }, *two[1] = { "2" }, *three[1] = { "3" }, *bad[1] = { "x" };
    struct vc_result *r[3];
    struct vc_error err;
    unsigned long before;

    vc_error_clear(&err);
    ok(vc_db_script(db, "DROP TABLE IF EXISTS pipeline_probe; "
                        "CREATE TABLE pipeline_probe (n int)", &err) == VC_OK, "a scratch table");

    {
        const struct vc_db_step steps[2] = { { &st_add, one, NULL, NULL, 0 },
                                             { &st_add, two, NULL, NULL, 0 } };
        ok(vc_db_pipeline(db, steps, 2, 0, r, &err) == VC_OK && r[0] && r[1],
           "two inserts in one pipeline");
        free_all(r, 2);
        is_int(count(db), 2, "both are there");
    }
    {
        const struct vc_db_step steps[2] = { { &st_add, three, NULL, NULL, 0 },
                                             { &st_add, bad, NULL, NULL, 0 } };
        vc_error_clear(&err);
        ok(vc_db_pipeline(db, steps, 2, 0, r, &err) == VC_ERR_INVALID_ARGUMENT && r[1] == NULL,
           "a refused second statement fails the pipeline (%s)", err.message);
        free_all(r, 2);
        is_int(count(db), 2, "and takes the first back with it: one transaction");
    }
    {
        const struct vc_db_step steps[2] = { { &st_local, NULL, NULL, NULL, 0 },
                                             { &st_setting, NULL, NULL, NULL, 0 } };
        vc_error_clear(&err);
        ok(vc_db_pipeline(db, steps, 2, 0, r, &err) == VC_OK && r[1]
           && strcmp(vc_result_value(r[1], 0, 0), "7MB") == 0,
           "a setting made local to the pipeline (as the quota charge's asynchronous commit) "
           "holds in it");
        free_all(r, 2);
        r[0] = vc_db_exec(db, &st_setting, NULL, &err);
        ok(r[0] && strcmp(vc_result_value(r[0], 0, 0), "7MB") != 0, "and not after it");
        vc_result_free(r[0]);
    }
    {
        const struct vc_db_step steps[1] = { { &st_add, three, NULL, NULL, 0 } };
        struct vc_result *x;

        vc_error_clear(&err);
        ok(vc_db_pipeline_send(db, steps, 1, 0, &err) == VC_OK, "a pipeline sent");
        x = vc_db_exec(db, &st_count, NULL, &err);
        ok(x == NULL && err.code == VC_ERR_INTERNAL,
           "a statement while it is pending is refused (%s)", err.message);
        vc_result_free(x);
        vc_error_clear(&err);
        ok(vc_db_pipeline_end(db, r, &err) == VC_OK && r[0], "then the pipeline's result is read");
        free_all(r, 1);
        is_int(count(db), 3, "and it committed");
    }
    {
        const struct vc_db_step steps[2] = { { &st_pid, NULL, NULL, NULL, 0 },
                                             { &st_pid, NULL, NULL, NULL, 0 } };

        r[0] = r[1] = (struct vc_result *)&err;     /* not NULL: must be cleared */
        vc_error_clear(&err);
        if (vc_db_begin(db, &err) == VC_OK) {
            ok(vc_db_pipeline(db, steps, 2, 0, r, &err) == VC_ERR_INTERNAL
               && r[0] == NULL && r[1] == NULL,
               "inside a transaction a pipeline is refused, its results NULL");
            vc_db_rollback(db);
        } else {
            ok(0, "BEGIN");
        }

        kill_backend(db, other);
        before = vc_db_connects(db);
        vc_error_clear(&err);
        ok(vc_db_pipeline(db, steps, 2, 1, r, &err) == VC_OK && r[0] && r[1]
           && vc_db_connects(db) == before + 1,
           "a connection lost before any answer: sent again on a new one when allowed");
        free_all(r, 2);

        kill_backend(db, other);
        before = vc_db_connects(db);
        vc_error_clear(&err);
        ok(vc_db_pipeline(db, steps, 2, 0, r, &err) == VC_ERR_UNAVAILABLE
           && r[0] == NULL && r[1] == NULL && vc_db_connects(db) == before,
           "and not sent again when the caller says it must not run twice");
        free_all(r, 2);
        is_int(count(db), 3, "the next statement reconnects");
    }
    vc_error_clear(&err);
    ok(vc_db_script(db, "DROP TABLE pipeline_probe", &err) == VC_OK, "the scratch table dropped");
    vc_db_free(db);
    vc_db_free(other);
    return done_testing();
}
