#!/usr/bin/env bats
# Remote engines against a loopback fake of the Gemini and ElevenLabs APIs:
# wire format, retries, error mapping, budget, and nothing stored on failure.

load helpers/common

setup_file() {
    fake_up
    stack_up --workers 2 "${FAKE_ENGINES[@]}" \
        --env "VOXCAT_HTTP_TIMEOUT_MS=4000" --env "VOXCAT_CONNECT_TIMEOUT_MS=1000" \
        --env "VOXCAT_RETRY_ATTEMPTS=3" --env "VOXCAT_DB_TIMEOUT_MS=2000" --env "VOXCAT_LEASE_S=8"
}

teardown_file() {
    stack_down
    fake_down
}

setup() { curl -s -X POST "$FAKE/__control/reset" >/dev/null; }

script() { curl -s -X POST "$FAKE/__control/script" -H 'Content-Type: application/json' -d "$1" >/dev/null; }
seen() { curl -s "$FAKE/__control/requests"; }
attempts() { seen | jq length; }

tts() {
    curl -sS -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' --max-time 30 \
        -X POST "$VOXCAT_URL/tts" -H "Authorization: Bearer $VOXCAT_TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$1"
}
stored() { psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = '$1'"; }

@test "gemini-flash: the real request shape, a 24 kHz WAV back, a COMPLETED track" {
    [ "$(tts '{"text":"Hello from Gemini","model":"gemini-flash","voice":"Kore","language":"en-US"}')" = 200 ]
    [ "$(soxi -r "$BATS_TEST_TMPDIR/out")" = 24000 ]
    [ "$(soxi -c "$BATS_TEST_TMPDIR/out")" = 1 ]
    run seen
    echo "$output" | jq -e 'length == 1 and .[0].engine == "gemini" and .[0].key_ok == true'
    echo "$output" | jq -e '.[0].path == "/v1beta/models/gemini-2.5-flash-preview-tts:generateContent"'
    echo "$output" | jq -e '.[0].body.contents[0].parts[0].text == "Hello from Gemini"'
    echo "$output" | jq -e '.[0].body.generationConfig.responseModalities == ["AUDIO"]'
    echo "$output" | jq -e '.[0].body.generationConfig.speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName == "Kore"'
    echo "$output" | jq -e '.[0].body.generationConfig.speechConfig.languageCode == "en-US"'
    [ "$(psql_q -c "SELECT status || '/' || model FROM audio_tracks WHERE text = 'Hello from Gemini'")" = "COMPLETED/gemini-flash" ]
}

@test "gemini-pro resolves to the pro model; results are cached like espeak's" {
    [ "$(tts '{"text":"Pro voice","model":"gemini-pro","voice":"Puck"}')" = 200 ]
    seen | jq -e '.[0].path == "/v1beta/models/gemini-2.5-pro-preview-tts:generateContent"'
    [ "$(tts '{"text":"Pro voice","model":"gemini-pro","voice":"Puck"}')" = 200 ]
    [ "$(header x-cache)" = HIT ]
    [ "$(attempts)" = 1 ]
}

@test "gemini two speakers use multiSpeakerVoiceConfig in one call" {
    body='{"text":"Ann: Hi.\nBen: Hello.","model":"gemini-flash","speakers":[{"name":"Ann","voice":"Kore"},{"name":"Ben","voice":"Charon"}]}'
    [ "$(tts "$body")" = 200 ]
    run seen
    echo "$output" | jq -e 'length == 1'
    echo "$output" | jq -e '.[0].body.generationConfig.speechConfig.multiSpeakerVoiceConfig.speakerVoiceConfigs
        == [{"speaker":"Ann","voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Kore"}}},
            {"speaker":"Ben","voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Charon"}}}]'
}

@test "a 200 without audio is retried" {
    script '{"gemini":["no_audio"]}'
    [ "$(tts '{"text":"No audio first","model":"gemini-flash"}')" = 200 ]
    [ "$(attempts)" = 2 ]
}

@test "500 then success is retried" {
    script '{"gemini":["server_error"]}'
    [ "$(tts '{"text":"Server error first","model":"gemini-flash"}')" = 200 ]
    [ "$(attempts)" = 2 ]
}

@test "429 with a short RetryInfo delay waits that long and retries" {
    script '{"gemini":[{"step":"rate_limit","retry_delay":"1s"}]}'
    start=$(date +%s.%N)
    [ "$(tts '{"text":"Rate limited once","model":"gemini-flash"}')" = 200 ]
    end=$(date +%s.%N)
    [ "$(attempts)" = 2 ]
    awk "BEGIN{exit !($end - $start >= 0.9)}"
}

@test "a per-day quota is 429 quota_exceeded with Retry-After, not retried, nothing stored" {
    script '{"gemini":["daily_quota"]}'
    [ "$(tts '{"text":"Daily quota","model":"gemini-flash"}')" = 429 ]
    jq -e '.error.code == "quota_exceeded"' "$BATS_TEST_TMPDIR/out"
    [ "$(header retry-after)" -gt 0 ]
    [ "$(attempts)" = 1 ]
    [ "$(stored 'Daily quota')" = 0 ]
}

@test "a rejected key is 502 upstream_error naming the setting, never the key" {
    script '{"gemini":["unauthorized"]}'
    [ "$(tts '{"text":"Bad key","model":"gemini-flash"}')" = 502 ]
    jq -e '.error.code == "upstream_error" and (.error.message | test("GEMINI_API_KEY"))' "$BATS_TEST_TMPDIR/out"
    run grep -q test-gemini-key "$BATS_TEST_TMPDIR/out"
    [ "$status" -eq 1 ]
    run grep -q test-gemini-key "$STACK_DIR/log/voxcat.log"
    [ "$status" -eq 1 ]
    [ "$(attempts)" = 1 ]
}

@test "Gemini's 400 is our 400 with its message" {
    script '{"gemini":["bad_request"]}'
    [ "$(tts '{"text":"Refused","model":"gemini-flash"}')" = 400 ]
    jq -e '.error.code == "invalid_argument" and (.error.message | test("Invalid request"))' "$BATS_TEST_TMPDIR/out"
    [ "$(attempts)" = 1 ]
}

@test "500 on every attempt is 502 after VOXCAT_RETRY_ATTEMPTS, and nothing is stored" {
    script '{"gemini":["server_error","server_error","server_error","server_error"]}'
    [ "$(tts '{"text":"Always failing","model":"gemini-flash"}')" = 502 ]
    [ "$(attempts)" = 3 ]
    [ "$(stored 'Always failing')" = 0 ]
    run psql_q -c "SELECT count(*) FROM audio_tracks WHERE status = 'COMPLETED' AND cache_key NOT IN (SELECT cache_key FROM audio_blobs)"
    [ "$output" = 0 ]
}

@test "an upstream that hangs is 504 within the budget" {
    script '{"gemini":[{"step":"hang","seconds":20},{"step":"hang","seconds":20},{"step":"hang","seconds":20}]}'
    start=$(date +%s)
    [ "$(tts '{"text":"Hanging","model":"gemini-flash"}')" = 504 ]
    end=$(date +%s)
    jq -e '.error.code == "upstream_timeout"' "$BATS_TEST_TMPDIR/out"
    [ $((end - start)) -le 7 ]
    [ "$(stored 'Hanging')" = 0 ]
}

@test "truncated base64 is not audio: retried, then 502" {
    script '{"gemini":["truncated_base64","truncated_base64","truncated_base64"]}'
    [ "$(tts '{"text":"Truncated","model":"gemini-flash"}')" = 502 ]
    [ "$(attempts)" = 3 ]
}

@test "audio at another rate (mimeType rate=16000) is resampled to 24 kHz" {
    script '{"gemini":["wrong_rate"]}'
    [ "$(tts '{"text":"one two three four five","model":"gemini-flash"}')" = 200 ]
    [ "$(soxi -r "$BATS_TEST_TMPDIR/out")" = 24000 ]
    # 5 words = 0.5 s of audio whatever the rate it came at.
    d=$(soxi -D "$BATS_TEST_TMPDIR/out")
    awk "BEGIN{exit !($d > 0.45 && $d < 0.55)}"
}

@test "ElevenLabs: the voice id from VOXCAT_ELEVENLABS_VOICES, pcm_24000, model_id" {
    [ "$(tts '{"text":"Hello from Eleven","model":"eleven_multilingual_v2","voice":"Kore","language":"de-DE"}')" = 200 ]
    [ "$(soxi -r "$BATS_TEST_TMPDIR/out")" = 24000 ]
    run seen
    echo "$output" | jq -e '.[0].path == "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM" and .[0].query.output_format == ["pcm_24000"]'
    echo "$output" | jq -e '.[0].key_ok and .[0].body.model_id == "eleven_multilingual_v2" and .[0].body.text == "Hello from Eleven" and .[0].body.language_code == "de"'
}

@test "ElevenLabs two speakers: one call per line" {
    body='{"text":"Kim: One.\nLee: Two.","model":"eleven_flash_v2_5","speakers":[{"name":"Kim","voice":"Kore"},{"name":"Lee","voice":"Puck"}]}'
    [ "$(tts "$body")" = 200 ]
    run seen
    echo "$output" | jq -e 'length == 2 and .[0].path == "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM" and .[1].path == "/v1/text-to-speech/AZnzlk1XvdvUeBnXmlld"'
}

@test "ElevenLabs: a voice with no id is a 400 naming the setting" {
    [ "$(tts '{"text":"No id","model":"eleven_multilingual_v2","voice":"Zephyr"}')" = 400 ]
    jq -e '.error.field == "voice" and (.error.message | test("VOXCAT_ELEVENLABS_VOICES"))' "$BATS_TEST_TMPDIR/out"
}

@test "ElevenLabs errors: quota 429 not retried, busy retried, 422 is 400, 5xx then 502" {
    script '{"elevenlabs":["quota_exceeded"]}'
    [ "$(tts '{"text":"Eleven quota","model":"eleven_multilingual_v2"}')" = 429 ]
    [ "$(attempts)" = 1 ]
    curl -s -X POST "$FAKE/__control/reset" >/dev/null
    script '{"elevenlabs":["too_many_concurrent","system_busy"]}'
    [ "$(tts '{"text":"Eleven busy","model":"eleven_multilingual_v2"}')" = 200 ]
    [ "$(attempts)" = 3 ]
    curl -s -X POST "$FAKE/__control/reset" >/dev/null
    script '{"elevenlabs":["unprocessable"]}'
    [ "$(tts '{"text":"Eleven 422","model":"eleven_multilingual_v2"}')" = 400 ]
    curl -s -X POST "$FAKE/__control/reset" >/dev/null
    script '{"elevenlabs":["server_error","server_error","server_error"]}'
    [ "$(tts '{"text":"Eleven 5xx","model":"eleven_multilingual_v2"}')" = 502 ]
    [ "$(attempts)" = 3 ]
    [ "$(stored 'Eleven 5xx')" = 0 ]
}

@test "/tts/models lists the remote models as available with keys set; metrics count the calls" {
    curl -s "$VOXCAT_URL/tts/models" | jq -e '[.models[] | select(.available)] | length == 6'
    curl -s "$VOXCAT_URL/status/metrics" | grep -E '^voxcat_upstream_calls_total\{engine="gemini"\} [1-9]'
    curl -s "$VOXCAT_URL/status/metrics" | grep -E '^voxcat_upstream_retries_total\{engine="gemini"\} [1-9]'
}

@test "async with a failing engine: the track ends FAILED with the reason, no audio" {
    script '{"gemini":["server_error","server_error","server_error"]}'
    [ "$(tts '{"text":"Async failure","model":"gemini-flash","async":true}')" = 202 ]
    id=$(jq -r .id "$BATS_TEST_TMPDIR/out")
    wait_until 15 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"FAILED\"'"
    curl -s "$VOXCAT_URL/status/$id" | jq -e '.error_message | test("Gemini")'
    [ "$(psql_q -c "SELECT count(*) FROM audio_blobs b JOIN audio_tracks t USING (cache_key) WHERE t.id = '$id'")" = 0 ]
    [ "$(http_status "$VOXCAT_URL/tts/$id.wav")" = 404 ]
}

@test "/status shows the pool's upstream counters by engine" {
    curl -s "$VOXCAT_URL/status" | jq -e '.engines.gemini.available == true and .engines.gemini.calls >= 1
        and .engines.gemini.retries >= 1 and .engines.gemini.errors >= 1 and .engines.elevenlabs.calls >= 1
        and (.engines.espeak.syntheses | type) == "number"'
}

@test "a failed queued track retried with PUT PENDING is picked up and made" {
    script '{"gemini":["server_error","server_error","server_error"]}'
    [ "$(tts '{"text":"Retry me later","model":"gemini-flash","async":true}')" = 202 ]
    id=$(jq -r .id "$BATS_TEST_TMPDIR/out")
    wait_until 15 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"FAILED\"'"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VOXCAT_TOKEN" -X PUT "$VOXCAT_URL/status/$id" \
        -H 'Content-Type: application/json' -d '{"status":"PENDING"}')
    [ "$code" = 200 ]
    wait_until 15 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"COMPLETED\" and .retry_count == 1'"
    [ "$(http_status "$VOXCAT_URL/tts/$id.wav")" = 200 ]
}

@test "a worker killed mid-synthesis: after the lease the track goes back to PENDING and is made" {
    script '{"gemini":[{"step":"hang","seconds":30}]}'
    [ "$(tts '{"text":"Outlive a dead worker","model":"gemini-flash","async":true}')" = 202 ]
    id=$(jq -r .id "$BATS_TEST_TMPDIR/out")
    wait_until 10 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"PROCESSING\"'"
    for p in $(worker_pids); do kill -KILL "$p"; done
    wait_until 30 bash -c "curl -s $VOXCAT_URL/status/$id | jq -e '.status == \"COMPLETED\"'"
    [ "$(psql_q -c "SELECT count(*) FROM audit_log WHERE resource = 'track:$id' AND detail->>'why' = 'lease expired'")" = 1 ]
    [ "$(http_status "$VOXCAT_URL/tts/$id.wav")" = 200 ]
}
