#!/usr/bin/env bats
# Flite, the local English engine: every voice, speed, the default choice
# by language, text it cannot read, the voice list, the degraded path,
# and intelligibility measured with pocketsphinx's general language model.

load helpers/common

setup_file() { stack_up --workers 2; }
teardown_file() { stack_down; }

# tts JSON: POST /tts, body to out, headers to h.
tts() {
    curl -sS -o "$BATS_TEST_TMPDIR/out" -D "$BATS_TEST_TMPDIR/h" -w '%{http_code}' --max-time 60 \
        -X POST "$VOXCAT_URL/tts" -H "Authorization: Bearer $VOXCAT_TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$1"
}
model_of() { psql_q -c "SELECT model FROM audio_tracks WHERE id = '$(header x-track-id)'"; }

@test "every Flite voice makes a 24 kHz mono 16-bit WAV whose length follows speed" {
    for pair in Kore:slt Puck:awb Charon:rms Fenrir:kal16; do
        voice=${pair%%:*}
        [ "$(tts "{\"text\":\"Every voice reads this sentence aloud.\",\"model\":\"flite\",\"voice\":\"$voice\"}")" = 200 ]
        [ "$(soxi -r "$BATS_TEST_TMPDIR/out")" = 24000 ]
        [ "$(soxi -c "$BATS_TEST_TMPDIR/out")" = 1 ]
        [ "$(soxi -b "$BATS_TEST_TMPDIR/out")" = 16 ]
        normal=$(soxi -D "$BATS_TEST_TMPDIR/out")
        [ "$(tts "{\"text\":\"Every voice reads this sentence aloud.\",\"model\":\"flite\",\"voice\":\"$voice\",\"speed\":2}")" = 200 ]
        fast=$(soxi -D "$BATS_TEST_TMPDIR/out")
        [ "$(tts "{\"text\":\"Every voice reads this sentence aloud.\",\"model\":\"flite\",\"voice\":\"$voice\",\"speed\":0.5}")" = 200 ]
        slow=$(soxi -D "$BATS_TEST_TMPDIR/out")
        echo "# ${pair#*:}: ${normal}s, at 2x ${fast}s, at 0.5x ${slow}s" >&3
        awk "BEGIN{exit !($normal > 1 && $fast < $normal * 0.7 && $slow > $normal * 1.5)}"
    done
    # Two speakers take turns with the same pause as the other engines.
    [ "$(tts '{"text":"Ann: Good morning.\nBob: Hello there.","model":"flite","speakers":[{"name":"Ann","voice":"Kore"},{"name":"Bob","voice":"Puck"}]}')" = 200 ]
    [ "$(soxi -r "$BATS_TEST_TMPDIR/out")" = 24000 ]
}

@test "English with no model is Flite, and its track says so; other languages are espeak-ng" {
    [ "$(tts '{"text":"The library opens at nine on Sunday"}')" = 200 ]
    [ "$(model_of)" = flite ]
    [ "$(tts '{"text":"The library opens at ten on Monday","language":"en-IN"}')" = 200 ]
    [ "$(model_of)" = flite ]
    [ "$(tts '{"text":"Guten Tag, die Bibliothek ist offen","language":"de-DE"}')" = 200 ]
    [ "$(model_of)" = espeak ]
    # No language, but a script Flite cannot read: espeak-ng speaks it.
    [ "$(tts '{"text":"Здравствуйте"}')" = 200 ]
    [ "$(model_of)" = espeak ]
    # The model is part of the key: the same text with espeak is another track.
    [ "$(tts '{"text":"The library opens at nine on Sunday","model":"espeak"}')" = 200 ]
    [ "$(header x-cache)" = MISS ]
    [ "$(model_of)" = espeak ]
}

@test "text Flite cannot read is a 400 naming the field, not garbled audio" {
    [ "$(tts '{"text":"こんにちは世界","model":"flite"}')" = 400 ]
    jq -e '.error.field == "text" and (.error.message | test("espeak"))' "$BATS_TEST_TMPDIR/out"
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE text = 'こんにちは世界'")" = 0 ]
    [ "$(tts '{"text":"Café, naïve façade — 42 °C!","model":"flite"}')" = 200 ]
}

@test "the model and voice lists say what speaks each voice" {
    curl -s "$VOXCAT_URL/tts/models" | jq -e '.models[] | select(.name == "flite") | .available == true and .engine == "flite"'
    curl -s "$VOXCAT_URL/tts/voices" | jq -e '.voices | length == 30'
    curl -s "$VOXCAT_URL/tts/voices" | jq -e '.voices[] | select(.name == "Kore") |
        .gender == "female" and .flite_voice == "slt" and (.models[] | select(.model == "flite") | .languages == ["en-US", "en-IN"])'
    curl -s "$VOXCAT_URL/tts/voices" | jq -e '[.voices[] | select(.gender == "female") | .flite_voice] | unique == ["slt"]'
}

@test "voxcat say and the degraded path speak with Flite" {
    run env -u PGHOST "$VOXCAT_BIN_DIR/voxcat" say "Spoken by flite without a server" -o "$BATS_TEST_TMPDIR/say.wav"
    [ "$status" -eq 0 ]
    [ "$(soxi -r "$BATS_TEST_TMPDIR/say.wav")" = 24000 ]
    "$STACK" pg-stop "$STACK_DIR"
    code=$(tts '{"text":"Flite speaks while the database is away"}')
    "$STACK" pg-start "$STACK_DIR"
    [ "$code" = 200 ]
    [ "$(header x-voxcat-degraded)" = db ]
    [ "$(soxi -r "$BATS_TEST_TMPDIR/out")" = 24000 ]
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

@test "intelligibility: pocketsphinx's general model hears the default English voice; every voice's recall is printed" {
    sentences=("the library opens at nine on sunday" "please close the door when you leave"
               "the train to the city leaves every hour" "we will meet at the station tomorrow morning"
               "turn left at the next corner" "my sister lives in a small house near the river")
    for who in default flite:Kore:slt flite:Puck:awb flite:Charon:rms flite:Fenrir:kal16 \
               espeak:Kore:espeak; do
        said="" heard=""
        for s in "${sentences[@]}"; do
            if [ "$who" = default ]; then
                body="{\"text\":\"$s\"}"
            else
                IFS=: read -r model voice _ <<<"$who"
                body="{\"text\":\"$s\",\"model\":\"$model\",\"voice\":\"$voice\"}"
            fi
            [ "$(tts "$body")" = 200 ]
            sox -R "$BATS_TEST_TMPDIR/out" -r 16000 "$BATS_TEST_TMPDIR/16k.wav"
            said="$said $s"
            heard="$heard $(pocketsphinx_continuous -infile "$BATS_TEST_TMPDIR/16k.wav" -logfn /dev/null 2>/dev/null)"
        done
        r=$(recall "$said" "$heard")
        echo "# recall ${who##*:}: ${r}%" >&3
        [ "$who" = default ] && default=$r
    done
    [ "$default" -ge 80 ]
}
