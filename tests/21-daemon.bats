#!/usr/bin/env bats
# The prefork master: respawn, graceful reload, recycling, clean shutdown,
# on one pool (VOXCAT_API_WORKERS=0: the pool mechanics alone); the two
# pools are tests/24-pools.bats.

load helpers/common

setup_file() { stack_up --workers 2 --api-workers 0; }
teardown_file() { stack_down; }

# A daemon a test started of its own is stopped whatever the test did.
teardown() {
    if [ -n "${OWN_PID:-}" ] && kill -0 "$OWN_PID" 2>/dev/null; then
        kill -TERM "$OWN_PID"
        wait "$OWN_PID" || true
    fi
}

@test "a worker killed with SIGKILL is replaced and the pool keeps answering" {
    victim=$(worker_pids | head -n 1)
    kill -KILL "$victim"
    wait_until 10 bash -c "[ \$(pgrep -P $(master_pid) | grep -vx $victim | wc -l) -eq 2 ]"
    for _ in $(seq 1 10); do
        [ "$(http_status "$VOXCAT_URL/status/live")" = 200 ]
    done
    api "$VOXCAT_URL/status" | jq -e '.workers.alive == 2 and .workers.crashes >= 1'
    grep -q "worker $victim killed by signal 9" "$STACK_DIR/log/voxcat.log"
}

@test "SIGHUP under a loop of requests fails no request and replaces every worker" {
    old=$(worker_pids | tr '\n' ' ')
    : >"$BATS_TEST_TMPDIR/codes"
    (
        for _ in $(seq 1 400); do
            curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$VOXCAT_URL/status/live"
        done >"$BATS_TEST_TMPDIR/codes"
    ) 3>&- &
    loop=$!
    sleep 0.3
    kill -HUP "$(master_pid)"
    sleep 0.5
    kill -HUP "$(master_pid)"
    wait "$loop"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/codes")" -eq 400 ]
    run grep -vc '^200$' "$BATS_TEST_TMPDIR/codes"
    [ "$output" = 0 ]
    wait_until 15 grep -q "reload done" "$STACK_DIR/log/voxcat.log"
    new=$(worker_pids | tr '\n' ' ')
    for p in $old; do [[ " $new " != *" $p "* ]]; done
}

@test "SIGHUP re-reads the env file: VOXCAT_WORKERS=3 grows the pool" {
    sed -i 's/^VOXCAT_WORKERS=.*/VOXCAT_WORKERS=3/' "$STACK_DIR/voxcat.env"
    kill -HUP "$(master_pid)"
    wait_until 15 bash -c "[ \$(pgrep -P $(master_pid) | wc -l) -eq 3 ]"
    wait_until 10 bash -c "curl -s $VOXCAT_URL/status | jq -e '.workers.configured == 3 and .workers.alive == 3'"
    sed -i 's/^VOXCAT_WORKERS=.*/VOXCAT_WORKERS=2/' "$STACK_DIR/voxcat.env"
    kill -HUP "$(master_pid)"
    # Done when two workers of one generation are left and no other.
    wait_until 15 bash -c "[ \$(pgrep -P $(master_pid) | wc -l) -eq 2 ] && curl -s $VOXCAT_URL/status | jq -e '.workers.alive == 2 and (.workers.list | map(.generation) | unique | length == 1)'"
}

@test "SIGHUP with an invalid env file keeps the running pool" {
    before=$(worker_pids | tr '\n' ' ')
    cp "$STACK_DIR/voxcat.env" "$BATS_TEST_TMPDIR/env.bak"
    echo "VOXCAT_WORKERS=0" >>"$STACK_DIR/voxcat.env"
    kill -HUP "$(master_pid)"
    wait_until 5 grep -q "reload refused" "$STACK_DIR/log/voxcat.log"
    cp "$BATS_TEST_TMPDIR/env.bak" "$STACK_DIR/voxcat.env"
    [ "$(worker_pids | tr '\n' ' ')" = "$before" ]
    [ "$(http_status "$VOXCAT_URL/status/live")" = 200 ]
}

# A daemon of its own, so its exit status can be waited for.
start_own() {
    OWN=$BATS_TEST_TMPDIR/own
    mkdir -p "$OWN"
    (
        set -a
        . "$STACK_DIR/voxcat.env"
        VOXCAT_LISTEN=unix:$OWN/voxcat.sock
        VOXCAT_WORKERS=2
        VOXCAT_API_WORKERS=0
        set +a
        for kv in "$@"; do export "${kv?}"; done
        exec "$VOXCAT_BIN_DIR/voxcat-fcgi" --pid-file "$OWN/pid"
    ) </dev/null >"$OWN/log" 2>&1 3>&- &
    OWN_PID=$!
    wait_until 10 test -S "$OWN/voxcat.sock"
    wait_until 10 pgrep -P "$OWN_PID"
}

# One FastCGI request straight to a daemon socket, without nginx.
fcgi_get() {
    python3 "$VOXCAT_SRC_DIR/tests/helpers/fcgi_get.py" "$1" "$2"
}

@test "SIGTERM: the master exits 0, its workers are gone and the socket is removed" {
    start_own
    run fcgi_get "$OWN/voxcat.sock" /status/live
    [[ "$output" == *'"live"'* ]]
    workers=$(pgrep -P "$OWN_PID" | tr '\n' ' ')
    [ -n "$workers" ]
    kill -TERM "$OWN_PID"
    rc=0
    wait "$OWN_PID" || rc=$?
    [ "$rc" -eq 0 ]
    [ ! -e "$OWN/voxcat.sock" ]
    for p in $workers; do
        run kill -0 "$p"
        [ "$status" -ne 0 ] || { echo "worker $p outlived its master"; false; }
    done
}

@test "VOXCAT_MAX_REQUESTS recycles a worker after that many requests" {
    start_own VOXCAT_MAX_REQUESTS=3 VOXCAT_WORKERS=1
    first=$(pgrep -P "$OWN_PID")
    for _ in 1 2 3 4 5; do
        run fcgi_get "$OWN/voxcat.sock" /status/live
        [[ "$output" == *'"live"'* ]]
    done
    now=$(pgrep -P "$OWN_PID")
    [ "$first" != "$now" ]
    grep -q "recycling after 3 requests" "$OWN/log"
    kill -TERM "$OWN_PID"
    wait "$OWN_PID"
}

@test "a second daemon on a socket in use refuses to start" {
    start_own
    run env VOXCAT_LISTEN="unix:$OWN/voxcat.sock" VOXCAT_API_WORKERS=0 "$VOXCAT_BIN_DIR/voxcat-fcgi"
    [ "$status" -ne 0 ]
    [[ "$output" == *"in use"* ]]
    [ -S "$OWN/voxcat.sock" ]
    kill -TERM "$OWN_PID"
    wait "$OWN_PID"
}

@test "workers segfaulting in a loop: the master survives and backs off, logged" {
    for _ in $(seq 1 4); do
        wait_until 20 bash -c "[ -n \"\$(pgrep -P $(master_pid))\" ]"
        for p in $(worker_pids); do kill -SEGV "$p" 2>/dev/null || true; done
        sleep 0.2
    done
    kill -0 "$(master_pid)"
    # Under AddressSanitizer a SIGSEGV becomes its report and exit status 1.
    grep -Eq "killed by signal 11 \(Segmentation fault\)|worker [0-9]+ exited with status 1" "$STACK_DIR/log/voxcat.log"
    grep -q "worker crashes in a row: next respawn in" "$STACK_DIR/log/voxcat.log"
    # The pool comes back once the crashes stop.
    wait_until 30 bash -c "[ \$(pgrep -P $(master_pid) | wc -l) -eq 2 ]"
    wait_until 15 curl -fs "$VOXCAT_URL/status/live"
}

@test "SIGTERM during a slow request lets it finish, then the master exits 0" {
    start_own VOXCAT_WORKERS=1
    long=$(for i in $(seq 1 100); do printf 'This sentence makes the synthesis take a while. '; done)
    body=$(jq -cn --arg t "$long" '{text: $t}')
    python3 "$VOXCAT_SRC_DIR/tests/helpers/fcgi_get.py" "$OWN/voxcat.sock" /tts POST "$body" \
        -o /dev/null >"$BATS_TEST_TMPDIR/slow" 3>&- &
    client=$!
    # Wait until the worker is busy with it, then ask the master to stop.
    wait_until 10 bash -c "grep -q . /proc/$(pgrep -P "$OWN_PID")/status && [ \$(ps -o stat= -p $(pgrep -P "$OWN_PID") | cut -c1) = R ]" || true
    sleep 0.3
    # The request must still be in hand when the stop arrives.
    kill -0 "$client"
    kill -TERM "$OWN_PID"
    wait "$client"
    grep -q "Status: 200" "$BATS_TEST_TMPDIR/slow"
    rc=0
    wait "$OWN_PID" || rc=$?
    [ "$rc" -eq 0 ]
}
