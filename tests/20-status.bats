#!/usr/bin/env bats
# /status, /status/live, /status/ready and the JSON 404/405 answers.

load helpers/common

setup_file() { stack_up; }
teardown_file() { stack_down; }

@test "GET /status answers ok with the documented shape" {
    run api "$VOXCAT_URL/status"
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.status == "ok"'
    echo "$output" | jq -e '.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+")'
    echo "$output" | jq -e '(.uptime_s | type) == "number" and .uptime_s >= 0 and .uptime_s < 3600'
    echo "$output" | jq -e '.db.reachable == true and (.db.latency_ms | type) == "number" and .db.latency_ms > 0'
    echo "$output" | jq -e '.workers.configured == 4 and .workers.alive == 4'
    echo "$output" | jq -e '.workers.pools.speech.configured == 2 and .workers.pools.api.configured == 2'
    echo "$output" | jq -e '.workers.list | length == 4 and (map(.pool) | sort == ["api", "api", "speech", "speech"])'
    echo "$output" | jq -e '(.requests.total | type) == "number" and .requests.total >= 1'
    echo "$output" | jq -e 'has("engines") and has("cache") and .queue.pending == 0 and .queue.processing == 0'
}

@test "request counters come from the whole pool and move with requests" {
    before=$(api "$VOXCAT_URL/status" | jq .requests.total)
    for _ in 1 2 3 4 5 6; do api "$VOXCAT_URL/status/live" >/dev/null; done
    after=$(api "$VOXCAT_URL/status" | jq .requests.total)
    [ "$after" -ge $((before + 7)) ]
}

@test "GET /status/live and /status/ready are 200 with the database up" {
    [ "$(http_status "$VOXCAT_URL/status/live")" = 200 ]
    [ "$(http_status "$VOXCAT_URL/status/ready")" = 200 ]
    run api "$VOXCAT_URL/status/ready"
    echo "$output" | jq -e '.status == "ready"'
}

@test "an unknown path under a route is a JSON 404" {
    run curl -sS -D "$BATS_TEST_TMPDIR/h" "$VOXCAT_URL/status/no/such/thing"
    grep -q '^HTTP/1.1 404' "$BATS_TEST_TMPDIR/h"
    grep -qi '^content-type: application/json' "$BATS_TEST_TMPDIR/h"
    echo "$output" | jq -e '.error.code == "not_found" and (.error.message | length > 0)'
}

@test "a wrong method is a JSON 405 with Allow" {
    run curl -sS -X DELETE -D "$BATS_TEST_TMPDIR/h" "$VOXCAT_URL/status"
    grep -q '^HTTP/1.1 405' "$BATS_TEST_TMPDIR/h"
    grep -qi '^allow: GET, HEAD' "$BATS_TEST_TMPDIR/h"
    echo "$output" | jq -e '.error.code == "method_not_allowed"'
}

@test "every answer carries nginx's request id, and the log line has it too" {
    id=$(curl -sS -D - -o /dev/null "$VOXCAT_URL/status/live" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-request-id"{print $2}')
    [ ${#id} -eq 32 ]
    wait_until 5 grep -q "\"request_id\":\"$id\"" "$STACK_DIR/log/voxcat.log"
    line=$(grep "\"request_id\":\"$id\"" "$STACK_DIR/log/voxcat.log" | tail -n 1)
    echo "$line" | jq -e '.path == "/status/live" and .status == 200 and (.ms | type) == "number" and .pid > 0'
}

@test "HEAD /status has headers and no body" {
    # Straight to the worker: nginx would drop a body on HEAD anyway.
    run python3 "$VOXCAT_SRC_DIR/tests/helpers/fcgi_get.py" "$STACK_DIR/run/voxcat.sock" /status HEAD
    [ "$status" -eq 0 ]
    head=$(printf '%s' "$output" | tr -d '\r' | sed '/^$/q')
    body=$(printf '%s' "$output" | tr -d '\r' | sed '1,/^$/d')
    [[ "$head" == *"Status: 200"* ]]
    [[ "$head" == *"Content-Type: application/json"* ]]
    length=$(printf '%s\n' "$head" | awk -F': ' 'tolower($1) == "content-length" {print $2}')
    [ "$length" -gt 0 ]
    [ -z "$body" ] || { echo "HEAD sent a body: $body"; false; }
    run curl -sS -I "$VOXCAT_URL/status"
    [[ "$output" == *"200 OK"* ]]
}

@test "a malformed query string is a 400, not a crash" {
    [ "$(http_status "$VOXCAT_URL/status?a=%00b")" = 400 ]
    [ "$(http_status "$VOXCAT_URL/status/live")" = 200 ]
}
