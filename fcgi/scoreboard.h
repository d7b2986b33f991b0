/* scoreboard.h - the shared-memory scoreboard of the worker pool.
 *
 * One anonymous shared mapping made by the master before the first fork:
 * a header plus one slot per worker. The master assigns and frees slots;
 * a worker writes only its own slot, with relaxed atomics, so any worker can
 * read the whole pool for /status and /status/metrics without a lock. When a
 * worker exits the master folds its counters into the header, so totals never
 * go backwards. */
#ifndef VC_SCOREBOARD_H
#define VC_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "vc_config.h"
#include "vc_engine.h"

#define VC_SB_SLOTS 256     /* > 2 x max workers: room for a rolling reload */
#define VC_SB_CLASSES 6     /* status classes 0xx (unused) .. 5xx */
#define VC_SB_ROUTES 40     /* route table entries + pseudo-routes */
#define VC_SB_CODES 16      /* see vc_sb_codes[] */
#define VC_SB_BUCKETS 14    /* latency buckets, see vc_sb_buckets[] */
#define VC_SB_ENGINES VC_ENGINE_COUNT

/* The status codes counted one by one; the last slot is "other". */
extern const int vc_sb_codes[VC_SB_CODES];
/* Upper bounds of the latency buckets in seconds; the last is +Inf. */
extern const double vc_sb_buckets[VC_SB_BUCKETS];

enum vc_slot_state {
    VC_SLOT_FREE = 0,
    VC_SLOT_STARTING,       /* forked, initialising */
    VC_SLOT_IDLE,           /* waiting for a request */
    VC_SLOT_BUSY,           /* serving a request */
    VC_SLOT_STOPPING        /* told to finish and exit */
};

/* Every member is a uint64_t counter: totals are summed as an array. */
struct vc_sb_counters {
    uint64_t requests;
    uint64_t by_class[VC_SB_CLASSES];
    uint64_t busy_us;       /* time spent serving */
    uint64_t by_route_code[VC_SB_ROUTES][VC_SB_CODES];
    uint64_t latency[VC_SB_ROUTES][VC_SB_BUCKETS];  /* not cumulative */
    uint64_t latency_sum_us[VC_SB_ROUTES];
    uint64_t cache_hits, cache_misses;
    uint64_t syntheses[VC_SB_ENGINES];
    /* Per-process totals the worker copies in (not adds) after each
     * request: they come from the library's own counters. */
    uint64_t upstream_calls[VC_SB_ENGINES];
    uint64_t upstream_retries[VC_SB_ENGINES];
    uint64_t upstream_errors[VC_SB_ENGINES];
    uint64_t upstream_timeouts[VC_SB_ENGINES];
    uint64_t db_connects;
    uint64_t cache_write_errors;
    uint64_t connections;   /* FastCGI connections accepted */
};

struct vc_sb_slot {
    pid_t pid;
    int state;              /* enum vc_slot_state */
    int pool;               /* enum vc_pool: set by the master before fork */
    unsigned generation;    /* config generation the worker runs */
    time_t started_at;
    struct vc_sb_counters c;
};

struct vc_sb_header {
    time_t start_time;
    unsigned generation;
    int target_workers;     /* every pool's */
    int target_pool[VC_POOL_COUNT];
    uint64_t spawned;       /* workers ever forked */
    uint64_t crashes;       /* exits by signal or non-zero status */
    uint64_t recycled;      /* exits after VOXCAT_MAX_REQUESTS */
    struct vc_sb_counters retired;
};

struct vc_scoreboard {
    struct vc_sb_header h;
    struct vc_sb_slot slots[VC_SB_SLOTS];
};

/* Map a new zeroed scoreboard shared with future children; NULL on failure
 * (errno set). Lives until the process exits. */
struct vc_scoreboard *vc_scoreboard_create(void);

/* A free slot index, or -1 when all are taken. Master only. */
int vc_scoreboard_alloc(struct vc_scoreboard *sb);

/* Index of the slot held by pid, or -1. */
int vc_scoreboard_find(const struct vc_scoreboard *sb, pid_t pid);

/* Fold slot i's counters into the header and free it. Master only. */
void vc_scoreboard_release(struct vc_scoreboard *sb, int i);

/* Worker side: set own state; count one finished request of route
 * (index from vc_route_index) that took us microseconds. */
void vc_scoreboard_set_state(struct vc_scoreboard *sb, int i, enum vc_slot_state st);
/* (A slot that is STOPPING stays so until the master frees it.) */
void vc_scoreboard_count(struct vc_scoreboard *sb, int i, int route, int status, uint64_t us);

/* Read a slot's state atomically. */
int vc_scoreboard_state(const struct vc_scoreboard *sb, int i);

/* Live workers of one pool, by state, and what they have served. */
struct vc_pool_census {
    int alive, busy, idle;
    uint64_t requests;
};

/* The census of each pool, from every live slot (out[VC_POOL_COUNT]). */
void vc_scoreboard_census(const struct vc_scoreboard *sb, struct vc_pool_census *out);

/* Totals over the header and every live slot. */
void vc_scoreboard_totals(const struct vc_scoreboard *sb, struct vc_sb_counters *out);

const char *vc_slot_state_name(int state);

/* "speech" or "api". */
const char *vc_pool_name(int pool);

#endif
