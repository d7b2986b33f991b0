/* handle_metrics.c - GET /status/metrics in the Prometheus text format.
 *
 * Every figure is summed over the whole pool from the shared scoreboard
 * (live slots plus what exited workers left in the header), so any worker
 * answers for all of them and counters never go backwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "scoreboard.h"
#include "vc_engines.h"
#include "worker.h"

struct out {
    char *buf;
    size_t len;
    FILE *f;
};

static void help(FILE *f, const char *name, const char *type, const char *text)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Labels are shared by several route entries (GET and POST /tts): sum
 * each label's rows once, at its first entry. */
static int first_of_label(int r)
{
    for (int k = 0; k < r; k++) {
        if (strcmp(vc_route_label(k), vc_route_label(r)) == 0)
            return 0;
    }
    return 1;
}

static void requests(FILE *f, const struct vc_sb_counters *t)
{
    int nr = vc_route_count();

    help(f, "voxcat_http_requests_total", "counter", "Requests answered, by route and status code.");
    for (int r = 0; r < nr; r++) {
        if (!first_of_label(r))
            continue;
        for (int c = 0; c < VC_SB_CODES; c++) {
            uint64_t n = 0;
            for (int k = r; k < nr; k++) {
                if (strcmp(vc_route_label(k), vc_route_label(r)) == 0)
                    n += t->by_route_code[k][c];
            }
            if (n == 0)
                continue;
            if (vc_sb_codes[c] == 0)
                fprintf(f, "voxcat_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
                        vc_route_label(r), (unsigned long long)n);
            else
                fprintf(f, "voxcat_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                        vc_route_label(r), vc_sb_codes[c], (unsigned long long)n);
        }
    }
}

static void latency(FILE *f, const struct vc_sb_counters *t)
{
    int nr = vc_route_count();

    help(f, "voxcat_http_request_duration_seconds", "histogram",
         "Time from the request reaching a worker to the answer, by route.");
    for (int r = 0; r < nr; r++) {
        uint64_t cum = 0, sum_us = 0;
        if (!first_of_label(r))
            continue;
        for (int k = r; k < nr; k++) {
            if (strcmp(vc_route_label(k), vc_route_label(r)) == 0)
                sum_us += t->latency_sum_us[k];
        }
        for (int b = 0; b < VC_SB_BUCKETS; b++) {
            for (int k = r; k < nr; k++) {
                if (strcmp(vc_route_label(k), vc_route_label(r)) == 0)
                    cum += t->latency[k][b];
            }
            if (b == VC_SB_BUCKETS - 1)
                fprintf(f, "voxcat_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                        vc_route_label(r), (unsigned long long)cum);
            else
                fprintf(f, "voxcat_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                        vc_route_label(r), vc_sb_buckets[b], (unsigned long long)cum);
        }
        fprintf(f, "voxcat_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                vc_route_label(r), sum_us / 1e6);
        fprintf(f, "voxcat_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                vc_route_label(r), (unsigned long long)cum);
    }
}

static void per_engine(FILE *f, const char *name, const char *text, const uint64_t *v)
{
    help(f, name, "counter", text);
    for (int e = 0; e < VC_SB_ENGINES; e++)
        fprintf(f, "%s{engine=\"%s\"} %llu\n", name, vc_engine_at(e)->name, (unsigned long long)v[e]);
}

static void workers(FILE *f, const struct vc_scoreboard *sb)
{
    struct vc_pool_census pools[VC_POOL_COUNT];
    int alive = 0, busy = 0;

    vc_scoreboard_census(sb, pools);
    for (int p = 0; p < VC_POOL_COUNT; p++) {
        alive += pools[p].alive;
        busy += pools[p].busy;
    }
    help(f, "voxcat_workers", "gauge", "Live worker processes.");
    fprintf(f, "voxcat_workers %d\n", alive);
    help(f, "voxcat_workers_busy", "gauge", "Workers serving a request now.");
    fprintf(f, "voxcat_workers_busy %d\n", busy);
    help(f, "voxcat_workers_configured", "gauge", "VOXCAT_WORKERS + VOXCAT_API_WORKERS.");
    fprintf(f, "voxcat_workers_configured %d\n", sb->h.target_workers);
    help(f, "voxcat_pool_workers", "gauge", "Live workers of each pool.");
    for (int p = 0; p < VC_POOL_COUNT; p++)
        fprintf(f, "voxcat_pool_workers{pool=\"%s\"} %d\n", vc_pool_name(p), pools[p].alive);
    help(f, "voxcat_pool_workers_busy", "gauge", "Workers of each pool serving a request now.");
    for (int p = 0; p < VC_POOL_COUNT; p++)
        fprintf(f, "voxcat_pool_workers_busy{pool=\"%s\"} %d\n", vc_pool_name(p), pools[p].busy);
    help(f, "voxcat_pool_workers_configured", "gauge", "Each pool's size.");
    for (int p = 0; p < VC_POOL_COUNT; p++)
        fprintf(f, "voxcat_pool_workers_configured{pool=\"%s\"} %d\n", vc_pool_name(p),
                sb->h.target_pool[p]);
    help(f, "voxcat_worker_spawns_total", "counter", "Workers ever started.");
    fprintf(f, "voxcat_worker_spawns_total %llu\n", (unsigned long long)sb->h.spawned);
    help(f, "voxcat_worker_crashes_total", "counter", "Workers that died by a signal or an error exit.");
    fprintf(f, "voxcat_worker_crashes_total %llu\n", (unsigned long long)sb->h.crashes);
    help(f, "voxcat_worker_recycles_total", "counter", "Workers replaced after VOXCAT_MAX_REQUESTS.");
    fprintf(f, "voxcat_worker_recycles_total %llu\n", (unsigned long long)sb->h.recycled);
    help(f, "voxcat_worker_requests", "gauge", "Requests served by each live worker.");
    for (int i = 0; i < VC_SB_SLOTS; i++) {
        if (sb->slots[i].pid > 0)
            fprintf(f, "voxcat_worker_requests{pid=\"%d\"} %llu\n", (int)sb->slots[i].pid,
                    (unsigned long long)__atomic_load_n(&sb->slots[i].c.requests, __ATOMIC_RELAXED));
    }
}

enum vc_code vc_handle_status_metrics(struct vc_request *req, struct vc_error *err)
{
    const struct vc_scoreboard *sb = req->worker->sb;
    struct vc_sb_counters *t = malloc(sizeof(*t));
    char *text = NULL;
    size_t len = 0;
    FILE *f;

    if (t == NULL)
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    f = open_memstream(&text, &len);
    if (f == NULL) {
        free(t);
        return vc_error_set(err, VC_ERR_INTERNAL, NULL, "out of memory");
    }
    vc_scoreboard_totals(sb, t);
    requests(f, t);
    latency(f, t);
    help(f, "voxcat_cache_hits_total", "counter", "Speech answered from the disk cache or PostgreSQL.");
    fprintf(f, "voxcat_cache_hits_total %llu\n", (unsigned long long)t->cache_hits);
    help(f, "voxcat_cache_misses_total", "counter", "Speech that had to be synthesised.");
    fprintf(f, "voxcat_cache_misses_total %llu\n", (unsigned long long)t->cache_misses);
    per_engine(f, "voxcat_syntheses_total", "Syntheses run, by engine.", t->syntheses);
    per_engine(f, "voxcat_upstream_calls_total", "Remote engine calls, by engine.", t->upstream_calls);
    per_engine(f, "voxcat_upstream_retries_total", "Remote engine retries, by engine.", t->upstream_retries);
    per_engine(f, "voxcat_upstream_errors_total", "Remote engine calls that failed, by engine.", t->upstream_errors);
    per_engine(f, "voxcat_upstream_timeouts_total", "Remote engine calls that ran out of time, by engine.",
               t->upstream_timeouts);
    help(f, "voxcat_db_connects_total", "counter", "PostgreSQL connections opened (reconnects included).");
    fprintf(f, "voxcat_db_connects_total %llu\n", (unsigned long long)t->db_connects);
    help(f, "voxcat_cache_write_errors_total", "counter", "Disk cache writes that failed (full disk, read-only).");
    fprintf(f, "voxcat_cache_write_errors_total %llu\n", (unsigned long long)t->cache_write_errors);
    help(f, "voxcat_fcgi_connections_total", "counter",
         "FastCGI connections accepted from nginx (flat while nginx keeps them alive).");
    fprintf(f, "voxcat_fcgi_connections_total %llu\n", (unsigned long long)t->connections);
    workers(f, sb);
    help(f, "voxcat_start_time_seconds", "gauge", "When the master started, in Unix time.");
    fprintf(f, "voxcat_start_time_seconds %lld\n", (long long)sb->h.start_time);
    fclose(f);
    free(t);
    vc_reply_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", "Cache-Control: no-store\r\n",
                   text, len);
    free(text);
    return VC_OK;
}
