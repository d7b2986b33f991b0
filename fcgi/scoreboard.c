/* scoreboard.c - the shared-memory scoreboard of the worker pool. */
#include "scoreboard.h"

#include <string.h>
#include <sys/mman.h>

const int vc_sb_codes[VC_SB_CODES] = {
    200, 202, 206, 304, 400, 404, 405, 409, 413, 415, 429, 500, 502, 503, 504, 0
};
const double vc_sb_buckets[VC_SB_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 1e300
};

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

struct vc_scoreboard *vc_scoreboard_create(void)
{
    void *p = mmap(NULL, sizeof(struct vc_scoreboard), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    memset(p, 0, sizeof(struct vc_scoreboard));
    return p;
}

int vc_scoreboard_alloc(struct vc_scoreboard *sb)
{
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        if (LOAD(&sb->slots[i].state) == VC_SLOT_FREE && LOAD(&sb->slots[i].pid) == 0) {
            memset(&sb->slots[i].c, 0, sizeof(sb->slots[i].c));
            STORE(&sb->slots[i].state, VC_SLOT_STARTING);
            return i;
        }
    }
    return -1;
}

int vc_scoreboard_find(const struct vc_scoreboard *sb, pid_t pid)
{
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        if (LOAD(&sb->slots[i].pid) == pid)
            return i;
    }
    return -1;
}

static void add_counters(struct vc_sb_counters *to, const struct vc_sb_counters *from)
{
    uint64_t *t = (uint64_t *)to;
    const uint64_t *f = (const uint64_t *)from;

    for (size_t k = 0; k < sizeof(*to) / sizeof(uint64_t); k++)
        ADD(&t[k], LOAD(&f[k]));
}

void vc_scoreboard_release(struct vc_scoreboard *sb, int i)
{
    struct vc_sb_slot *s = &sb->slots[i];

    add_counters(&sb->h.retired, &s->c);
    memset(&s->c, 0, sizeof(s->c));
    STORE(&s->state, VC_SLOT_FREE);
    STORE(&s->pid, 0);
}

void vc_scoreboard_set_state(struct vc_scoreboard *sb, int i, enum vc_slot_state st)
{
    int cur = LOAD(&sb->slots[i].state);

    /* STOPPING is final: a worker the master told to stop that finishes
     * its request must not look idle again, or a shrink would tell one
     * more worker to stop than it meant to. */
    while (cur != VC_SLOT_STOPPING
           && !__atomic_compare_exchange_n(&sb->slots[i].state, &cur, (int)st, 0,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

int vc_scoreboard_state(const struct vc_scoreboard *sb, int i)
{
    return LOAD(&sb->slots[i].state);
}

void vc_scoreboard_count(struct vc_scoreboard *sb, int i, int route, int status, uint64_t us)
{
    struct vc_sb_counters *c = &sb->slots[i].c;
    int cls = status / 100;
    int code = VC_SB_CODES - 1;
    int b = 0;

    if (cls < 0 || cls >= VC_SB_CLASSES)
        cls = 0;
    for (int k = 0; k < VC_SB_CODES - 1; k++) {
        if (vc_sb_codes[k] == status)
            code = k;
    }
    while (b < VC_SB_BUCKETS - 1 && us / 1e6 > vc_sb_buckets[b])
        b++;
    if (route < 0 || route >= VC_SB_ROUTES)
        route = VC_SB_ROUTES - 1;
    ADD(&c->requests, 1);
    ADD(&c->by_class[cls], 1);
    ADD(&c->busy_us, us);
    ADD(&c->by_route_code[route][code], 1);
    ADD(&c->latency[route][b], 1);
    ADD(&c->latency_sum_us[route], us);
}

void vc_scoreboard_totals(const struct vc_scoreboard *sb, struct vc_sb_counters *out)
{
    memset(out, 0, sizeof(*out));
    add_counters(out, &sb->h.retired);
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        if (LOAD(&sb->slots[i].pid) != 0)
            add_counters(out, &sb->slots[i].c);
    }
}

const char *vc_slot_state_name(int state)
{
    switch ((enum vc_slot_state)state) {
    case VC_SLOT_FREE: return "free";
    case VC_SLOT_STARTING: return "starting";
    case VC_SLOT_IDLE: return "idle";
    case VC_SLOT_BUSY: return "busy";
    case VC_SLOT_STOPPING: return "stopping";
    }
    return "unknown";
}

void vc_scoreboard_census(const struct vc_scoreboard *sb, struct vc_pool_census *out)
{
    memset(out, 0, VC_POOL_COUNT * sizeof(*out));
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        const struct vc_sb_slot *s = &sb->slots[i];
        int st = vc_scoreboard_state(sb, i);
        struct vc_pool_census *c = &out[s->pool == VC_POOL_API ? VC_POOL_API : VC_POOL_SPEECH];
        if (LOAD(&s->pid) <= 0)
            continue;
        c->alive++;
        c->busy += st == VC_SLOT_BUSY;
        c->idle += st == VC_SLOT_IDLE;
        c->requests += LOAD(&s->c.requests);
    }
}

const char *vc_pool_name(int pool)
{
    return pool == VC_POOL_API ? "api" : "speech";
}
