/* vc_jsonl.h - the catalog in and out as JSON lines: `voxcat import` and
 * `voxcat export`.
 *
 * Import is all or nothing: every line is checked against one table of
 * columns before PostgreSQL sees any, the rows go in with COPY inside one
 * transaction, and a bad line (bad JSON, unknown field, wrong type, out of
 * range, an id or cache_key already taken or repeated) is reported as
 * "line N: field: reason" with nothing written. Export writes the same
 * columns, so an export imports again. Both are audited. */
#ifndef VC_JSONL_H
#define VC_JSONL_H

#include <stddef.h>
#include <stdio.h>

#include "vc_audit.h"
#include "vc_db.h"
#include "vc_error.h"

/* A growing byte buffer (owned data; free with free(buf.data)). */
struct vc_buf {
    char *data;
    size_t len, cap;
};

/* Check one input line (len bytes, no newline) numbered lineno and append
 * its COPY text row to out. Pure: the import's parser, unit tested and
 * fuzzed alone. */
enum vc_code vc_jsonl_line(const char *line, size_t len, long lineno, struct vc_buf *out,
                           struct vc_error *err) VC_MUST_CHECK;

/* Told how far a long import or export has come: rows so far, and (when
 * known, else -1) done and total in the same unit (bytes read, rows). */
struct vc_jsonl_progress {
    void (*fn)(void *ctx, long rows, long long done, long long total);
    void *ctx;
};

/* Import JSON lines from in (borrowed; read to the end) as described
 * above, audited as catalog.import by who. *count gets the number of
 * tracks imported (0 on failure). progress (may be NULL) hears of the
 * reading now and then. */
enum vc_code vc_jsonl_import(struct vc_db *db, FILE *in, const struct vc_actor *who,
                             const struct vc_jsonl_progress *progress, long *count,
                             struct vc_error *err) VC_MUST_CHECK;

/* Write every track to out (borrowed) as one JSON object per line, oldest
 * first, then add a catalog.export audit row. *count gets the number
 * written; progress (may be NULL) hears of it now and then. */
enum vc_code vc_jsonl_export(struct vc_db *db, FILE *out, const struct vc_actor *who,
                             const struct vc_jsonl_progress *progress, long *count,
                             struct vc_error *err) VC_MUST_CHECK;

#endif
