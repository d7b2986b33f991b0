/* vc_migrate.h - applies the numbered SQL migrations in sql/.
 *
 * Files are named NNN_name.sql and applied in name order, each in its own
 * transaction together with its row in schema_migrations (version, name,
 * sha256, applied_at). A file whose checksum differs from the one recorded
 * when it was applied stops the run before anything is applied: a changed
 * migration is a mistake to fix, never to re-run. Concurrent runs are
 * serialised by an advisory lock. */
#ifndef VC_MIGRATE_H
#define VC_MIGRATE_H

#include <stdio.h>

#include "vc_db.h"
#include "vc_error.h"

/* Apply pending migrations from dir, reporting each applied file on out
 * (may be NULL). *applied (may be NULL) gets the count. */
enum vc_code vc_migrate(struct vc_db *db, const char *dir, FILE *out,
                        int *applied, struct vc_error *err) VC_MUST_CHECK;

#endif
