# tests/helpers/common.bash - shared set-up for the bats suites: where the
# source and binaries are, and a private stack per test file.

VOXCAT_SRC_DIR=${VOXCAT_SRC_DIR:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
VOXCAT_BIN_DIR=${VOXCAT_BIN_DIR:-$VOXCAT_SRC_DIR/fcgi}
export VOXCAT_SRC_DIR VOXCAT_BIN_DIR
STACK=$VOXCAT_SRC_DIR/tests/stack

# Start a private stack (extra args go to `tests/stack up`) and export its
# env: VOXCAT_URL, PG*, STACK_DIR.
stack_up() {
    STACK_DIR=$(mktemp -d /tmp/vxt.XXXXXX)
    export STACK_DIR
    "$STACK" up "$STACK_DIR" --fast "$@" >/dev/null 3>&-
    set -a
    # shellcheck disable=SC1091
    . "$STACK_DIR/env"
    set +a
}

stack_down() {
    [ -n "${STACK_DIR:-}" ] || return 0
    "$STACK" down "$STACK_DIR" 3>&- || true
    if [ -n "${VOXCAT_KEEP_STACK:-}" ]; then
        echo "# kept $STACK_DIR" >&3
        return 0
    fi
    # A teardown_file fails with its last command, and a process killed
    # after its stop timed out on a slow machine (or its children, told to
    # die with it) may still be writing a log line into the directory
    # while rm walks it: a few tries before that counts as a failure.
    for _ in 1 2 3 4 5; do
        rm -rf "$STACK_DIR" 2>/dev/null && return 0
        sleep 1
    done
    rm -rf "$STACK_DIR"
}

# Start the loopback fake of the Gemini and ElevenLabs APIs (by pid in
# FAKE_DIR) and export FAKE, its base URL; fake_down stops it.
fake_up() {
    export FAKE_DIR=$BATS_FILE_TMPDIR
    python3 "$VOXCAT_SRC_DIR/tests/fake-upstream/server.py" --port 0 --pid-file "$FAKE_DIR/fake.pid" \
        </dev/null >"$FAKE_DIR/fake.out" 2>"$FAKE_DIR/fake.log" 3>&- &
    wait_until 10 grep -q listening "$FAKE_DIR/fake.out"
    FAKE=http://127.0.0.1:$(awk '{print $2}' "$FAKE_DIR/fake.out")
    export FAKE
    # stack_up "${FAKE_ENGINES[@]}" points both remote engines at the fake.
    FAKE_ENGINES=(--env "GEMINI_API_KEY=test-gemini-key" --env "GEMINI_API_BASE=$FAKE"
        --env "ELEVENLABS_API_KEY=test-eleven-key" --env "ELEVENLABS_API_BASE=$FAKE"
        --env "VOXCAT_ELEVENLABS_VOICES=Kore=21m00Tcm4TlvDq8ikWAM,Puck=AZnzlk1XvdvUeBnXmlld")
}

fake_down() {
    [ -f "$FAKE_DIR/fake.pid" ] && kill "$(cat "$FAKE_DIR/fake.pid")" 2>/dev/null || true
}

# The master's pid and its workers' pids.
master_pid() { cat "$STACK_DIR/run/voxcat-fcgi.pid"; }
worker_pids() { pgrep -P "$(master_pid)" | sort -n; }

# SIGHUP the master and wait until the pool is whole again and every
# worker is of a newer generation than before.
reload_pool() {
    local gen
    gen=$(curl -s "$VOXCAT_URL/status/live" >/dev/null
          curl -s -H "Authorization: Bearer $VOXCAT_TOKEN" "$VOXCAT_URL/status" | jq '.workers.list | map(.generation) | max')
    kill -HUP "$(master_pid)"
    wait_until 20 bash -c "curl -s -H 'Authorization: Bearer $VOXCAT_TOKEN' $VOXCAT_URL/status | jq -e '.workers.alive == .workers.configured and (.workers.list | map(.generation) | min) > $gen'"
}

# curl the stack: prints the body, sets $status_code via -w into a file.
api() { curl -sS --max-time 30 "$@"; }

# metric NAME_WITH_LABELS: its value in /status/metrics, 0 when absent.
metric() {
    curl -s "$VOXCAT_URL/status/metrics" | awk -v k="$1" '$1 == k {print $2; found=1} END {if (!found) print 0}'
}

# http_status URL [curl args]: just the status code.
http_status() {
    local url=$1
    shift
    curl -sS -o /dev/null -w '%{http_code}' --max-time 30 "$@" "$url"
}

# Wait up to $1 seconds for a command to succeed.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# header NAME: a header of the last response saved with -D $BATS_TEST_TMPDIR/h
# (the name in any case; the value without its CR).
header() {
    tr -d '\r' <"$BATS_TEST_TMPDIR/h" |
        awk -F': ' -v k="$(printf '%s' "$1" | tr A-Z a-z)" 'tolower($1)==k{print $2}'
}

psql_q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

# db_test NAME N: run tests/db/NAME (TAP, built by make check beside the
# binaries) on this stack's database; it must pass all of its N checks.
db_test() {
    local prog="$VOXCAT_BIN_DIR/../tests/db/$1"
    [ -x "$prog" ] || { echo "$prog is not built"; return 1; }
    run "$prog"
    echo "$output"
    [ "$status" -eq 0 ] || return 1
    [ "$(grep -c '^ok ' <<<"$output")" -eq "$2" ]
}
