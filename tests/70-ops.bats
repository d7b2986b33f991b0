#!/usr/bin/env bats
# Operations: Prometheus metrics aggregated over the pool, the access log.

load helpers/common

setup_file() { stack_up --workers 2 --env VOXCAT_DEFAULT_MODEL=espeak; }
teardown_file() { stack_down; }

@test "/status/metrics is valid Prometheus text (promtool)" {
    curl -s -o /dev/null "$VOXCAT_URL/status"
    run curl -sS -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/m" "$VOXCAT_URL/status/metrics"
    grep -qi '^content-type: text/plain; version=0.0.4' "$BATS_TEST_TMPDIR/h"
    run promtool check metrics <"$BATS_TEST_TMPDIR/m"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    grep -q '^voxcat_http_request_duration_seconds_bucket{route="status",le="0.001"}' "$BATS_TEST_TMPDIR/m"
    grep -q '^voxcat_workers 4$' "$BATS_TEST_TMPDIR/m"    # 2 speech + 2 api
    grep -q '^voxcat_start_time_seconds [0-9]' "$BATS_TEST_TMPDIR/m"
}

@test "counters move with requests, across every worker" {
    before=$(metric 'voxcat_http_requests_total{route="status_live",code="200"}')
    for _ in $(seq 1 10); do curl -s -o /dev/null "$VOXCAT_URL/status/live"; done
    after=$(metric 'voxcat_http_requests_total{route="status_live",code="200"}')
    [ "$after" -eq $((before + 10)) ]
    nf=$(metric 'voxcat_http_requests_total{route="not_found",code="404"}')
    curl -s -o /dev/null "$VOXCAT_URL/status/nothing/here"
    [ "$(metric 'voxcat_http_requests_total{route="not_found",code="404"}')" -eq $((nf + 1)) ]
}

@test "speech moves the cache and synthesis counters" {
    miss=$(metric voxcat_cache_misses_total)
    hit=$(metric voxcat_cache_hits_total)
    syn=$(metric 'voxcat_syntheses_total{engine="espeak"}')
    body="{\"text\":\"metrics $RANDOM $RANDOM\"}"
    curl -s -o /dev/null -H "Authorization: Bearer $VOXCAT_TOKEN" -X POST "$VOXCAT_URL/tts" -H 'Content-Type: application/json' -d "$body"
    curl -s -o /dev/null -H "Authorization: Bearer $VOXCAT_TOKEN" -X POST "$VOXCAT_URL/tts" -H 'Content-Type: application/json' -d "$body"
    [ "$(metric voxcat_cache_misses_total)" -eq $((miss + 1)) ]
    [ "$(metric voxcat_cache_hits_total)" -eq $((hit + 1)) ]
    [ "$(metric 'voxcat_syntheses_total{engine="espeak"}')" -eq $((syn + 1)) ]
}

@test "an async synthesis, done after the answer, moves the synthesis counter too" {
    syn=$(metric 'voxcat_syntheses_total{engine="espeak"}')
    id=$(curl -s -H "Authorization: Bearer $VOXCAT_TOKEN" -X POST "$VOXCAT_URL/tts" -H 'Content-Type: application/json' \
        -d "{\"text\":\"async metrics $RANDOM $RANDOM\",\"async\":true}" | jq -r .id)
    wait_until 20 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"COMPLETED\"'"
    # The worker copies its totals in after the deferred work: soon after.
    for _ in $(seq 1 50); do
        [ "$(metric 'voxcat_syntheses_total{engine="espeak"}')" -eq $((syn + 1)) ] && break
        sleep 0.1
    done
    [ "$(metric 'voxcat_syntheses_total{engine="espeak"}')" -eq $((syn + 1)) ]
}

@test "counters survive a worker's death" {
    for _ in 1 2 3 4; do curl -s -o /dev/null "$VOXCAT_URL/status/live"; done
    total=$(metric 'voxcat_http_requests_total{route="status_live",code="200"}')
    [ "$total" -ge 4 ]
    kill -KILL "$(worker_pids | head -n 1)"
    wait_until 10 bash -c "[ \$(pgrep -P $(master_pid) | wc -l) -eq 4 ]"
    # The dead worker's share is folded into the pool's totals, not lost.
    [ "$(metric 'voxcat_http_requests_total{route="status_live",code="200"}')" -eq "$total" ]
    [ "$(metric voxcat_worker_crashes_total)" -ge 1 ]
}

@test "the access log has one JSON line per request with the documented fields" {
    id=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $VOXCAT_TOKEN" -X POST "$VOXCAT_URL/tts" -H 'Content-Type: application/json' \
        -d '{"text":"access log line"}' | tr -d '\r' | awk -F': ' 'tolower($1)=="x-request-id"{print $2}')
    wait_until 5 grep -q "\"request_id\":\"$id\"" "$STACK_DIR/log/voxcat.log"
    line=$(grep "\"request_id\":\"$id\"" "$STACK_DIR/log/voxcat.log" | grep '"msg":"request"')
    [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ]
    echo "$line" | jq -e '.method == "POST" and .path == "/tts" and .status == 200 and .engine == "espeak"
        and (.cache == "HIT" or .cache == "MISS") and (.track_id | length == 36) and .pid > 0
        and (.ms | type) == "number" and (.bytes | type) == "number"'
}
