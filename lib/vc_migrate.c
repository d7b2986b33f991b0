/* vc_migrate.c - numbered SQL migrations with checksums. */
#include "vc_migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vc_hash.h"
#include "vc_log.h"

/* Arbitrary but fixed: the key of the advisory lock held while migrating. */
#define MIGRATE_LOCK_KEY "7325896045551"

struct migration {
    char *file;             /* "001_init.sql" */
    char version[16];       /* "001" */
    char checksum[VC_SHA256_HEX];
    char *sql;
};

static void free_migrations(struct migration *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].file);
        free(m[i].sql);
    }
    free(m);
}

static int by_file(const void *a, const void *b)
{
    return strcmp(((const struct migration *)a)->file, ((const struct migration *)b)->file);
}

static int is_migration_name(const char *name)
{
    size_t n = strlen(name);
    size_t digits = 0;

    while (isdigit((unsigned char)name[digits]))
        digits++;
    return digits >= 3 && digits < 16 && name[digits] == '_'
        && n > 4 && strcmp(name + n - 4, ".sql") == 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0)
        goto out;
    size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)size + 1);
    if (buf == NULL)
        goto out;
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[size] = '\0';
    *len = (size_t)size;
out:
    fclose(f);
    return buf;
}

/* Read every migration in dir, sorted. New array (free_migrations). */
static enum vc_code load_dir(const char *dir, struct migration **out, size_t *count,
                             struct vc_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct migration *list = NULL;
    size_t n = 0, cap = 0;
    enum vc_code rc = VC_OK;

    if (d == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "dir", "cannot open %s: %s",
                            dir, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        size_t len = 0;
        struct migration *m;

        if (!is_migration_name(de->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct migration *grown = realloc(list, ncap * sizeof(*list));
            if (grown == NULL) {
                rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
                goto out;
            }
            list = grown;
            cap = ncap;
        }
        m = &list[n];
        memset(m, 0, sizeof(*m));
        m->file = strdup(de->d_name);
        n++;
        if (m->file == NULL) {
            rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
            goto out;
        }
        snprintf(m->version, sizeof(m->version), "%.*s",
                 (int)strcspn(m->file, "_"), m->file);
        snprintf(path, sizeof(path), "%s/%s", dir, m->file);
        m->sql = read_file(path, &len);
        if (m->sql == NULL) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "dir", "cannot read %s", path);
            goto out;
        }
        if (vc_sha256_hex(m->sql, len, m->checksum) != 0) {
            rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "sha256 failed");
            goto out;
        }
    }
    if (n > 0)
        qsort(list, n, sizeof(*list), by_file);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(list[i].version, list[i - 1].version) == 0) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "dir",
                              "%s and %s share version %s", list[i - 1].file,
                              list[i].file, list[i].version);
            goto out;
        }
    }
out:
    closedir(d);
    if (rc != VC_OK) {
        free_migrations(list, n);
        return rc;
    }
    *out = list;
    *count = n;
    return VC_OK;
}

static const char create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Look up a recorded migration: 1 and its checksum in sum when found. */
static enum vc_code recorded(struct vc_db *db, const char *version, char sum[VC_SHA256_HEX],
                             int *found, struct vc_error *err)
{
    const char *params[1] = { version };
    struct vc_result *res = vc_db_query(db, "SELECT checksum FROM schema_migrations WHERE version = $1",
                                1, params, err);

    if (res == NULL)
        return err ? err->code : VC_ERR_INTERNAL;
    *found = vc_result_rows(res) == 1;
    if (*found)
        snprintf(sum, VC_SHA256_HEX, "%s", vc_result_value(res, 0, 0));
    vc_result_free(res);
    return VC_OK;
}

static enum vc_code apply_one(struct vc_db *db, const struct migration *m, struct vc_error *err)
{
    const char *params[3] = { m->version, m->file, m->checksum };
    struct vc_result *res;
    enum vc_code rc;

    rc = vc_db_begin(db, err);
    if (rc != VC_OK)
        return rc;
    rc = vc_db_script(db, m->sql, err);
    if (rc != VC_OK) {
        char why[VC_ERR_MSG_MAX];
        snprintf(why, sizeof(why), "%s", err ? err->message : "");
        vc_error_set(err, rc, "migration", "%s failed: %s", m->file, why);
        goto fail;
    }
    res = vc_db_query(db, "INSERT INTO schema_migrations (version, name, checksum) "
                      "VALUES ($1, $2, $3)", 3, params, err);
    if (res == NULL) {
        rc = err ? err->code : VC_ERR_INTERNAL;
        goto fail;
    }
    vc_result_free(res);
    rc = vc_db_commit(db, err);
    if (rc != VC_OK)
        goto fail;
    return VC_OK;
fail:
    vc_db_rollback(db);
    return rc;
}

enum vc_code vc_migrate(struct vc_db *db, const char *dir, FILE *out,
                        int *applied, struct vc_error *err)
{
    struct migration *list = NULL;
    size_t n = 0;
    int *pending = NULL;
    int count = 0;
    struct vc_result *res;
    enum vc_code rc;

    rc = load_dir(dir, &list, &n, err);
    if (rc != VC_OK)
        return rc;
    pending = calloc(n ? n : 1, sizeof(*pending));
    if (pending == NULL) {
        rc = vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    rc = vc_db_script(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err);
    if (rc != VC_OK)
        goto out;
    rc = vc_db_script(db, create_table, err);
    if (rc != VC_OK)
        goto unlock;

    /* Check every recorded checksum before applying anything. */
    for (size_t i = 0; i < n; i++) {
        char sum[VC_SHA256_HEX];
        int found = 0;

        rc = recorded(db, list[i].version, sum, &found, err);
        if (rc != VC_OK)
            goto unlock;
        if (found && strcmp(sum, list[i].checksum) != 0) {
            rc = vc_error_set(err, VC_ERR_CONFLICT, "migration",
                              "%s changed after it was applied (recorded sha256 %.12s, file %.12s); "
                              "write a new migration instead", list[i].file, sum, list[i].checksum);
            goto unlock;
        }
        pending[i] = !found;
    }
    for (size_t i = 0; i < n; i++) {
        if (!pending[i])
            continue;
        rc = apply_one(db, &list[i], err);
        if (rc != VC_OK)
            goto unlock;
        count++;
        vc_log(VC_LOG_INFO, "applied migration %s", list[i].file);
        if (out != NULL)
            fprintf(out, "applied %s\n", list[i].file);
    }
unlock:
    res = vc_db_query(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0, NULL, NULL);
    vc_result_free(res);
out:
    if (applied != NULL)
        *applied = count;
    free(pending);
    free_migrations(list, n);
    return rc;
}
