#!/usr/bin/env bats
# The disk cache: pruned to a size least recently used first, rebuilt
# from PostgreSQL on demand, and a full disk that still serves audio.

load helpers/common

setup_file() { stack_up --workers 2 --env VOXCAT_DEFAULT_MODEL=espeak; }
teardown_file() {
    # The full-disk test's own pool, by its pid, even when the test failed.
    [ -f "$BATS_FILE_TMPDIR/own/pid" ] && kill -TERM "$(cat "$BATS_FILE_TMPDIR/own/pid")" 2>/dev/null
    stack_down
    mountpoint -q "$BATS_FILE_TMPDIR/full" 2>/dev/null && umount "$BATS_FILE_TMPDIR/full"
    true
}

VOXCAT=${VOXCAT_BIN_DIR:-$VOXCAT_SRC_DIR/fcgi}/voxcat

tts() {
    curl -sS -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' --max-time 30 \
        -X POST "${2:-$VOXCAT_URL}/tts" -H "Authorization: Bearer $VOXCAT_TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$1"
}
file_of() { echo "$STACK_DIR/cache/tts/audio/$(psql_q -c "SELECT cache_key FROM audio_tracks WHERE text = '$1'").wav"; }

@test "voxcat cache prune evicts the least recently used files; they come back from PostgreSQL" {
    for t in "Prune alpha" "Prune bravo" "Prune charlie"; do
        [ "$(tts "{\"text\":\"$t\"}")" = 200 ]
    done
    a=$(file_of "Prune alpha") b=$(file_of "Prune bravo") c=$(file_of "Prune charlie")
    touch -d '1 minute ago' "$a"
    touch -d '3 minutes ago' "$b"
    touch -d '2 minutes ago' "$c"
    total=$(du -cb "$STACK_DIR/cache/tts/audio"/*.wav | tail -n 1 | cut -f1)
    keep=$((total - $(stat -c %s "$b")))
    run env VOXCAT_CACHE_DIR="$STACK_DIR/cache" "$VOXCAT" cache prune --max-bytes "$keep"
    [ "$status" -eq 0 ]
    [[ "$output" == "removed 1 files"* ]]
    [ ! -e "$b" ]
    [ -e "$a" ] && [ -e "$c" ]
    # Nothing is lost: the file is rebuilt from its blob on request.
    code=$(curl -s -o "$BATS_TEST_TMPDIR/back.wav" -w '%{http_code}' "$VOXCAT_URL/tts/audio/$(basename "$b")")
    [ "$code" = 200 ]
    [ -e "$b" ]
    run env VOXCAT_CACHE_DIR="$STACK_DIR/cache" "$VOXCAT" cache prune
    [ "$status" -eq 2 ]       # no size given and none configured
}

@test "a hit through a worker marks the file as used" {
    [ "$(tts '{"text":"Recently used"}')" = 200 ]
    f=$(file_of "Recently used")
    touch -d '10 minutes ago' "$f"
    [ "$(tts '{"text":"Recently used"}')" = 200 ]
    [ "$(header x-cache)" = HIT ]
    [ $(( $(date +%s) - $(stat -c %X "$f") )) -lt 60 ]
}

cache_bytes() { find "$STACK_DIR/cache/tts" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

@test "VOXCAT_CACHE_MAX_BYTES: workers prune on their own, at most every ten seconds each" {
    # Start from an empty cache and a pool that reads the bound.
    VOXCAT_CACHE_DIR="$STACK_DIR/cache" "$VOXCAT" cache prune --max-bytes 1 >/dev/null
    echo "VOXCAT_CACHE_MAX_BYTES=200000" >>"$STACK_DIR/voxcat.env"
    reload_pool
    # The first write of a new worker prunes at once: an answer larger than
    # the whole bound is still sent (it used to be evicted before nginx
    # could send it: a 404).
    long="A single answer larger than the whole bound of the cache, spoken slowly and at length, sentence after sentence, so that its audio alone weighs more than two hundred thousand bytes on the disk."
    [ "$(tts "{\"text\":\"$long\"}")" = 200 ]
    [ "$(stat -c %s "$BATS_TEST_TMPDIR/out")" -gt 200000 ]
    for i in 1 2 3 4 5 6; do
        code=$(tts "{\"text\":\"Bounded cache number $i.\"}")
        [ "$code" = 200 ] || { echo "$code: $(head -c 300 "$BATS_TEST_TMPDIR/out")"; return 1; }
    done
    # Within ten seconds of a worker's first prune (and with files just
    # written spared) the cache may run over.
    over=$(cache_bytes)
    [ "$over" -gt 200000 ] || { echo "six files took only $over bytes: make them longer"; return 1; }
    # A prune spares what was used in the last half minute (nginx may be
    # about to send it): age the six, then write once the gate is open.
    find "$STACK_DIR/cache/tts" -type f -exec touch -d '2 minutes ago' {} +
    sleep 11
    [ "$(tts '{"text":"Bounded cache, after the wait."}')" = 200 ]
    [ "$(cache_bytes)" -le 200000 ] || { echo "still $(cache_bytes) bytes"; return 1; }
    [ -f "$(file_of 'Bounded cache, after the wait.')" ]
    # Back to no bound for the next tests.
    sed -i '/^VOXCAT_CACHE_MAX_BYTES=/d' "$STACK_DIR/voxcat.env"
    kill -HUP "$(master_pid)"
    wait_until 20 grep -q "reload done" "$STACK_DIR/log/voxcat.log"
}

@test "a full disk: audio is served from PostgreSQL by the worker, and /status says the cache is degraded" {
    full=$BATS_FILE_TMPDIR/full
    mkdir -p "$full"
    if ! mount -t tmpfs -o size=64k tmpfs "$full" 2>/dev/null; then
        skip "cannot mount a small tmpfs here (needs root and mount rights)"
    fi
    head -c 60000 /dev/zero >"$full/filler" || true
    # The same PostgreSQL, a worker pool whose cache is the full disk.
    own=$BATS_FILE_TMPDIR/own
    mkdir -p "$own"
    (
        set -a
        . "$STACK_DIR/voxcat.env"
        VOXCAT_LISTEN=127.0.0.1:$((20000 + RANDOM % 5000))
        VOXCAT_API_WORKERS=0
        VOXCAT_CACHE_DIR=$full
        set +a
        echo "$VOXCAT_LISTEN" >"$own/listen"
        exec "$VOXCAT_BIN_DIR/voxcat-fcgi" --pid-file "$own/pid"
    ) </dev/null >"$own/log" 2>&1 3>&- &
    wait_until 10 test -s "$own/pid"
    listen=$(cat "$own/listen")
    fcgi=("$VOXCAT_SRC_DIR/tests/helpers/fcgi_get.py" "$(cat "$own/listen")")
    run python3 "${fcgi[@]}" /tts POST '{"text":"A full disk still speaks"}' -o "$BATS_TEST_TMPDIR/audio"
    python3 "${fcgi[@]}" /status -o "$BATS_TEST_TMPDIR/status.json" >/dev/null
    kill -TERM "$(cat "$own/pid")"
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q 'Status: 200' <<<"$output"
    grep -qi 'X-Voxcat-Cache: unavailable' <<<"$output"
    grep -qi 'Content-Type: audio/wav' <<<"$output"
    [ "$(head -c 4 "$BATS_TEST_TMPDIR/audio")" = RIFF ]
    jq -e '.cache.status == "degraded" and .cache.write_errors >= 1' "$BATS_TEST_TMPDIR/status.json"
    [ "$(psql_q -c "SELECT count(*) FROM audio_blobs b JOIN audio_tracks t USING (cache_key) WHERE t.text = 'A full disk still speaks'")" = 1 ]
}
