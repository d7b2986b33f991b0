/* vc_audit.c - the one writer of audit_log rows. */
#include "vc_audit.h"

#include <stdio.h>

#include "vc_track.h"

const struct vc_actor vc_actor_system = { "system", NULL, NULL };

static const struct vc_stmt st_audit = {
    "vc_audit",
    "INSERT INTO " VC_AUDIT_INTO " VALUES ($1, $2, $3, $4, $5, $6::jsonb)", 6
};

const char *vc_audit_actor_name(const struct vc_actor *who)
{
    return who != NULL && who->name != NULL ? who->name : vc_actor_system.name;
}

enum vc_code vc_audit(struct vc_db *db, const char *action, const char *resource,
                      const struct vc_actor *who, const char *status, const char *detail,
                      struct vc_error *err)
{
    const char *p[6] = { action, resource, vc_audit_actor_name(who), who ? who->ip : NULL,
                         status, detail };
    struct vc_result *res = vc_db_exec(db, &st_audit, p, err);

    if (res == NULL)
        return err->code;
    vc_result_free(res);
    return VC_OK;
}

enum vc_code vc_audit_track(struct vc_db *db, const char *action, const char *id,
                            const struct vc_actor *who, const char *status,
                            const char *detail, struct vc_error *err)
{
    char resource[8 + VC_UUID_SIZE];

    snprintf(resource, sizeof(resource), "track:%s", id);
    return vc_audit(db, action, resource, who, status, detail, err);
}
