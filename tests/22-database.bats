#!/usr/bin/env bats
# PostgreSQL going away and coming back while voxcat runs.

load helpers/common

setup_file() { stack_up; }
teardown_file() { stack_down; }

@test "PostgreSQL stopped: /status is 200 degraded and /status/ready is 503" {
    api "$VOXCAT_URL/status" | jq -e '.status == "ok"'
    "$STACK" pg-stop "$STACK_DIR"
    pids=$(worker_pids | tr '\n' ' ')
    for _ in 1 2 3 4; do
        run curl -sS -w '\n%{http_code}' "$VOXCAT_URL/status"
        [ "${lines[1]}" = 200 ]
        echo "${lines[0]}" | jq -e '.status == "degraded" and .db.reachable == false'
        echo "${lines[0]}" | jq -e '.db.error | test("unavailable")'
    done
    run curl -sS -D "$BATS_TEST_TMPDIR/h" "$VOXCAT_URL/status/ready"
    grep -q '^HTTP/1.1 503' "$BATS_TEST_TMPDIR/h"
    grep -qi '^retry-after: ' "$BATS_TEST_TMPDIR/h"
    echo "$output" | jq -e '.error.code == "unavailable"'
    # No worker crashed or wedged.
    [ "$(worker_pids | tr '\n' ' ')" = "$pids" ]
    [ "$(http_status "$VOXCAT_URL/status/live")" = 200 ]
}

@test "PostgreSQL started again: /status is ok without restarting voxcat" {
    pids=$(worker_pids | tr '\n' ' ')
    "$STACK" pg-start "$STACK_DIR"
    # Every worker reconnects on its next request; ask enough times to
    # reach them all.
    for _ in 1 2 3 4 5 6; do
        api "$VOXCAT_URL/status" | jq -e '.status == "ok" and .db.reachable == true'
        [ "$(http_status "$VOXCAT_URL/status/ready")" = 200 ]
    done
    [ "$(worker_pids | tr '\n' ' ')" = "$pids" ]
}

@test "a restart under a held connection is survived: the next query reconnects" {
    api "$VOXCAT_URL/status" >/dev/null
    api "$VOXCAT_URL/status" >/dev/null
    # Earlier tests restarted PostgreSQL too: only this restart's lines count.
    seen=$(wc -l <"$STACK_DIR/log/voxcat.log")
    "$STACK" pg-stop "$STACK_DIR"
    "$STACK" pg-start "$STACK_DIR"
    for _ in 1 2 3 4; do
        api "$VOXCAT_URL/status" | jq -e '.status == "ok"'
    done
    tail -n +"$((seen + 1))" "$STACK_DIR/log/voxcat.log" | grep -q "database reconnected"
}

@test "after a restart of PostgreSQL a revoked token is refused at once by every worker" {
    # Workers read revocations (NOTIFY) from their connection's socket as
    # they arrive; a reconnect hands them a new socket, often with the old
    # one's number, which must be watched all the same.
    t=$("$VOXCAT_BIN_DIR/voxcat" token create afterrestart 2>/dev/null | tail -n 1)
    speak() {
        curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -X POST -H "Authorization: Bearer $t" \
            -H 'Content-Type: application/json' --data-binary "{\"text\":\"$1\"}" "$VOXCAT_URL/tts"
    }
    for i in 1 2 3 4 5 6; do [ "$(speak "before the restart $i")" = 200 ]; done
    "$STACK" pg-stop "$STACK_DIR"
    "$STACK" pg-start "$STACK_DIR"
    for i in 1 2 3 4 5 6 7 8; do [ "$(speak "after the restart $i")" = 200 ]; done
    run "$VOXCAT_BIN_DIR/voxcat" token revoke afterrestart
    [ "$status" -eq 0 ]
    for i in 1 2 3 4 5 6 7 8; do
        [ "$(speak "after revoking $i")" = 401 ] || { echo "request $i got through"; false; }
    done
}

@test "pipelines: one transaction each, a lost connection sent again only when allowed" {
    # tests/db/test_pipeline (built by make check beside the binaries)
    # drives vc_db's pipelines on this stack's database: all or nothing, a
    # refusal leaves the connection usable, nothing else runs while one
    # is pending, and a backend ended under it is reconnected and sent
    # again only for steps that may run twice (not a quota charge).
    db_test test_pipeline 16
}

@test "tests/stack --huge-pages gives the cluster huge pages, and down gives them back" {
    before=$(cat /proc/sys/vm/nr_hugepages)
    dir=$(mktemp -d /tmp/vxh.XXXXXX)
    "$STACK" up "$dir" --fast --huge-pages >/dev/null 3>&-
    added=$(cat "$dir/run/hugepages" 2>/dev/null || echo 0)
    during=$(cat /proc/sys/vm/nr_hugepages)
    # In use or reserved by the cluster's shared memory.
    taken=$(awk '/^HugePages_Total/ {t = $2} /^HugePages_Free/ {f = $2} /^HugePages_Rsvd/ {r = $2}
                 END {print t - f + r}' /proc/meminfo)
    "$STACK" down "$dir"
    after=$(cat /proc/sys/vm/nr_hugepages)
    rm -rf "$dir"
    [ "$added" -gt 0 ]
    [ "$during" -eq $((before + added)) ]
    [ "$taken" -gt 0 ]
    [ "$after" -eq "$before" ]
}
