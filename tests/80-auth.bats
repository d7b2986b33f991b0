#!/usr/bin/env bats
# Access control: VOXCAT_AUTH modes, token scopes, revocation, daily
# quotas, the audit actor, the bounds of one request, single-flight under
# a short lock wait, CORS, and the token CLI.

bats_require_minimum_version 1.5.0
load helpers/common

setup_file() {
    fake_up
    stack_up --workers 2 "${FAKE_ENGINES[@]}" \
        --env "VOXCAT_HTTP_TIMEOUT_MS=4000" --env "VOXCAT_RETRY_ATTEMPTS=1" \
        --env "VOXCAT_MAX_SEGMENTS=4" --env "VOXCAT_REQUEST_TIMEOUT_MS=3000" \
        --env "VOXCAT_LOCK_WAIT_MS=1000"
    VOXCAT=$VOXCAT_BIN_DIR/voxcat
    export VOXCAT
    # One token per need; the secrets go to files, never to the output.
    for spec in "speaker tts" "remote tts,tts:remote" "writer catalog:write" "reader read"; do
        set -- $spec
        "$VOXCAT" token create "$1" --scopes "$2" 2>/dev/null | tail -n 1 >"$BATS_FILE_TMPDIR/$1.token"
    done
}

teardown_file() {
    stack_down
    fake_down
}

setup() { curl -s -X POST "$FAKE/__control/reset" >/dev/null; }

tok() { cat "$BATS_FILE_TMPDIR/$1.token"; }
script() { curl -s -X POST "$FAKE/__control/script" -H 'Content-Type: application/json' -d "$1" >/dev/null; }
calls() { curl -s "$FAKE/__control/requests" | jq length; }
# req TOKEN|- METHOD PATH [BODY]: status code; body in out, headers in h.
req() {
    local auth=() body=()
    [ "$1" != - ] && auth=(-H "Authorization: Bearer $1")
    [ $# -ge 4 ] && body=(-H 'Content-Type: application/json' --data-binary "$4")
    curl -sS -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' --max-time 30 \
        -X "$2" "${auth[@]}" "${body[@]}" "$VOXCAT_URL$3"
}
error_is() { jq -e --arg c "$1" '.error.code == $c and (.error.message | length > 0)' "$BATS_TEST_TMPDIR/out"; }
some_id() { psql_q -c "SELECT id FROM audio_tracks ORDER BY created_at LIMIT 1"; }
# Set VOXCAT_* lines in the stack's env file and reload the pool.
reconfigure() {
    for kv in "$@"; do
        grep -v "^${kv%%=*}=" "$STACK_DIR/voxcat.env" >"$STACK_DIR/voxcat.env.new"
        echo "$kv" >>"$STACK_DIR/voxcat.env.new"
        mv "$STACK_DIR/voxcat.env.new" "$STACK_DIR/voxcat.env"
    done
    reload_pool
}

@test "writes: every write route without a token is a 401 JSON with WWW-Authenticate" {
    [ "$(req - POST /tts '{"text":"no token"}')" = 401 ]
    error_is unauthorized
    [[ "$(header www-authenticate)" == Bearer* ]]
    [ "$(req - GET '/tts?text=no+token')" = 401 ]
    error_is unauthorized
    [ "$(req - PUT /status/00000000-0000-4000-8000-000000000001 '{"status":"PROCESSING"}')" = 401 ]
    [[ "$(header www-authenticate)" == Bearer* ]]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = 'no token'")" = 0 ]
}

@test "writes: reads and the health probes stay open" {
    for path in /search /search/facets /status /status/metrics /tts/voices /tts/models /status/live /status/ready; do
        [ "$(req - GET "$path")" = 200 ] || { echo "$path: $(cat "$BATS_TEST_TMPDIR/out")"; false; }
    done
}

@test "a token without the scope is a 403 naming it; with the scope the write works" {
    [ "$(req "$(tok reader)" POST /tts '{"text":"reader speaks"}')" = 403 ]
    error_is forbidden
    jq -e '.error.message | contains("\"tts\"")' "$BATS_TEST_TMPDIR/out"
    [ "$(req "$(tok speaker)" POST /tts '{"text":"speaker speaks"}')" = 200 ]
    [ "$(req "$(tok speaker)" GET '/tts?text=speaker+links')" = 200 ]
    id=$(psql_q -c "SELECT id FROM audio_tracks WHERE text = 'speaker speaks'")
    [ "$(req "$(tok speaker)" PUT "/status/$id" '{"status":"PENDING"}')" = 403 ]
    jq -e '.error.message | contains("catalog:write")' "$BATS_TEST_TMPDIR/out"
    [ "$(req "$(tok writer)" PUT "/status/$id" '{"status":"PENDING"}')" = 409 ]   # the token may; COMPLETED may not
    [ "$(req nonsense POST /tts '{"text":"x"}')" = 401 ]
    [ "$(req "vc_$(head -c 43 /dev/zero | tr '\0' a)" POST /tts '{"text":"x"}')" = 401 ]
    run curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Basic $(echo -n a:b | base64)" \
        -H 'Content-Type: application/json' -d '{"text":"x"}' "$VOXCAT_URL/tts"
    [ "$output" = 401 ]
}

@test "a remote model needs tts:remote" {
    [ "$(req "$(tok speaker)" POST /tts '{"text":"paid words","model":"gemini-flash"}')" = 403 ]
    jq -e '.error.message | contains("tts:remote")' "$BATS_TEST_TMPDIR/out"
    [ "$(calls)" = 0 ]
    [ "$(req "$(tok remote)" POST /tts '{"text":"paid words","model":"gemini-flash"}')" = 200 ]
    [ "$(calls)" = 1 ]
}

@test "a token in the query string is ignored" {
    [ "$(req - GET "/tts?text=query+token&token=$(tok speaker)")" = 401 ]
    [ "$(req - GET "/tts?text=query+token&access_token=$(tok speaker)")" = 401 ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = 'query token'")" = 0 ]
}

@test "a revoked token is a 401 on every worker, at once" {
    t=$("$VOXCAT" token create shortlived 2>/dev/null | tail -n 1)
    [ "$(req "$t" POST /tts '{"text":"before revoking"}')" = 200 ]
    run "$VOXCAT" token revoke shortlived
    [ "$status" -eq 0 ]
    for i in 1 2 3 4 5 6 7 8; do
        [ "$(req "$t" POST /tts "{\"text\":\"after revoking $i\"}")" = 401 ] || { echo "request $i got through"; false; }
    done
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text LIKE 'after revoking%'")" = 0 ]
    # Workers remember tokens they checked: a change made by hand in psql
    # reaches them too (the trigger NOTIFYs), before their next request.
    t=$("$VOXCAT" token create byhand 2>/dev/null | tail -n 1)
    for i in 1 2 3 4; do [ "$(req "$t" GET /status/live)" = 200 ]; [ "$(req "$t" POST /tts "{\"text\":\"by hand $i\"}")" = 200 ]; done
    psql_q -c "UPDATE api_tokens SET scopes = '{read}' WHERE name = 'byhand'"
    for i in 1 2 3 4; do
        [ "$(req "$t" POST /tts "{\"text\":\"by hand again $i\"}")" = 403 ] || { echo "request $i kept the old scope"; false; }
    done
    psql_q -c "DELETE FROM api_tokens WHERE name = 'byhand'"
    for i in 1 2 3 4; do
        [ "$(req "$t" GET /search)" = 401 ] || { echo "request $i took a deleted token"; false; }
    done
}

@test "the token never appears in a log line or a response" {
    # A token of its own: another test puts one in a URL on purpose, and
    # nginx may log a URL (voxcat cannot stop a client doing that).
    t=$("$VOXCAT" token create keeper 2>/dev/null | tail -n 1)
    req "$t" POST /tts '{"text":"secret keeping"}' >/dev/null
    req "$t" GET /status >/dev/null
    cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/h" >"$BATS_TEST_TMPDIR/all"
    req "$t" POST /tts '{"text":"x","voice":"Nobody"}' >/dev/null
    cat "$BATS_TEST_TMPDIR/out" >>"$BATS_TEST_TMPDIR/all"
    req "${t}x" POST /tts '{"text":"x"}' >/dev/null
    cat "$BATS_TEST_TMPDIR/out" >>"$BATS_TEST_TMPDIR/all"
    # -e: a token may begin with "-".
    run grep -rF -e "${t#vc_}" "$BATS_TEST_TMPDIR/all" "$STACK_DIR/log"
    [ "$status" -eq 1 ] || { echo "found or unreadable ($status): $output"; false; }
    # The log names the token by its name instead.
    grep '"msg":"request"' "$STACK_DIR/log/voxcat.log" | grep -q '"token":"keeper"'
}

@test "a daily quota of N characters lets N through across workers; the next is a 429 with Retry-After" {
    t=$("$VOXCAT" token create quota --daily-chars 20 2>/dev/null | tail -n 1)
    for w in alpha bravo delta kilos; do      # 4 x 5 characters, spread over both workers
        [ "$(req "$t" POST /tts "{\"text\":\"$w\"}")" = 200 ]
    done
    [ "$(req "$t" POST /tts '{"text":"zulu9"}')" = 429 ]
    error_is quota_exceeded
    ra=$(header retry-after)
    [ "$ra" -ge 1 ] && [ "$ra" -le 86400 ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = 'zulu9'")" = 0 ]
    # A cache hit costs nothing.
    [ "$(req "$t" POST /tts '{"text":"alpha"}')" = 200 ]
    [ "$(header x-cache)" = HIT ]
    [ "$(psql_q -c "SELECT sum(chars) FROM token_usage u JOIN api_tokens a ON a.id = u.token_id WHERE a.name = 'quota'")" = 20 ]
    "$VOXCAT" token list | grep -E '^quota +tts +20 +20 '
    req "$VOXCAT_TOKEN" GET /status >/dev/null
    jq -e '.auth.tokens[] | select(.name == "quota") | .used_today.flite == 20 and .daily_chars == 20' "$BATS_TEST_TMPDIR/out"
}

@test "a synthesis that fails gives its characters back to the day's quota" {
    t=$("$VOXCAT" token create refunds --scopes tts,tts:remote --daily-chars 30 2>/dev/null | tail -n 1)
    script '{"gemini":["server_error","server_error","server_error","server_error"]}'
    [ "$(req "$t" POST /tts '{"text":"twenty letters fail","model":"gemini-flash"}')" = 502 ]
    used="SELECT coalesce(sum(chars), 0) FROM token_usage u JOIN api_tokens a ON a.id = u.token_id
          WHERE a.name = 'refunds'"
    [ "$(psql_q -c "$used")" = 0 ]
    # Had it been kept, 19 + 25 would be past the quota of 30.
    curl -s -X POST "$FAKE/__control/reset" >/dev/null
    [ "$(req "$t" POST /tts '{"text":"twenty-five letters speak","model":"gemini-flash"}')" = 200 ]
    [ "$(psql_q -c "$used")" = 25 ]
}

@test "a refund goes back to the UTC day its charge counted on" {
    # tests/db/test_quota (built by make check beside the binaries) drives
    # vc_auth on this stack's database: a charge says its day, and the
    # refund of a charge taken before midnight lowers that day, not the
    # new one (it used to lower whatever day it was when the synthesis
    # failed).
    db_test test_quota 14
}

@test "the audit actor is the token's name, for PUT and for the queue's transitions" {
    [ "$(req "$(tok speaker)" POST /tts '{"text":"queued for the audit","async":true}')" = 202 ]
    id=$(jq -r .id "$BATS_TEST_TMPDIR/out")
    wait_until 15 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"COMPLETED\"'"
    run psql_q -c "SELECT string_agg(action || ':' || coalesce(status, '') || ':' || actor, ',' ORDER BY id) FROM audit_log WHERE resource = 'track:$id'"
    [ "$output" = "track.create:PENDING:speaker,track.status:PROCESSING:speaker,track.complete:COMPLETED:speaker" ]
    psql_q -c "UPDATE audio_tracks SET status = 'FAILED', error_message = 'test' WHERE id = '$id'"
    [ "$(req "$(tok writer)" PUT "/status/$id" '{"status":"PENDING"}')" = 200 ]
    [ "$(psql_q -c "SELECT actor FROM audit_log WHERE resource = 'track:$id' ORDER BY id DESC LIMIT 1")" = writer ]
}

@test "one request has bounds: turns merge, the segment cap, the deadline" {
    three_turns=$(printf 'Ann: one\\nAnn: two\\nBob: three\\nBob: four\\nAnn: five')
    body="{\"text\":\"$three_turns\",\"model\":\"eleven_multilingual_v2\",\"speakers\":[{\"name\":\"Ann\",\"voice\":\"Kore\"},{\"name\":\"Bob\",\"voice\":\"Puck\"}]}"
    [ "$(req "$(tok remote)" POST /tts "$body")" = 200 ]
    [ "$(calls)" = 3 ]        # consecutive lines of one speaker are one call
    curl -s -X POST "$FAKE/__control/reset" >/dev/null
    many=$(for i in 1 2 3 4 5; do printf 'Ann: a%s\\nBob: b%s\\n' "$i" "$i"; done)
    [ "$(req "$(tok remote)" POST /tts "{\"text\":\"$many\",\"model\":\"eleven_multilingual_v2\",\"speakers\":[{\"name\":\"Ann\",\"voice\":\"Kore\"},{\"name\":\"Bob\",\"voice\":\"Puck\"}]}")" = 400 ]
    jq -e '.error.message | contains("VOXCAT_MAX_SEGMENTS")' "$BATS_TEST_TMPDIR/out"
    [ "$(calls)" = 0 ]
    # Four turns of 1.2 s each against a 3 s deadline: stopped, not finished.
    script '{"elevenlabs":[{"step":"slow","seconds":1.2},{"step":"slow","seconds":1.2},{"step":"slow","seconds":1.2},{"step":"slow","seconds":1.2}]}'
    four=$(printf 'Ann: c1\\nBob: c2\\nAnn: c3\\nBob: c4')
    start=$SECONDS
    code=$(req "$(tok remote)" POST /tts "{\"text\":\"$four\",\"model\":\"eleven_multilingual_v2\",\"speakers\":[{\"name\":\"Ann\",\"voice\":\"Kore\"},{\"name\":\"Bob\",\"voice\":\"Puck\"}]}")
    [ "$code" = 504 ]
    [ $((SECONDS - start)) -le 6 ]
    [ "$(calls)" -le 3 ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text LIKE 'Ann: c1%'")" = 0 ]
}

@test "two identical slow requests, the lock wait shorter than the synthesis: one upstream call, one 503" {
    script '{"gemini":[{"step":"slow","seconds":2.5}]}'
    body='{"text":"only once please","model":"gemini-flash"}'
    for i in 1 2; do
        curl -s -o /dev/null -D "$BATS_TEST_TMPDIR/h$i" -w '%{http_code}\n' -X POST "$VOXCAT_URL/tts" \
            -H "Authorization: Bearer $(tok remote)" -H 'Content-Type: application/json' \
            -d "$body" >"$BATS_TEST_TMPDIR/code$i" &
        sleep 0.2
    done
    wait
    codes=$(cat "$BATS_TEST_TMPDIR/code1" "$BATS_TEST_TMPDIR/code2" | sort | tr '\n' ' ')
    [ "$codes" = "200 503 " ]
    [ "$(calls)" = 1 ]
    grep -qi '^retry-after: [0-9]' "$BATS_TEST_TMPDIR/h2"
    run grep -qi x-voxcat-degraded "$BATS_TEST_TMPDIR/h1" "$BATS_TEST_TMPDIR/h2"
    [ "$status" -ne 0 ]
}

@test "all: reads need the read scope too; the health probes stay open" {
    reconfigure VOXCAT_AUTH=all
    [ "$(req - GET /search)" = 401 ]
    [ "$(req - GET /tts/voices)" = 401 ]
    [ "$(req "$(tok speaker)" GET /search)" = 403 ]
    [ "$(req "$(tok reader)" GET /search)" = 200 ]
    [ "$(req "$(tok reader)" GET "/status/$(some_id)")" = 200 ]
    [ "$(req - GET /status/live)" = 200 ]
    [ "$(req - GET /status/ready)" = 200 ]
    [ "$(req "$(tok reader)" POST /tts '{"text":"reader in all"}')" = 403 ]
    reconfigure VOXCAT_AUTH=writes
    [ "$(req - GET /search)" = 200 ]
}

@test "CORS: no headers unless VOXCAT_CORS_ORIGINS lists the origin" {
    curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null -H 'Origin: https://app.example' "$VOXCAT_URL/search"
    run grep -qi '^access-control-' "$BATS_TEST_TMPDIR/h"
    [ "$status" -ne 0 ]
    reconfigure "VOXCAT_CORS_ORIGINS=https://app.example"
    curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null -H 'Origin: https://app.example' "$VOXCAT_URL/search"
    [ "$(header access-control-allow-origin)" = https://app.example ]
    curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null -H 'Origin: https://evil.example' "$VOXCAT_URL/search"
    [ -z "$(header access-control-allow-origin)" ]
    code=$(curl -s -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' -X OPTIONS \
        -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: POST' "$VOXCAT_URL/tts")
    [ "$code" = 204 ]
    [[ "$(header access-control-allow-headers)" == *Authorization* ]]
    [[ "$(header access-control-allow-methods)" == *POST* ]]
    reconfigure "VOXCAT_CORS_ORIGINS="
}

@test "a bad VOXCAT_AUTH refuses to start, naming the setting" {
    run env VOXCAT_AUTH=maybe "$VOXCAT_BIN_DIR/voxcat-fcgi" --pid-file "$BATS_TEST_TMPDIR/pid"
    [ "$status" -eq 78 ]
    [[ "$output" == *VOXCAT_AUTH* ]]
    run env VOXCAT_AUTH=required "$VOXCAT" check-config
    [ "$status" -eq 78 ]
    [[ "$output" == *VOXCAT_AUTH* ]]
}

@test "token CLI: the secret alone on the last line, once; list shows none; names are unique" {
    run --separate-stderr "$VOXCAT" token create clitest --scopes tts,read --daily-chars 100
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"created with scopes tts,read"* ]]
    [[ "$stderr" != *warning* ]]
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" =~ ^vc_[A-Za-z0-9_-]{43}$ ]]
    secret=${lines[0]}
    [ "$(psql_q -c "SELECT count(*) FROM api_tokens WHERE token_sha256 = encode(sha256('$secret'), 'hex')")" = 1 ]
    [ "$(psql_q -c "SELECT count(*) FROM api_tokens WHERE token_sha256 = '$secret' OR name = '$secret'")" = 0 ]
    run "$VOXCAT" token list
    [ "$status" -eq 0 ]
    [[ "$output" == *clitest* ]]
    [[ "$output" != *"${secret#vc_}"* ]]
    run "$VOXCAT" token create clitest
    [ "$status" -eq 1 ]
    [[ "$output" == *exists* ]]
    run "$VOXCAT" token create other --scopes tts,root
    [ "$status" -eq 1 ]
    [[ "$output" == *'unknown scope "root"'* ]]
    run "$VOXCAT" token create 'bad name'
    [ "$status" -eq 1 ]
    run "$VOXCAT" token create other --daily-chars -5
    [ "$status" -eq 2 ]
    run "$VOXCAT" token revoke nosuch
    [ "$status" -eq 1 ]
    [ "$(psql_q -c "SELECT count(*) FROM api_tokens WHERE name IN ('other', 'bad name')")" = 0 ]
    # Made while nothing asks for tokens: made, and the CLI says it protects nothing yet.
    run --separate-stderr env VOXCAT_AUTH=off "$VOXCAT" token create madeoff
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" =~ ^vc_[A-Za-z0-9_-]{43}$ ]]
    [[ "$stderr" == *"warning: this shell's VOXCAT_AUTH=off"* ]]
}

@test "check-config masks a DSN password in every form" {
    run env VOXCAT_DATABASE_URL='postgresql://u:pw1@h/db?password=pw2' "$VOXCAT" check-config
    [[ "$output" != *pw1* ]] && [[ "$output" != *pw2* ]]
    [[ "$output" == *"@h/db?password=****"* ]]
    run env VOXCAT_DATABASE_URL="host=h password='my secret' dbname=d" "$VOXCAT" check-config
    [[ "$output" != *secret* ]]
    [[ "$output" == *"dbname=d"* ]]
}
