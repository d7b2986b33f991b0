/* vc_db.h - one PostgreSQL connection per process, with lazy connect,
 * reconnect after the server restarts, statements prepared once per
 * connection, and a transaction helper that rolls back on any error.
 *
 * Workers keep their connection for their whole life: opening one costs
 * milliseconds, a query on an open one microseconds. Nothing here retries a
 * statement inside a transaction: a broken connection there fails the
 * transaction, which the caller reports. */
#ifndef VC_DB_H
#define VC_DB_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "vc_error.h"

/* A statement's result: rows of values, text unless binary was asked for.
 * Opaque, so no module but this one speaks libpq; free with
 * vc_result_free. Values are borrowed from the result. */
struct vc_result;

/* Number of rows. */
int vc_result_rows(const struct vc_result *r);

/* The value at row, col (borrowed, "" for NULL); NUL-terminated. */
const char *vc_result_value(const struct vc_result *r, int row, int col);

/* Whether the value at row, col is SQL NULL. */
int vc_result_isnull(const struct vc_result *r, int row, int col);

/* The length in bytes of the value at row, col (for binary values). */
size_t vc_result_length(const struct vc_result *r, int row, int col);

/* Rows an INSERT, UPDATE or DELETE touched. */
long vc_result_affected(const struct vc_result *r);

/* Free a result. Accepts NULL. */
void vc_result_free(struct vc_result *r);

/* A statement prepared on first use on each connection. Static storage:
 * the db keeps the pointer. */
struct vc_stmt {
    const char *name;
    const char *sql;
    int nparams;
};

struct vc_db;

/* A new, unconnected handle (caller frees with vc_db_free), or NULL when out
 * of memory. conninfo is a URL or key=value string; "" means libpq's PG*
 * environment. timeout_ms bounds connecting and, when stmt_timeout is set,
 * every statement. */
struct vc_db *vc_db_new(const char *conninfo, int timeout_ms, int stmt_timeout);

/* Close and free. Accepts NULL. */
void vc_db_free(struct vc_db *db);

/* Make sure the connection is up, connecting or reconnecting as needed.
 * VC_ERR_UNAVAILABLE when the server cannot be reached. */
enum vc_code vc_db_connect(struct vc_db *db, struct vc_error *err) VC_MUST_CHECK;

/* Run a prepared statement with text parameters (NULL entries are SQL
 * NULL). Returns a new result the caller frees with vc_result_free, or NULL
 * with err set.
 * Outside a transaction, a connection found broken is re-opened and the
 * statement tried once more. */
struct vc_result *vc_db_exec(struct vc_db *db, const struct vc_stmt *stmt,
                     const char *const *params, struct vc_error *err);

/* Same, with explicit lengths and formats (for bytea in binary). */
struct vc_result *vc_db_exec_bin(struct vc_db *db, const struct vc_stmt *stmt,
                         const char *const *params, const int *lengths,
                         const int *formats, int result_format,
                         struct vc_error *err);

/* Run sql once, unprepared, with text parameters (for statements built at
 * run time from whitelisted pieces, and for migrations). New result or NULL. */
struct vc_result *vc_db_query(struct vc_db *db, const char *sql, int nparams,
                      const char *const *params, struct vc_error *err);

/* Run sql, built at run time from whitelisted pieces, as a statement
 * prepared once per connection and per distinct text (so a search shape
 * is planned once). Text parameters. New result or NULL. */
struct vc_result *vc_db_exec_sql(struct vc_db *db, const char *sql, int nparams,
                         const char *const *params, struct vc_error *err);

/* Run a script of several statements with no parameters. */
enum vc_code vc_db_script(struct vc_db *db, const char *sql, struct vc_error *err) VC_MUST_CHECK;

enum vc_code vc_db_begin(struct vc_db *db, struct vc_error *err) VC_MUST_CHECK;
enum vc_code vc_db_commit(struct vc_db *db, struct vc_error *err) VC_MUST_CHECK;
/* Roll back if a transaction is open; never fails in a way callers act on. */
void vc_db_rollback(struct vc_db *db);

/* Run fn inside BEGIN/COMMIT; any error from fn or COMMIT rolls back and is
 * returned. ctx is passed through. */
typedef enum vc_code (*vc_db_txn_fn)(struct vc_db *db, void *ctx, struct vc_error *err);
enum vc_code vc_db_transaction(struct vc_db *db, vc_db_txn_fn fn, void *ctx,
                               struct vc_error *err) VC_MUST_CHECK;

/* One statement of a pipeline. lengths and formats as vc_db_exec_bin's
 * (NULL: text parameters); binary asks for binary results. */
struct vc_db_step {
    const struct vc_stmt *stmt;
    const char *const *params;
    const int *lengths;
    const int *formats;
    int binary;
};

#define VC_DB_PIPELINE_MAX 8

/* Send up to VC_DB_PIPELINE_MAX statements at once (libpq's pipeline
 * mode) as one transaction: one round trip instead of one each, and no
 * BEGIN or COMMIT of its own; all of them run or none. Needs no
 * transaction open. The caller may work while the server runs them, but
 * make no other call on db, then reads the results with
 * vc_db_pipeline_end; steps and their parameters must live until then.
 * resend says the steps may run twice: a connection found gone before any
 * answer came is then re-opened and they are sent again (the lost answer
 * may have been a commit's). err must not be NULL. */
enum vc_code vc_db_pipeline_send(struct vc_db *db, const struct vc_db_step *steps, int n,
                                 int resend, struct vc_error *err) VC_MUST_CHECK;

/* The results of what vc_db_pipeline_send sent: results[i] gets step i's
 * (the caller frees every one, whatever the return), NULL when it failed
 * or was skipped after a failure. Returns VC_OK when the transaction
 * committed, else the first failure's code, with err. */
enum vc_code vc_db_pipeline_end(struct vc_db *db, struct vc_result **results,
                                struct vc_error *err) VC_MUST_CHECK;

/* Both: send, then read the results (results[] all NULL when nothing
 * could be sent). */
enum vc_code vc_db_pipeline(struct vc_db *db, const struct vc_db_step *steps, int n,
                            int resend, struct vc_result **results,
                            struct vc_error *err) VC_MUST_CHECK;

/* Round trip "SELECT 1"; *ms gets the latency. */
enum vc_code vc_db_ping(struct vc_db *db, double *ms, struct vc_error *err) VC_MUST_CHECK;

/* Map a failed result's SQLSTATE to a code and fill err with a message that
 * carries no SQL text; the server's message goes to the log. */
/* The first value of res, which the query built as JSON text, parsed (new
 * reference), or NULL with err. */
json_t *vc_db_json(const struct vc_result *res, struct vc_error *err);

/* The server's own words for the last failed statement ("message: detail",
 * borrowed, "" when none): for the command line tools, never for an HTTP
 * answer, which must carry no SQL. */
const char *vc_db_last_error(const struct vc_db *db);

/* Inside a transaction: COPY sql FROM STDIN with len bytes of COPY text
 * data. On a refused row, VC_ERR_INVALID_ARGUMENT with the server's message
 * and *bad_row the 1-based row (0 when unknown); the transaction must then
 * be rolled back. */
enum vc_code vc_db_copy_in(struct vc_db *db, const char *sql, const char *data, size_t len,
                           long *bad_row, struct vc_error *err) VC_MUST_CHECK;

/* Called with the first value of each row of vc_db_stream; a non-OK code
 * stops the stream (the rest of the rows are read and dropped). */
typedef enum vc_code (*vc_db_row_fn)(void *ctx, const char *value, struct vc_error *err);

/* Run sql (no parameters) and hand its rows to fn one at a time, so a
 * result of millions of rows never sits in memory. */
enum vc_code vc_db_stream(struct vc_db *db, const char *sql, vc_db_row_fn fn, void *ctx,
                          struct vc_error *err) VC_MUST_CHECK;

/* LISTEN on channel (a plain identifier) on every connection this handle
 * opens from now on, so vc_db_notified can tell of a NOTIFY. */
void vc_db_listen(struct vc_db *db, const char *channel);

/* Called with the payload (borrowed) of each notification. */
typedef void (*vc_db_notify_fn)(void *ctx, const char *payload);

/* Hand every notification that has arrived since the last call to fn
 * (never waits): how many, or -1 when the connection is not up (those that
 * came before it broke are still handed out; others may have been lost).
 * With read 0 only those libpq holds already (read during queries) are
 * handed out, without a system call: for a caller that polls the socket
 * (vc_db_socket) and reads it when it is ready. */
int vc_db_notified(struct vc_db *db, int read, vc_db_notify_fn fn, void *ctx);

/* The connection's socket, for a caller's own poll set; -1 when it is not
 * up. A reconnect may hand out the same number: tell connections apart by
 * vc_db_connects. */
int vc_db_socket(const struct vc_db *db);

/* How many times this handle has (re)connected successfully. */
unsigned long vc_db_connects(const struct vc_db *db);

#endif
