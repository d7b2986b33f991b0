/* vc_db.c - PostgreSQL connection with lazy connect, reconnect and
 * per-connection prepared statements. */
#include "vc_db.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vc_log.h"
#include "vc_time.h"

#define MAX_PREPARED 512
#define MAX_DYNAMIC 256

struct vc_db {
    PGconn *conn;
    char *conninfo;
    int timeout_ms;
    int stmt_timeout;
    unsigned long connects;
    const struct vc_stmt *prepared[MAX_PREPARED];
    size_t nprepared;
    /* Statements built at run time: their text, owned, by prepared name. */
    struct vc_stmt dynamic[MAX_DYNAMIC];
    char dynamic_names[MAX_DYNAMIC][24];
    size_t ndynamic;
    char last_error[512];       /* the server's words, for the CLI */
    char listen[64];            /* the channel this handle LISTENs on, or "" */
    /* The pipeline sent and not yet read (vc_db_pipeline_send). */
    const struct vc_db_step *pipe;
    int npipe;
    int pipe_resend;            /* its steps may run twice */
};

/* A vc_result is a PGresult under another name: the cast is the whole
 * abstraction, and keeps libpq's types in this file. */
static PGresult *pg(const struct vc_result *r)
{
    return (PGresult *)r;
}

static struct vc_result *wrap(PGresult *res)
{
    return (struct vc_result *)res;
}

int vc_result_rows(const struct vc_result *r)
{
    return PQntuples(pg(r));
}

const char *vc_result_value(const struct vc_result *r, int row, int col)
{
    return PQgetvalue(pg(r), row, col);
}

int vc_result_isnull(const struct vc_result *r, int row, int col)
{
    return PQgetisnull(pg(r), row, col);
}

size_t vc_result_length(const struct vc_result *r, int row, int col)
{
    return (size_t)PQgetlength(pg(r), row, col);
}

long vc_result_affected(const struct vc_result *r)
{
    return strtol(PQcmdTuples(pg(r)), NULL, 10);
}

void vc_result_free(struct vc_result *r)
{
    PQclear(pg(r));
}

struct vc_db *vc_db_new(const char *conninfo, int timeout_ms, int stmt_timeout)
{
    struct vc_db *db = calloc(1, sizeof(*db));

    if (db == NULL)
        return NULL;
    db->conninfo = strdup(conninfo ? conninfo : "");
    if (db->conninfo == NULL) {
        free(db);
        return NULL;
    }
    db->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    db->stmt_timeout = stmt_timeout;
    return db;
}

static void drop_connection(struct vc_db *db)
{
    if (db->conn != NULL)
        PQfinish(db->conn);
    db->conn = NULL;
    db->nprepared = 0;     /* dynamic statements stay known, unprepared */
}

void vc_db_free(struct vc_db *db)
{
    if (db == NULL)
        return;
    drop_connection(db);
    for (size_t i = 0; i < db->ndynamic; i++)
        free((char *)db->dynamic[i].sql);
    free(db->conninfo);
    free(db);
}

json_t *vc_db_json(const struct vc_result *res, struct vc_error *err)
{
    json_error_t jerr;
    json_t *out = json_loads(vc_result_value(res, 0, 0), 0, &jerr);

    if (out == NULL)
        vc_error_set(err, VC_ERR_INTERNAL, NULL, "bad JSON from the database");
    return out;
}

const char *vc_db_last_error(const struct vc_db *db)
{
    return db->last_error;
}

unsigned long vc_db_connects(const struct vc_db *db)
{
    return db->connects;
}

int vc_db_socket(const struct vc_db *db)
{
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
        return -1;
    return PQsocket(db->conn);
}

/* Server notices (e.g. a query of only stop words) belong in the JSON log
 * at debug level, not as raw lines on stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    vc_log(VC_LOG_DEBUG, "database notice: %.*s", (int)strcspn(message, "\n"), message);
}

enum vc_code vc_db_connect(struct vc_db *db, struct vc_error *err)
{
    char timeout_s[16];
    char user_timeout[16];
    char options[128];
    const char *keys[8];
    const char *vals[8];
    int n = 0;

    if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
        return VC_OK;
    drop_connection(db);

    /* libpq's connect_timeout is in whole seconds with a minimum of 2. */
    snprintf(timeout_s, sizeof(timeout_s), "%d", db->timeout_ms < 2000 ? 2 : (db->timeout_ms + 999) / 1000);
    snprintf(user_timeout, sizeof(user_timeout), "%d", db->timeout_ms);
    keys[n] = "dbname"; vals[n++] = db->conninfo[0] ? db->conninfo : NULL;
    keys[n] = "connect_timeout"; vals[n++] = timeout_s;
    keys[n] = "tcp_user_timeout"; vals[n++] = user_timeout;
    keys[n] = "application_name"; vals[n++] = "voxcat";
    /* Statements are prepared once per connection, but a generic plan
     * cannot see the search words: a GIN match on a rare word and on a
     * common one want different plans, so each execution is planned for
     * its values (planning costs microseconds, a wrong plan milliseconds). */
    if (db->stmt_timeout)
        snprintf(options, sizeof(options),
                 "-c plan_cache_mode=force_custom_plan -c statement_timeout=%d", db->timeout_ms);
    else
        snprintf(options, sizeof(options), "-c plan_cache_mode=force_custom_plan");
    keys[n] = "options"; vals[n++] = options;
    keys[n] = NULL; vals[n] = NULL;
    if (vals[0] == NULL) {          /* no URL: let PG* decide the database */
        keys[0] = "fallback_application_name";
        vals[0] = "voxcat";
    }

    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db->conn));
        msg[strcspn(msg, "\n")] = '\0';
        /* libpq quotes pieces of a malformed connection string, which may
         * hold a password: say only that it is malformed. */
        if (strstr(msg, "connection info string") != NULL || strstr(msg, "URI") != NULL
            || strstr(msg, "connection option") != NULL || strstr(msg, "conninfo") != NULL)
            snprintf(msg, sizeof(msg), "the connection string (VOXCAT_DATABASE_URL) is malformed");
        vc_log(VC_LOG_WARN, "database connect failed: %s", msg);
        drop_connection(db);
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    }
    PQsetNoticeProcessor(db->conn, on_notice, NULL);
    db->connects++;
    if (db->connects > 1)
        vc_log(VC_LOG_INFO, "database reconnected");
    if (db->listen[0] != '\0') {
        /* The channel name is ours, a fixed identifier: no quoting needed. */
        char sql[96];
        PGresult *res;
        snprintf(sql, sizeof(sql), "LISTEN %s", db->listen);
        res = PQexec(db->conn, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            vc_log(VC_LOG_WARN, "LISTEN %s failed", db->listen);
        PQclear(res);
    }
    return VC_OK;
}

void vc_db_listen(struct vc_db *db, const char *channel)
{
    snprintf(db->listen, sizeof(db->listen), "%s", channel);
}

int vc_db_notified(struct vc_db *db, int read, vc_db_notify_fn fn, void *ctx)
{
    PGnotify *n;
    int count = 0, ok = 1;

    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
        return -1;
    /* Reads what the server has sent without waiting for more; what had
     * arrived before a broken connection is still handed out. */
    if (read)
        ok = PQconsumeInput(db->conn) == 1;
    while ((n = PQnotifies(db->conn)) != NULL) {
        fn(ctx, n->extra);
        count++;
        PQfreemem(n);
    }
    return ok ? count : -1;
}

/* Whether a SQLSTATE says the connection is lost or the server going
 * away, not a refusal of the statement. */
static int state_gone(const char *state)
{
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0
           || strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

/* Map a failed result's SQLSTATE to a code and fill err with a message that
 * carries no SQL text; the server's message goes to the log and to
 * last_error. */
static enum vc_code result_error(struct vc_db *db, const PGresult *res, struct vc_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

    if (primary == NULL && db->conn != NULL)
        primary = PQerrorMessage(db->conn);
    snprintf(db->last_error, sizeof(db->last_error), "%s%s%s",
             primary ? primary : "refused by the database", detail ? ": " : "",
             detail ? detail : "");
    db->last_error[strcspn(db->last_error, "\n")] = '\0';
    vc_log(VC_LOG_WARN, "database error %s: %s", state ? state : "-", db->last_error);

    if (state == NULL || db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    if (state_gone(state))
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    if (strcmp(state, "57014") == 0)
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database timed out");
    if (strcmp(state, "23505") == 0)
        return vc_error_set(err, VC_ERR_CONFLICT, NULL, "already exists (%s)",
                            constraint ? constraint : "unique");
    if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "value not allowed (%s)",
                            constraint ? constraint : "constraint");
    if (strncmp(state, "22", 2) == 0)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "invalid value");
    return vc_error_set(err, VC_ERR_INTERNAL, NULL, "database error");
}

static int is_prepared(struct vc_db *db, const struct vc_stmt *stmt)
{
    for (size_t i = 0; i < db->nprepared; i++) {
        if (db->prepared[i] == stmt)
            return 1;
    }
    return 0;
}

static enum vc_code prepare(struct vc_db *db, const struct vc_stmt *stmt, struct vc_error *err)
{
    PGresult *res;
    enum vc_code rc = VC_OK;

    if (is_prepared(db, stmt))
        return VC_OK;
    if (db->nprepared == MAX_PREPARED)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "too many prepared statements");
    res = PQprepare(db->conn, stmt->name, stmt->sql, stmt->nparams, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = result_error(db, res, err);
    else
        db->prepared[db->nprepared++] = stmt;
    PQclear(res);
    return rc;
}

static int result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);

    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN;
}

/* Whether a failure may be retried on a fresh connection: only when the
 * connection itself broke and no transaction was open on it. */
static int retryable(struct vc_db *db, int was_idle)
{
    return was_idle && (db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD);
}

/* Whether a pipeline is sent and not yet read: the connection then takes
 * nothing else (a caller's mistake, said as one). */
static int pipe_pending(struct vc_db *db, struct vc_error *err)
{
    if (db->pipe == NULL)
        return 0;
    vc_error_set(err, VC_ERR_INTERNAL, NULL, "a statement while a pipeline is pending");
    return 1;
}

/* One statement: prepared (stmt) or unprepared (sql), the one place that
 * re-opens a broken connection and tries once more. */
static PGresult *run(struct vc_db *db, const struct vc_stmt *stmt, const char *sql,
                     int nparams, const char *const *params, const int *lengths,
                     const int *formats, int result_format, struct vc_error *err)
{
    if (pipe_pending(db, err))
        return NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *res = NULL;
        int idle;

        if (vc_db_connect(db, err) != VC_OK)
            return NULL;
        idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
        if (stmt == NULL)
            res = PQexecParams(db->conn, sql, nparams, NULL, params, lengths, formats,
                               result_format);
        else if (prepare(db, stmt, err) == VC_OK)
            res = PQexecPrepared(db->conn, stmt->name, stmt->nparams, params, lengths,
                                 formats, result_format);
        if (res != NULL && result_ok(res))
            return res;
        if (attempt == 0 && retryable(db, idle)) {
            PQclear(res);
            drop_connection(db);
            continue;
        }
        /* A failed prepare has already filled err. */
        if (res != NULL || stmt == NULL)
            result_error(db, res, err);
        PQclear(res);
        return NULL;
    }
    return NULL;
}

struct vc_result *vc_db_exec_bin(struct vc_db *db, const struct vc_stmt *stmt,
                                const char *const *params, const int *lengths,
                                const int *formats, int result_format,
                                struct vc_error *err)
{
    return wrap(run(db, stmt, NULL, stmt->nparams, params, lengths, formats, result_format, err));
}

struct vc_result *vc_db_exec(struct vc_db *db, const struct vc_stmt *stmt,
                     const char *const *params, struct vc_error *err)
{
    return vc_db_exec_bin(db, stmt, params, NULL, NULL, 0, err);
}

struct vc_result *vc_db_exec_sql(struct vc_db *db, const char *sql, int nparams,
                         const char *const *params, struct vc_error *err)
{
    struct vc_stmt *st = NULL;

    if (vc_db_connect(db, err) != VC_OK)
        return NULL;
    for (size_t i = 0; i < db->ndynamic; i++) {
        if (db->dynamic[i].nparams == nparams && strcmp(db->dynamic[i].sql, sql) == 0)
            st = &db->dynamic[i];
    }
    if (st == NULL) {
        char *copy;
        if (db->ndynamic == MAX_DYNAMIC)
            return vc_db_query(db, sql, nparams, params, err);  /* no room: plan each time */
        copy = strdup(sql);
        if (copy == NULL) {
            vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            return NULL;
        }
        snprintf(db->dynamic_names[db->ndynamic], sizeof(db->dynamic_names[0]), "vc_dyn_%zu",
                 db->ndynamic);
        st = &db->dynamic[db->ndynamic++];
        st->name = db->dynamic_names[st - db->dynamic];
        st->sql = copy;
        st->nparams = nparams;
        vc_log(VC_LOG_DEBUG, "new statement %s: %s", st->name, sql);
    }
    return vc_db_exec(db, st, params, err);
}

struct vc_result *vc_db_query(struct vc_db *db, const char *sql, int nparams,
                              const char *const *params, struct vc_error *err)
{
    return wrap(run(db, NULL, sql, nparams, params, NULL, NULL, 0, err));
}

enum vc_code vc_db_script(struct vc_db *db, const char *sql, struct vc_error *err)
{
    PGresult *res;
    enum vc_code rc = VC_OK;

    if (pipe_pending(db, err))
        return VC_ERR_INTERNAL;
    if (vc_db_connect(db, err) != VC_OK)
        return err ? err->code : VC_ERR_UNAVAILABLE;
    res = PQexec(db->conn, sql);
    if (res == NULL || !result_ok(res))
        rc = result_error(db, res, err);
    PQclear(res);
    return rc;
}

enum vc_code vc_db_begin(struct vc_db *db, struct vc_error *err)
{
    struct vc_result *res = vc_db_query(db, "BEGIN", 0, NULL, err);

    if (res == NULL)
        return err ? err->code : VC_ERR_INTERNAL;
    vc_result_free(res);
    return VC_OK;
}

enum vc_code vc_db_commit(struct vc_db *db, struct vc_error *err)
{
    PGresult *res;
    enum vc_code rc = VC_OK;

    if (pipe_pending(db, err))
        return VC_ERR_INTERNAL;
    if (db->conn == NULL)
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    res = PQexec(db->conn, "COMMIT");
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = result_error(db, res, err);
    PQclear(res);
    return rc;
}

void vc_db_rollback(struct vc_db *db)
{
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK || db->pipe != NULL)
        return;
    if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return;
    PQclear(PQexec(db->conn, "ROLLBACK"));
}

enum vc_code vc_db_transaction(struct vc_db *db, vc_db_txn_fn fn, void *ctx,
                               struct vc_error *err)
{
    enum vc_code rc;

    rc = vc_db_begin(db, err);
    if (rc != VC_OK)
        return rc;
    rc = fn(db, ctx, err);
    if (rc != VC_OK) {
        vc_db_rollback(db);
        return rc;
    }
    rc = vc_db_commit(db, err);
    if (rc != VC_OK)
        vc_db_rollback(db);
    return rc;
}

/* Queue the pending pipeline's steps and their Sync (which flushes).
 * Statements new to this connection are prepared first, one round trip
 * each, once. */
static enum vc_code pipeline_queue(struct vc_db *db, struct vc_error *err)
{
    for (int i = 0; i < db->npipe; i++) {
        if (prepare(db, db->pipe[i].stmt, err) != VC_OK)
            return err->code;
    }
    if (PQenterPipelineMode(db->conn) != 1)
        return result_error(db, NULL, err);
    for (int i = 0; i < db->npipe; i++) {
        const struct vc_db_step *s = &db->pipe[i];

        if (PQsendQueryPrepared(db->conn, s->stmt->name, s->stmt->nparams, s->params,
                                s->lengths, s->formats, s->binary) != 1)
            return result_error(db, NULL, err);
    }
    if (PQpipelineSync(db->conn) != 1)
        return result_error(db, NULL, err);
    return VC_OK;
}

/* Send the pending pipeline; on a connection that broke while idle, once
 * more on a fresh one: nothing ran, since the transaction commits at the
 * Sync, the last thing sent. */
static enum vc_code pipeline_send(struct vc_db *db, struct vc_error *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (vc_db_connect(db, err) != VC_OK)
            return err->code;
        if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
            return vc_error_set(err, VC_ERR_INTERNAL, NULL, "a pipeline inside a transaction");
        if (pipeline_queue(db, err) == VC_OK)
            return VC_OK;
        if (attempt == 0 && retryable(db, 1)) {
            drop_connection(db);
            continue;
        }
        break;
    }
    drop_connection(db);    /* half a pipeline: start afresh next time */
    return err->code;
}

enum vc_code vc_db_pipeline_send(struct vc_db *db, const struct vc_db_step *steps, int n,
                                 int resend, struct vc_error *err)
{
    enum vc_code rc;

    if (n < 1 || n > VC_DB_PIPELINE_MAX || db->pipe != NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "bad pipeline");
    db->pipe = steps;
    db->npipe = n;
    db->pipe_resend = resend;
    rc = pipeline_send(db, err);
    if (rc != VC_OK)
        db->pipe = NULL;
    return rc;
}

/* Whether a failed result says the server went away rather than
 * answering: it says why (57P01) and closes, and libpq sees the close
 * only when it reads on; no SQLSTATE is libpq's own word on a lost
 * connection. */
static int server_gone(const PGresult *res)
{
    const char *state;

    if (result_ok(res) || PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
        return 0;
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state == NULL || state_gone(state);
}

/* Read the pipeline's results into results[]. *answered says whether the
 * server answered anything (then nothing may be sent again). */
static enum vc_code pipeline_read(struct vc_db *db, struct vc_result **results, int *answered,
                                  struct vc_error *err)
{
    enum vc_code rc = VC_OK;
    PGresult *res;

    for (int i = 0; i < db->npipe; i++) {
        PGresult *extra;

        res = PQgetResult(db->conn);
        /* Each statement's results end with a NULL. */
        while (res != NULL && (extra = PQgetResult(db->conn)) != NULL)
            PQclear(extra);
        if (res == NULL || PQstatus(db->conn) == CONNECTION_BAD || server_gone(res)) {
            result_error(db, res, err);
            PQclear(res);
            return VC_ERR_UNAVAILABLE;
        }
        *answered = 1;
        if (result_ok(res)) {
            results[i] = wrap(res);
        } else {
            /* Skipped after an earlier failure: that one has said why. */
            if (rc == VC_OK)
                rc = result_error(db, res, err);
            PQclear(res);
        }
    }
    /* The transaction ends with its Sync; anything else there (a failed
     * commit) says why. */
    res = PQgetResult(db->conn);
    if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && rc == VC_OK)
        rc = result_error(db, res, err);
    PQclear(res);
    return rc;
}

enum vc_code vc_db_pipeline_end(struct vc_db *db, struct vc_result **results,
                                struct vc_error *err)
{
    enum vc_code rc = VC_ERR_UNAVAILABLE;
    int answered = 0;

    if (db->pipe == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "no pipeline was sent");
    for (int i = 0; i < db->npipe; i++)
        results[i] = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = pipeline_read(db, results, &answered, err);
        if (rc == VC_OK || answered || !db->pipe_resend || attempt == 1)
            break;
        /* Gone before any answer: it may have committed and lost only
         * the answer, so only steps the caller says may run twice are
         * sent again. */
        vc_error_clear(err);
        drop_connection(db);
        if (pipeline_send(db, err) != VC_OK) {
            rc = err->code;
            break;
        }
    }
    /* A connection whose pipeline was not read to its end is not reused. */
    if (db->conn != NULL && (PQstatus(db->conn) == CONNECTION_BAD
                             || PQexitPipelineMode(db->conn) != 1))
        drop_connection(db);
    db->pipe = NULL;
    if (rc == VC_ERR_UNAVAILABLE && err->code == VC_OK)
        vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    return rc;
}

enum vc_code vc_db_pipeline(struct vc_db *db, const struct vc_db_step *steps, int n,
                            int resend, struct vc_result **results, struct vc_error *err)
{
    enum vc_code rc;

    for (int i = 0; i < n && i < VC_DB_PIPELINE_MAX; i++)
        results[i] = NULL;
    rc = vc_db_pipeline_send(db, steps, n, resend, err);
    if (rc != VC_OK)
        return rc;
    return vc_db_pipeline_end(db, results, err);
}

enum vc_code vc_db_ping(struct vc_db *db, double *ms, struct vc_error *err)
{
    static const struct vc_stmt ping = { "vc_ping", "SELECT 1", 0 };
    double start = (vc_time_mono_s() * 1000.0);
    struct vc_result *res = vc_db_exec(db, &ping, NULL, err);

    if (res == NULL)
        return err ? err->code : VC_ERR_UNAVAILABLE;
    vc_result_free(res);
    if (ms != NULL)
        *ms = (vc_time_mono_s() * 1000.0) - start;
    return VC_OK;
}

/* Read and drop whatever results a failed COPY or stream left behind. */
static void drain(struct vc_db *db)
{
    PGresult *r;

    while (db->conn != NULL && (r = PQgetResult(db->conn)) != NULL)
        PQclear(r);
}

/* "line N" of a COPY error's context: the 1-based row among those sent. */
static long copy_error_row(const PGresult *res)
{
    const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
    const char *p = ctx ? strstr(ctx, "line ") : NULL;

    return p ? strtol(p + 5, NULL, 10) : 0;
}

enum vc_code vc_db_copy_in(struct vc_db *db, const char *sql, const char *data, size_t len,
                           long *bad_row, struct vc_error *err)
{
    PGresult *res;
    enum vc_code rc = VC_OK;

    *bad_row = 0;
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    if (len > (size_t)INT_MAX)
        return vc_error_set(err, VC_ERR_PAYLOAD_TOO_LARGE, NULL, "COPY data over 2 GiB");
    res = PQexec(db->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = result_error(db, res, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    if ((len > 0 && PQputCopyData(db->conn, data, (int)len) != 1)
        || PQputCopyEnd(db->conn, NULL) != 1) {
        drain(db);
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    }
    res = PQgetResult(db->conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        result_error(db, res, err);
        *bad_row = copy_error_row(res);
        rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, NULL, "%s", db->last_error);
    }
    PQclear(res);
    drain(db);
    return rc;
}

enum vc_code vc_db_stream(struct vc_db *db, const char *sql, vc_db_row_fn fn, void *ctx,
                          struct vc_error *err)
{
    PGresult *res;
    enum vc_code rc;

    if (pipe_pending(db, err))
        return VC_ERR_INTERNAL;
    rc = vc_db_connect(db, err);
    if (rc != VC_OK)
        return rc;
    if (PQsendQuery(db->conn, sql) != 1 || PQsetSingleRowMode(db->conn) != 1) {
        drain(db);
        return vc_error_set(err, VC_ERR_UNAVAILABLE, NULL, "database unavailable");
    }
    while ((res = PQgetResult(db->conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);

        if (st == PGRES_SINGLE_TUPLE && rc == VC_OK)
            rc = fn(ctx, PQgetvalue(res, 0, 0), err);
        else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == VC_OK)
            rc = result_error(db, res, err);
        PQclear(res);
    }
    return rc;
}
