#!/usr/bin/env bats
# /tts with the local espeak-ng engine: WAV output, the cache, single-flight,
# validation, and speech without PostgreSQL.

load helpers/common

# This suite is about espeak-ng: it is the model of a request that names none.
setup_file() { stack_up --workers 3 --env VOXCAT_DEFAULT_MODEL=espeak; }
teardown_file() { stack_down; }

# tts JSON [curl args...]: POST /tts, body to $BATS_TEST_TMPDIR/out, headers to .../h
tts() {
    local body=$1
    shift
    curl -sS -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' \
        -X POST "$VOXCAT_URL/tts" -H "Authorization: Bearer $VOXCAT_TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$body" "$@"
}

# A valid 24 kHz mono 16-bit WAV whose header sizes match the file.
check_wav() {
    local f=$1
    [ "$(soxi -r "$f")" = 24000 ]
    [ "$(soxi -c "$f")" = 1 ]
    [ "$(soxi -b "$f")" = 16 ]
    awk "BEGIN{exit !($(soxi -D "$f") > 0.1)}"
    size=$(stat -c %s "$f")
    riff=$(od -An -t u4 -j 4 -N 4 "$f" | tr -d ' ')
    data=$(od -An -t u4 -j 40 -N 4 "$f" | tr -d ' ')
    [ "$riff" -eq $((size - 8)) ]
    [ "$data" -eq $((size - 44)) ]
}

@test "POST /tts returns a 24 kHz mono 16-bit WAV with track id, cache and etag headers" {
    [ "$(tts '{"text":"Hello world","voice":"Kore"}')" = 200 ]
    check_wav "$BATS_TEST_TMPDIR/out"
    [ "$(header content-type)" = audio/wav ]
    [[ "$(header x-track-id)" =~ ^[0-9a-f-]{36}$ ]]
    [ "$(header x-cache)" = MISS ]
    [ -n "$(header etag)" ]
    [ "$(header content-length)" -eq "$(stat -c %s "$BATS_TEST_TMPDIR/out")" ]
}

@test "the second identical request is a HIT with the same ETag and no new synthesis" {
    tts '{"text":"Cache me once","voice":"Puck"}' >/dev/null
    etag=$(header etag)
    id=$(header x-track-id)
    blobs=$(psql_q -c "SELECT count(*) FROM audio_blobs")
    tracks=$(psql_q -c "SELECT count(*) FROM audio_tracks")
    [ "$(tts '{"text":"  Cache   me once ","voice":"Puck"}')" = 200 ]
    [ "$(header x-cache)" = HIT ]
    [ "$(header etag)" = "$etag" ]
    [ "$(header x-track-id)" = "$id" ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_blobs")" = "$blobs" ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks")" = "$tracks" ]
    # The second answer was conditional-GET capable: nginx honours the ETag.
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$VOXCAT_URL/tts/$id.wav")
    [ "$code" = 304 ]
}

@test "the track, blob and audit row are stored together" {
    tts '{"text":"Stored with care","voice":"Leda","title":"Care","artist":"Voxcat"}' >/dev/null
    id=$(header x-track-id)
    run psql_q -c "SELECT status, title, artist, voice, model, sample_rate, channels, format, duration > 0 FROM audio_tracks WHERE id = '$id'"
    [ "$output" = "COMPLETED|Care|Voxcat|Leda|espeak|24000|1|wav|t" ]
    run psql_q -c "SELECT count(*) FROM audio_blobs b JOIN audio_tracks t ON t.cache_key = b.cache_key WHERE t.id = '$id'"
    [ "$output" = 1 ]
    run psql_q -c "SELECT count(*) FROM audit_log WHERE resource = 'track:$id' AND action = 'track.create'"
    [ "$output" = 1 ]
}

@test "Accept: application/json returns the track record" {
    [ "$(tts '{"text":"As JSON please"}' -H 'Accept: application/json')" = 200 ]
    jq -e '.status == "COMPLETED" and .voice == "Kore" and .sample_rate == 24000 and (.audio_url | test("^/tts/audio/[0-9a-f]{64}\\.wav$"))' "$BATS_TEST_TMPDIR/out"
    [ "$(header content-type)" = application/json ]
}

@test "every public voice speaks, and each voice sounds different" {
    voices=$(curl -s "$VOXCAT_URL/tts/voices" | jq -r '.voices[].name')
    [ "$(echo "$voices" | wc -l)" -eq 30 ]
    for v in $voices; do
        [ "$(tts "{\"text\":\"Testing the voice\",\"voice\":\"$v\"}")" = 200 ]
        check_wav "$BATS_TEST_TMPDIR/out"
        md5sum <"$BATS_TEST_TMPDIR/out" | cut -c1-32 >>"$BATS_TEST_TMPDIR/sums"
    done
    [ "$(sort -u "$BATS_TEST_TMPDIR/sums" | wc -l)" -eq 30 ]
}

@test "every public language speaks" {
    langs=$(curl -s "$VOXCAT_URL/tts/languages" | jq -r '.languages[].name')
    [ "$(echo "$langs" | wc -l)" -eq 24 ]
    for l in $langs; do
        [ "$(tts "{\"text\":\"12 34 56\",\"language\":\"$l\"}")" = 200 ]
        check_wav "$BATS_TEST_TMPDIR/out"
    done
}

@test "GET /tts?text=... works for links" {
    code=$(curl -s -o "$BATS_TEST_TMPDIR/g.wav" -w '%{http_code}' -H "Authorization: Bearer $VOXCAT_TOKEN" "$VOXCAT_URL/tts?text=Hello+from+a+link&voice=Charon&speed=1.5")
    [ "$code" = 200 ]
    check_wav "$BATS_TEST_TMPDIR/g.wav"
}

@test "speed changes the duration" {
    tts '{"text":"One two three four five six","speed":0.5}' >/dev/null
    slow=$(soxi -D "$BATS_TEST_TMPDIR/out")
    tts '{"text":"One two three four five six","speed":2.0}' >/dev/null
    fast=$(soxi -D "$BATS_TEST_TMPDIR/out")
    awk "BEGIN{exit !($slow > $fast * 1.5)}"
}

@test "two speakers: each line in its voice, longer than one speaker alone" {
    body='{"text":"Alice: Hello Bob.\nBob: Hello Alice.","speakers":[{"name":"Alice","voice":"Kore"},{"name":"Bob","voice":"Charon"}]}'
    [ "$(tts "$body")" = 200 ]
    check_wav "$BATS_TEST_TMPDIR/out"
    both=$(soxi -D "$BATS_TEST_TMPDIR/out")
    tts '{"text":"Hello Bob.","voice":"Kore"}' >/dev/null
    one=$(soxi -D "$BATS_TEST_TMPDIR/out")
    awk "BEGIN{exit !($both > $one * 1.5)}"
}

@test "8 concurrent identical requests create exactly one track and one blob" {
    body='{"text":"Eight at once, one synthesis","voice":"Fenrir"}'
    for i in $(seq 1 8); do
        curl -s -o "$BATS_TEST_TMPDIR/c$i.wav" -w '%{http_code}\n' -X POST "$VOXCAT_URL/tts" \
            -H "Authorization: Bearer $VOXCAT_TOKEN" -H 'Content-Type: application/json' \
            -d "$body" >"$BATS_TEST_TMPDIR/code$i" &
    done
    wait
    for i in $(seq 1 8); do
        [ "$(cat "$BATS_TEST_TMPDIR/code$i")" = 200 ]
        cmp "$BATS_TEST_TMPDIR/c1.wav" "$BATS_TEST_TMPDIR/c$i.wav"
    done
    run psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = 'Eight at once, one synthesis'"
    [ "$output" = 1 ]
    run psql_q -c "SELECT count(*) FROM audio_blobs b JOIN audio_tracks t USING (cache_key) WHERE t.text = 'Eight at once, one synthesis'"
    [ "$output" = 1 ]
}

@test "a store the database refuses keeps no blob, track, audit row, file or charge" {
    # Blob, track and audit row go to PostgreSQL in one pipelined
    # transaction while the file is written; a refusal of the track (the
    # blob's statement has run by then) must undo all of it.
    psql_q -c "CREATE FUNCTION refuse_track() RETURNS trigger LANGUAGE plpgsql AS
               \$\$ BEGIN RAISE EXCEPTION 'refused by the test'; END \$\$" \
           -c "CREATE TRIGGER refuse_track BEFORE INSERT ON audio_tracks FOR EACH ROW
               WHEN (NEW.text LIKE 'Refuse this%') EXECUTE FUNCTION refuse_track()"
    blobs=$(psql_q -c "SELECT count(*) FROM audio_blobs")
    audits=$(psql_q -c "SELECT count(*) FROM audit_log")
    files=$(find "$STACK_DIR/cache" -type f | wc -l)
    used="SELECT coalesce(sum(u.chars), 0) FROM token_usage u JOIN api_tokens a ON a.id = u.token_id
          WHERE a.token_sha256 = encode(sha256('$VOXCAT_TOKEN'), 'hex')"
    chars=$(psql_q -c "$used")
    for i in 1 2 3; do
        [ "$(tts '{"text":"Refuse this track"}')" = 500 ]
        jq -e '.error.code == "internal"' "$BATS_TEST_TMPDIR/out"
    done
    [ "$(psql_q -c "SELECT count(*) FROM audio_blobs")" = "$blobs" ]
    [ "$(psql_q -c "SELECT count(*) FROM audit_log")" = "$audits" ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text LIKE 'Refuse this%'")" = 0 ]
    [ "$(find "$STACK_DIR/cache" -type f | wc -l)" = "$files" ]
    [ "$(psql_q -c "$used")" = "$chars" ]           # the caller got no audio: no charge
    # The workers' connections go on: once allowed, the same text is stored.
    psql_q -c "DROP TRIGGER refuse_track ON audio_tracks" -c "DROP FUNCTION refuse_track()"
    [ "$(tts '{"text":"Refuse this track"}')" = 200 ]
    [ "$(header x-cache)" = MISS ]
    check_wav "$BATS_TEST_TMPDIR/out"
    [ "$(psql_q -c "$used")" = "$((chars + 17))" ]
    key=$(psql_q -c "SELECT cache_key FROM audio_tracks WHERE text = 'Refuse this track'")
    [ "$(psql_q -c "SELECT count(*) FROM audio_blobs WHERE cache_key = '$key'")" = 1 ]
    [ -f "$STACK_DIR/cache/tts/audio/$key.wav" ]
}

@test "the cache directory wiped: audio is still served and the file recreated" {
    tts '{"text":"Survive the wipe"}' >/dev/null
    id=$(header x-track-id)
    cp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/before.wav"
    key=$(psql_q -c "SELECT cache_key FROM audio_tracks WHERE id = '$id'")
    rm -rf "$STACK_DIR/cache/tts"
    [ "$(tts '{"text":"Survive the wipe"}')" = 200 ]
    [ "$(header x-cache)" = HIT ]
    cmp "$BATS_TEST_TMPDIR/before.wav" "$BATS_TEST_TMPDIR/out"
    [ -f "$STACK_DIR/cache/tts/audio/$key.wav" ]
    rm -rf "$STACK_DIR/cache/tts"
    code=$(curl -s -o "$BATS_TEST_TMPDIR/byid.wav" -w '%{http_code}' "$VOXCAT_URL/tts/$id.wav")
    [ "$code" = 200 ]
    cmp "$BATS_TEST_TMPDIR/before.wav" "$BATS_TEST_TMPDIR/byid.wav"
    rm -rf "$STACK_DIR/cache/tts"
    run curl -s -D - -o "$BATS_TEST_TMPDIR/bykey.wav" "$VOXCAT_URL/tts/audio/$key.wav"
    [[ "$output" == *"200 OK"* ]]
    [[ "$output" == *"immutable"* ]]
    cmp "$BATS_TEST_TMPDIR/before.wav" "$BATS_TEST_TMPDIR/bykey.wav"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-43' "$VOXCAT_URL/tts/audio/$key.wav")
    [ "$code" = 206 ]
}

# Every request any worker answered, from the metrics (which a worker
# answers, so each reading counts itself: one per reading).
answered() {
    curl -s "$VOXCAT_URL/status/metrics" |
        awk '$1 ~ /^voxcat_http_requests_total[{]/ { s += $2 } END { print s + 0 }'
}

@test "audio_url is content-addressed and nginx serves it without a worker; old /tts/{id}.wav links still work" {
    tts '{"text":"Served by nginx alone"}' >/dev/null
    id=$(header x-track-id)
    url=$(api "$VOXCAT_URL/search/$id" | jq -r '.audio_url')
    [[ "$url" =~ ^/tts/audio/[0-9a-f]{64}\.wav$ ]]
    [ "$(header content-location)" = "$url" ]
    before=$(answered)
    for i in $(seq 20); do
        [ "$(curl -s -o "$BATS_TEST_TMPDIR/a.wav" -w '%{http_code}' "$VOXCAT_URL$url")" = 200 ]
    done
    after=$(answered)
    # Only the second metrics reading itself.
    [ $((after - before)) -eq 1 ] || { echo "workers answered $((after - before - 1)) audio fetches"; false; }
    cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/a.wav"
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$VOXCAT_URL/tts/$id.wav")" = 200 ]
    [ $(($(answered) - after)) -eq 2 ]
}

@test "unknown audio: 404 JSON for a track id, a bad id is 400" {
    [ "$(http_status "$VOXCAT_URL/tts/00000000-0000-0000-0000-000000000000.wav")" = 404 ]
    [ "$(http_status "$VOXCAT_URL/tts/not-a-uuid.wav")" = 400 ]
    [ "$(http_status "$VOXCAT_URL/tts/audio/$(printf '%064d' 0).wav")" = 404 ]
}

# bad JSON-BODY STATUS FIELD: each answer is the right 4xx with the field named
bad() {
    run curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $VOXCAT_TOKEN" -X POST "$VOXCAT_URL/tts" -H 'Content-Type: application/json' --data-binary "$1"
    [ "${lines[-1]}" = "$2" ] || { echo "got ${lines[-1]} for $1: $output"; return 1; }
    echo "${lines[0]}" | jq -e --arg f "$3" '.error.field == $f and (.error.message | length > 0)'
}

@test "bad input is a clear 4xx naming the field, and stores nothing" {
    before=$(psql_q -c "SELECT (SELECT count(*) FROM audio_tracks) || '/' || (SELECT count(*) FROM audio_blobs)")
    bad '{}' 400 text
    bad '{"text":""}' 400 text
    bad '{"text":"   \n\t "}' 400 text
    bad '{"text":42}' 400 text
    bad '{"text":"hi","voice":"Bob"}' 400 voice
    bad '{"text":"hi","language":"xx-XX"}' 400 language
    bad '{"text":"hi","model":"no-such-model"}' 400 model
    bad '{"text":"hi","model":"gemini-flash"}' 400 model
    bad '{"text":"hi","speed":3}' 400 speed
    bad '{"text":"hi","speed":"fast"}' 400 speed
    bad '{"text":"hi","colour":"red"}' 400 colour
    bad '{"text":"A: hi","speakers":[{"name":"A","voice":"Kore"},{"name":"B","voice":"Puck"},{"name":"C","voice":"Leda"}]}' 400 speakers
    bad '{"text":"A: hi","speakers":[{"name":"Zed","voice":"Kore"}]}' 400 speakers
    bad '{"text":"A: hi","speakers":[{"name":"A","voice":"Nobody"}]}' 400 speakers
    bad '{"text":"hi", ' 400 body
    bad '[1,2]' 400 body
    bad "$(printf '{"text":"bad \xff\xfe utf8"}')" 400 body
    long=$(head -c 6000 /dev/zero | tr '\0' 'a')
    bad "{\"text\":\"$long\"}" 413 text
    run curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $VOXCAT_TOKEN" -X POST "$VOXCAT_URL/tts" -H 'Content-Type: text/plain' -d 'hello'
    [ "${lines[-1]}" = 415 ]
    run curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $VOXCAT_TOKEN" "$VOXCAT_URL/tts?text=%FF%FE"
    [ "${lines[-1]}" = 400 ]
    run curl -sS -w '\n%{http_code}' -X DELETE "$VOXCAT_URL/tts"
    [ "${lines[-1]}" = 405 ]
    after=$(psql_q -c "SELECT (SELECT count(*) FROM audio_tracks) || '/' || (SELECT count(*) FROM audio_blobs)")
    [ "$before" = "$after" ]
    # No worker died on any of it.
    api "$VOXCAT_URL/status" | jq -e '.workers.crashes == 0'
}

@test "voices, languages and models are listed; remote models say what is missing" {
    curl -s "$VOXCAT_URL/tts/voices" | jq -e '[.voices[].name] | index("Zephyr") != null and index("Sulafat") != null'
    curl -s "$VOXCAT_URL/tts/languages" | jq -e '[.languages[].name] | index("en-US") != null and index("te-IN") != null'
    run curl -s "$VOXCAT_URL/tts/models"
    echo "$output" | jq -e '.models[] | select(.name == "espeak") | .available == true'
    echo "$output" | jq -e '.models[] | select(.name == "gemini-flash") | .available == false and (.reason | test("GEMINI_API_KEY"))'
    echo "$output" | jq -e '.models[] | select(.name == "eleven_multilingual_v2") | .available == false and (.reason | test("ELEVENLABS_API_KEY"))'
}

@test "PostgreSQL stopped: espeak still speaks, marked degraded, without a track id" {
    "$STACK" pg-stop "$STACK_DIR"
    code=$(tts '{"text":"Speaking without a database","voice":"Orus"}')
    "$STACK" pg-start "$STACK_DIR"
    [ "$code" = 200 ]
    check_wav "$BATS_TEST_TMPDIR/out"
    [ "$(header x-voxcat-degraded)" = db ]
    [ -z "$(header x-track-id)" ]
    grep -q "speech without the database" "$STACK_DIR/log/voxcat.log"
    # With the database back, the same request records the track.
    [ "$(tts '{"text":"Speaking without a database","voice":"Orus"}')" = 200 ]
    [ "$(header x-cache)" = HIT ]
    [[ "$(header x-track-id)" =~ ^[0-9a-f-]{36}$ ]]
}

@test "async for audio made while PostgreSQL was away: the blob is stored and the track completes" {
    "$STACK" pg-stop "$STACK_DIR"
    code=$(tts '{"text":"Only on disk at first","voice":"Leda"}')
    "$STACK" pg-start "$STACK_DIR"
    [ "$code" = 200 ]
    [ "$(header x-voxcat-degraded)" = db ]
    [ "$(tts '{"text":"Only on disk at first","voice":"Leda","async":true}')" = 202 ]
    id=$(jq -r .id "$BATS_TEST_TMPDIR/out")
    wait_until 15 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"COMPLETED\"'"
    [ "$(psql_q -c "SELECT count(*) FROM audio_blobs b JOIN audio_tracks t USING (cache_key) WHERE t.id = '$id'")" = 1 ]
    # and it stays COMPLETED: no lease loop back to PENDING
    sleep 1
    [ "$(psql_q -c "SELECT status FROM audio_tracks WHERE id = '$id'")" = COMPLETED ]
}

@test "the disk cache writes outside the served tree; what a crash left there is swept at start" {
    mkdir -p "$STACK_DIR/cache/tmp"
    echo partial >"$STACK_DIR/cache/tmp/$(printf 'ab%.0s' $(seq 32)).wav.99999"
    "$STACK" fcgi-stop "$STACK_DIR"
    "$STACK" fcgi-start "$STACK_DIR"
    [ -z "$(ls -A "$STACK_DIR/cache/tmp")" ]
    [ "$(tts '{"text":"Written whole, then renamed","voice":"Puck"}')" = 200 ]
    [ -z "$(ls -A "$STACK_DIR/cache/tmp")" ]
    key=$(psql_q -c "SELECT cache_key FROM audio_tracks WHERE text = 'Written whole, then renamed'")
    cmp "$BATS_TEST_TMPDIR/out" "$STACK_DIR/cache/tts/audio/$key.wav"
    run ls "$STACK_DIR/cache/tts/audio" 
    [[ "$output" != *tmp* ]]
}

# Recall of the expected words among those pocketsphinx heard (0-100).
recall() {
    python3 - "$1" "$2" <<'PY'
import sys
from collections import Counter
want, got = Counter(sys.argv[1].split()), Counter(sys.argv[2].split())
print(int(100 * sum((want & got).values()) / sum(want.values())))
PY
}

@test "intelligibility: pocketsphinx recognises most words spoken by /tts" {
    said="" all=""
    for sentence in "one two three four five six seven eight nine ten" \
                    "hello world good morning" "red green blue yellow black white"; do
        [ "$(tts "{\"text\":\"$sentence\",\"voice\":\"Kore\",\"language\":\"en-US\"}")" = 200 ]
        sox -R "$BATS_TEST_TMPDIR/out" -r 16000 "$BATS_TEST_TMPDIR/16k.wav"
        heard=$(pocketsphinx_continuous -infile "$BATS_TEST_TMPDIR/16k.wav" \
            -jsgf "$VOXCAT_SRC_DIR/tests/helpers/words.gram" -logfn /dev/null 2>/dev/null)
        echo "# '$sentence' heard as '$heard' ($(recall "$sentence" "$heard")%)" >&3
        said="$said $sentence"
        all="$all $heard"
    done
    # Most of the words overall: one short phrase may come out mangled.
    [ "$(recall "$said" "$all")" -ge 60 ]
}

@test "async: 202 with a PENDING track and a Location, then COMPLETED with audio" {
    code=$(tts '{"text":"Make this one later","async":true}' -H 'Accept: application/json')
    [ "$code" = 202 ]
    jq -e '.status == "PENDING" and (.id | length) == 36' "$BATS_TEST_TMPDIR/out"
    id=$(jq -r .id "$BATS_TEST_TMPDIR/out")
    [ "$(header location)" = "/status/$id" ]
    wait_until 15 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"COMPLETED\"'"
    code=$(curl -s -o "$BATS_TEST_TMPDIR/later.wav" -w '%{http_code}' "$VOXCAT_URL/tts/$id.wav")
    [ "$code" = 200 ]
    check_wav "$BATS_TEST_TMPDIR/later.wav"
    [ "$(psql_q -c "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE resource = 'track:$id'")" = "track.create,track.status,track.complete" ]
    # Asking again finds the same track and queues nothing new.
    [ "$(tts '{"text":"Make this one later","async":true}')" = 202 ]
    [ "$(jq -r .id "$BATS_TEST_TMPDIR/out")" = "$id" ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = 'Make this one later'")" = 1 ]
}
