/* vc_audit.h - the audit log: who changed what, written by every module
 * that writes (catalog, audio storage, the speech queue) through this one
 * function, inside the writer's own transaction so the row exists exactly
 * when the change does; the one exception, audio storage's pipelined put,
 * adds its row in the statement that makes the track, with the columns
 * named here (VC_AUDIT_INTO). */
#ifndef VC_AUDIT_H
#define VC_AUDIT_H

#include "vc_db.h"
#include "vc_error.h"

/* Who did a write. Strings borrowed; a NULL name is recorded as the
 * worker itself ("system"), a NULL ip as none. token_id, when set, is the
 * API token whose daily quota pays for any synthesis (vc_auth). */
struct vc_actor {
    const char *name;
    const char *ip;
    const char *token_id;
};

/* The actor of work a worker does on its own (leases, the idle queue). */
extern const struct vc_actor vc_actor_system;

/* The table and columns of an audit row, for the one writer that adds its
 * row in the statement making the change (vc_store's put, whose pipeline
 * cannot wait for the track's id): action, resource, actor, ip, status,
 * detail. */
#define VC_AUDIT_INTO "audit_log (action, resource, actor, ip, status, detail)"

/* The name recorded for who: "system" when there is none. */
const char *vc_audit_actor_name(const struct vc_actor *who);

/* Add an audit_log row: action ("track.status"), resource ("track:<id>"),
 * who (may be NULL), the resulting status, and detail (a JSON object as
 * text, or NULL). */
enum vc_code vc_audit(struct vc_db *db, const char *action, const char *resource,
                      const struct vc_actor *who, const char *status, const char *detail,
                      struct vc_error *err) VC_MUST_CHECK;

/* The same for a track: resource "track:<id>". */
enum vc_code vc_audit_track(struct vc_db *db, const char *action, const char *id,
                            const struct vc_actor *who, const char *status,
                            const char *detail, struct vc_error *err) VC_MUST_CHECK;

#endif
