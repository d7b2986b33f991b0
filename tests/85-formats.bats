#!/usr/bin/env bats
# Audio formats and the OpenAI-compatible speech API on the real stack:
# every format decoded by FFmpeg, content-addressed files with their own
# extension and type, streaming that starts before the synthesis ends,
# server-sent events, OpenAI's errors, and intelligibility through MP3.

load helpers/common

setup_file() {
    fake_up
    stack_up --workers 2 --env "GEMINI_API_KEY=test-gemini-key" --env "GEMINI_API_BASE=$FAKE"
}

teardown_file() {
    stack_down
    fake_down
}

setup() { curl -s -X POST "$FAKE/__control/reset" >/dev/null; }

# speech JSON [curl args]: POST /tts/v1/audio/speech; body to out, headers to h.
speech() {
    local body=$1
    shift
    curl -sS -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' --max-time 60 \
        -X POST "$VOXCAT_URL/tts/v1/audio/speech" -H "Authorization: Bearer $VOXCAT_TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$body" "$@"
}
probe() { ffprobe -v error -show_entries "stream=$2" -of default=nw=1:nk=1 "$1"; }
# Seconds of audio, decoded to the end (a stream's header may not say).
seconds() { ffmpeg -v error -i "$1" -f s16le -ac 1 -ar 24000 - | wc -c | awk '{printf "%.2f", $1 / 48000}'; }

@test "OpenAI's speech route: each of the six formats decodes as what it says" {
    body='{"model":"tts-1","voice":"alloy","input":"The quick brown fox jumps over the lazy dog"}'
    [ "$(speech "$body")" = 200 ]
    cp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/default"
    [ "$(header content-type)" = audio/mpeg ]            # OpenAI's default: MP3
    [ "$(probe "$BATS_TEST_TMPDIR/default" codec_name)" = mp3 ]
    ref=$(seconds "$BATS_TEST_TMPDIR/default")
    for f in mp3:mp3:audio/mpeg:24000 opus:opus:audio/ogg:48000 aac:aac:audio/aac:24000 \
             flac:flac:audio/flac:24000 wav:pcm_s16le:audio/wav:24000; do
        IFS=: read -r fmt codec type rate <<<"$f"
        [ "$(speech "${body%\}},\"response_format\":\"$fmt\"}")" = 200 ]
        [ "$(header content-type)" = "$type" ] || { echo "$fmt: $(header content-type)"; false; }
        [ "$(probe "$BATS_TEST_TMPDIR/out" codec_name)" = "$codec" ]
        [ "$(probe "$BATS_TEST_TMPDIR/out" sample_rate)" = "$rate" ]   # Opus decodes at 48 kHz
        [ "$(probe "$BATS_TEST_TMPDIR/out" channels)" = 1 ]
        s=$(seconds "$BATS_TEST_TMPDIR/out")
        awk "BEGIN{exit !($s > 1 && $s > $ref * 0.85 && $s < $ref * 1.15)}" || { echo "$fmt: $s s vs $ref s"; false; }
    done
    [ "$(speech "${body%\}},\"response_format\":\"pcm\"}")" = 200 ]
    [ "$(header content-type)" = audio/pcm ]
    s=$(stat -c %s "$BATS_TEST_TMPDIR/out" | awk '{printf "%.2f", $1 / 48000}')   # s16le, 24 kHz, mono
    awk "BEGIN{exit !($s > $ref * 0.85 && $s < $ref * 1.15)}"
}

@test "every format is stored, content-addressed with its extension, and served by nginx with its type" {
    body='{"text":"Stored as Ogg Opus","format":"opus"}'
    code=$(curl -s -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' -X POST "$VOXCAT_URL/tts" \
        -H "Authorization: Bearer $VOXCAT_TOKEN" -H 'Content-Type: application/json' -d "$body")
    [ "$code" = 200 ]
    loc=$(header content-location)
    [[ "$loc" =~ ^/tts/audio/[0-9a-f]{64}\.opus$ ]]
    id=$(header x-track-id)
    [ "$(psql_q -c "SELECT format || ' ' || audio_path FROM audio_tracks WHERE id = '$id'")" = "opus $loc" ]
    [ "$(psql_q -c "SELECT format FROM audio_blobs WHERE cache_key = '$(basename "$loc" .opus)'")" = opus ]
    curl -s -D "$BATS_TEST_TMPDIR/h2" -o "$BATS_TEST_TMPDIR/direct.opus" "$VOXCAT_URL$loc"
    grep -qi '^content-type: audio/ogg' "$BATS_TEST_TMPDIR/h2"
    grep -qi '^cache-control: .*immutable' "$BATS_TEST_TMPDIR/h2"
    cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/direct.opus"
    # The track's own link has the track's format, and only that.
    [ "$(http_status "$VOXCAT_URL/tts/$id.opus")" = 200 ]
    [ "$(http_status "$VOXCAT_URL/tts/$id.wav")" = 404 ]
    curl -s "$VOXCAT_URL/search/$id" | jq -e --arg loc "$loc" '.format == "opus" and .audio_url == $loc'
    # Lost from the disk: rebuilt from PostgreSQL, in its format.
    rm -f "$STACK_DIR/cache$loc"
    curl -s -o "$BATS_TEST_TMPDIR/rebuilt.opus" "$VOXCAT_URL$loc"
    cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/rebuilt.opus"
    [ "$(http_status "$VOXCAT_URL/tts/audio/$(basename "$loc" .opus).mp3")" = 404 ]
}

@test "POST /tts honours Accept: audio/mpeg; a body's format wins; a bad format is a 400" {
    code=$(curl -s -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' -X POST "$VOXCAT_URL/tts" \
        -H "Authorization: Bearer $VOXCAT_TOKEN" -H 'Content-Type: application/json' -H 'Accept: audio/mpeg' \
        -d '{"text":"Accept asks for MP3"}')
    [ "$code" = 200 ]
    [ "$(header content-type)" = audio/mpeg ]
    [ "$(probe "$BATS_TEST_TMPDIR/out" codec_name)" = mp3 ]
    code=$(curl -s -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' -X POST "$VOXCAT_URL/tts" \
        -H "Authorization: Bearer $VOXCAT_TOKEN" -H 'Content-Type: application/json' -H 'Accept: audio/mpeg' \
        -d '{"text":"The body says FLAC","format":"flac"}')
    [ "$(header content-type)" = audio/flac ]
    code=$(curl -s -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -X POST "$VOXCAT_URL/tts" \
        -H "Authorization: Bearer $VOXCAT_TOKEN" -H 'Content-Type: application/json' -d '{"text":"x","format":"ogg"}')
    [ "$code" = 400 ]
    jq -e '.error.field == "format"' "$BATS_TEST_TMPDIR/out"
}

@test "streaming: the first audio arrives after the first sentence, long before the whole" {
    # Six sentences from the fake Gemini, 0.5 s each: whole ~3 s, first ~0.5 s.
    script='{"gemini":['
    for i in 1 2 3 4 5 6; do script="$script{\"step\":\"slow\",\"seconds\":0.5},"; done
    curl -s -X POST "$FAKE/__control/script" -H 'Content-Type: application/json' -d "${script%,}]}" >/dev/null
    text="One thing first. Then a second. A third one now. And a fourth. Fifth here. Last of all."
    python3 - "$VOXCAT_URL/tts/v1/audio/speech" "$VOXCAT_TOKEN" "$text" >"$BATS_TEST_TMPDIR/timing" <<'PY'
import json, sys, time, urllib.request
url, token, text = sys.argv[1:]
body = json.dumps({"model": "gemini-flash", "voice": "alloy", "input": text,
                   "response_format": "mp3", "stream_format": "audio"}).encode()
req = urllib.request.Request(url, body, {"Authorization": "Bearer " + token,
                                         "Content-Type": "application/json"})
start = time.monotonic()
first_audio, total = None, 0
with urllib.request.urlopen(req, timeout=30) as r:
    while True:
        chunk = r.read1(65536)
        if not chunk:
            break
        total += len(chunk)
        # Past the container's header: audio frames have come.
        if first_audio is None and total > 1000:
            first_audio = time.monotonic() - start
print("%.3f %.3f %d" % (first_audio or 99, time.monotonic() - start, total))
PY
    read -r first whole bytes <"$BATS_TEST_TMPDIR/timing"
    echo "# first audio after ${first}s, all ${bytes} bytes after ${whole}s" >&3
    awk "BEGIN{exit !($whole >= 2.5 && $first < $whole / 2)}"
    [ "$(curl -s "$FAKE/__control/requests" | jq length)" = 6 ]
    # The whole was kept: the same request again is a file, with no upstream call.
    curl -s -X POST "$FAKE/__control/reset" >/dev/null
    [ "$(speech "{\"model\":\"gemini-flash\",\"voice\":\"alloy\",\"input\":\"$text\",\"stream_format\":\"audio\"}")" = 200 ]
    [ "$(curl -s "$FAKE/__control/requests" | jq length)" = 0 ]
    [ -n "$(header content-location)" ]
    s=$(seconds "$BATS_TEST_TMPDIR/out")
    awk "BEGIN{exit !($s > 1)}"
}

@test "a client that goes away mid-stream stops the synthesis, and nothing is stored" {
    script='{"gemini":['
    for i in 1 2 3 4 5 6; do script="$script{\"step\":\"slow\",\"seconds\":0.5},"; done
    curl -s -X POST "$FAKE/__control/script" -H 'Content-Type: application/json' -d "${script%,}]}" >/dev/null
    text="Gone one. Gone two. Gone three. Gone four. Gone five. Gone six."
    # The client reads for 0.8 s (the first sentence), then hangs up.
    run curl -sS -o /dev/null --max-time 0.8 -X POST "$VOXCAT_URL/tts/v1/audio/speech" \
        -H "Authorization: Bearer $VOXCAT_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"model\":\"gemini-flash\",\"voice\":\"alloy\",\"input\":\"$text\",\"stream_format\":\"audio\"}"
    [ "$status" -eq 28 ]      # curl's own timeout: it left, the server did not end it
    sleep 3.5                 # time for all six sentences, had it gone on
    calls=$(curl -s "$FAKE/__control/requests" | jq length)
    echo "# upstream calls after the client left: $calls of 6" >&3
    [ "$calls" -le 3 ]
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = '$text'")" = 0 ]
}

@test "two identical streams at once: one synthesis, and both get the same audio" {
    script='{"gemini":[{"step":"slow","seconds":0.5},{"step":"slow","seconds":0.5},{"step":"slow","seconds":0.5}]}'
    curl -s -X POST "$FAKE/__control/script" -H 'Content-Type: application/json' -d "$script" >/dev/null
    body='{"model":"gemini-flash","voice":"alloy","input":"Asked twice. Made once. Same bytes.","stream_format":"audio"}'
    for i in 1 2; do
        curl -sS -o "$BATS_TEST_TMPDIR/s$i" -w '%{http_code}' --max-time 30 -X POST "$VOXCAT_URL/tts/v1/audio/speech" \
            -H "Authorization: Bearer $VOXCAT_TOKEN" -H 'Content-Type: application/json' -d "$body" \
            >"$BATS_TEST_TMPDIR/code$i" &
    done
    wait
    [ "$(cat "$BATS_TEST_TMPDIR/code1")" = 200 ]
    [ "$(cat "$BATS_TEST_TMPDIR/code2")" = 200 ]
    [ "$(curl -s "$FAKE/__control/requests" | jq length)" = 3 ]     # three sentences, once
    cmp "$BATS_TEST_TMPDIR/s1" "$BATS_TEST_TMPDIR/s2"
    [ "$(probe "$BATS_TEST_TMPDIR/s2" codec_name)" = mp3 ]
}

@test "a WAV stream has an open-ended header and still plays; the stored copy is exact" {
    text="A streamed wave. It has two sentences."
    [ "$(speech "{\"model\":\"tts-1\",\"voice\":\"echo\",\"input\":\"$text\",\"response_format\":\"wav\",\"stream_format\":\"audio\"}")" = 200 ]
    [ "$(header transfer-encoding)" = chunked ]
    [ "$(probe "$BATS_TEST_TMPDIR/out" codec_name)" = pcm_s16le ]
    s=$(seconds "$BATS_TEST_TMPDIR/out")
    key=$(psql_q -c "SELECT cache_key FROM audio_tracks WHERE text = '$text'")
    soxi -D "$STACK_DIR/cache/tts/audio/$key.wav" | awk -v s="$s" '{exit !($1 > s - 0.05 && $1 < s + 0.05)}'
}

@test "AAC and FLAC stream too; the stored FLAC knows its length, the streamed one cannot" {
    for f in aac:aac flac:flac; do
        IFS=: read -r fmt codec <<<"$f"
        text="A streamed $fmt. In two sentences."
        [ "$(speech "{\"model\":\"tts-1\",\"voice\":\"echo\",\"input\":\"$text\",\"response_format\":\"$fmt\",\"stream_format\":\"audio\"}")" = 200 ]
        [ "$(header transfer-encoding)" = chunked ]
        [ -z "$(header content-location)" ]                      # made now, not a file
        [ "$(probe "$BATS_TEST_TMPDIR/out" codec_name)" = "$codec" ]
        s=$(seconds "$BATS_TEST_TMPDIR/out")
        awk "BEGIN{exit !($s > 1)}"
    done
    [ "$(probe "$BATS_TEST_TMPDIR/out" duration_ts)" = N/A ]   # the stream's header has no length
    key=$(psql_q -c "SELECT cache_key FROM audio_tracks WHERE text = 'A streamed flac. In two sentences.'")
    stored="$STACK_DIR/cache/tts/audio/$key.flac"
    n=$(probe "$stored" duration_ts)
    [ "$n" -gt 24000 ]
    [ "$(ffmpeg -v error -i "$stored" -f s16le - | wc -c)" = $((n * 2)) ]
}

@test "server-sent events: deltas of base64 audio that join into playable MP3, then done" {
    [ "$(speech '{"model":"tts-1","voice":"nova","input":"Events carry the audio. In pieces.","stream_format":"sse"}')" = 200 ]
    [[ "$(header content-type)" == text/event-stream* ]]
    grep '^data: ' "$BATS_TEST_TMPDIR/out" | sed 's/^data: //' >"$BATS_TEST_TMPDIR/events"
    jq -e -s 'length >= 3 and (.[:-1] | all(.type == "speech.audio.delta")) and .[-1].type == "speech.audio.done"' \
        "$BATS_TEST_TMPDIR/events"
    jq -r 'select(.type == "speech.audio.delta") | .audio' "$BATS_TEST_TMPDIR/events" | while read -r b; do
        printf '%s' "$b" | base64 -d
    done >"$BATS_TEST_TMPDIR/joined.mp3"
    [ "$(probe "$BATS_TEST_TMPDIR/joined.mp3" codec_name)" = mp3 ]
    s=$(seconds "$BATS_TEST_TMPDIR/joined.mp3")
    awk "BEGIN{exit !($s > 1)}"
}

@test "OpenAI's errors: its shape, 400 for a bad voice or empty input, 401 without a token" {
    [ "$(speech '{"model":"tts-1","voice":"nobody","input":"x"}')" = 400 ]
    jq -e '.error.type == "invalid_request_error" and .error.param == "voice" and (.error.message | length > 0)' "$BATS_TEST_TMPDIR/out"
    [ "$(speech '{"model":"tts-1","voice":"alloy","input":""}')" = 400 ]
    jq -e '.error.param == "input"' "$BATS_TEST_TMPDIR/out"
    [ "$(speech '{"model":"tts-1","voice":"alloy","input":"x","response_format":"ogg"}')" = 400 ]
    jq -e '.error.param == "response_format"' "$BATS_TEST_TMPDIR/out"
    [ "$(speech '{"model":"tts-1","voice":"alloy","input":"x","speed":9}')" = 400 ]
    code=$(curl -s -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -X POST "$VOXCAT_URL/tts/v1/audio/speech" \
        -H 'Content-Type: application/json' -d '{"model":"tts-1","voice":"alloy","input":"x"}')
    [ "$code" = 401 ]
    jq -e '.error.type == "authentication_error"' "$BATS_TEST_TMPDIR/out"
    curl -s "$VOXCAT_URL/tts/v1/models" | jq -e '.object == "list" and ([.data[].id] | index("tts-1") != null)'
    curl -s "$VOXCAT_URL/tts/v1/audio/voices" | jq -e '.voices | index("alloy") != null and index("Kore") != null'
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

hear() {
    ffmpeg -v error -y -i "$1" -ar 16000 -ac 1 "$BATS_TEST_TMPDIR/16k.wav"
    pocketsphinx_continuous -infile "$BATS_TEST_TMPDIR/16k.wav" \
        -jsgf "$VOXCAT_SRC_DIR/tests/helpers/words.gram" -logfn /dev/null 2>/dev/null
}

# What MP3 costs in words heard, with nothing else changing: espeak-ng in a
# worker carries its pitch flutter from one synthesis to the next, so two
# requests for the same words differ by more than the encoder does. A fresh
# voxcat say process synthesises the same samples every time (resampling
# does not dither); the WAV and the MP3 differ only in the encoder, which is
# the one POST /tts uses.
@test "intelligibility holds through MP3: as many words heard as from the WAV" {
    said="" wav="" mp3=""
    for sentence in "one two three four five six seven eight nine ten" \
                    "hello world good morning" "red green blue yellow black white"; do
        for f in wav mp3; do
            "$VOXCAT_BIN_DIR/voxcat" say "$sentence" --model espeak --voice Kore \
                -o "$BATS_TEST_TMPDIR/said.$f"
        done
        [ "$(probe "$BATS_TEST_TMPDIR/said.mp3" codec_name)" = mp3 ]
        said="$said $sentence"
        wav="$wav $(hear "$BATS_TEST_TMPDIR/said.wav")"
        mp3="$mp3 $(hear "$BATS_TEST_TMPDIR/said.mp3")"
    done
    w=$(recall "$said" "$wav")
    m=$(recall "$said" "$mp3")
    echo "# recall: WAV ${w}%, MP3 ${m}%" >&3
    [ "$m" -ge $((w - 5)) ]
    [ "$w" -ge 70 ]
}
