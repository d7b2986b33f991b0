#!/usr/bin/env bats
# The voxcat command line: migrate and check-config.

bats_require_minimum_version 1.5.0
load helpers/common

setup_file() { stack_up; }
teardown_file() { stack_down; }

voxcat() { "$VOXCAT_BIN_DIR/voxcat" "$@"; }
VOXCAT=$VOXCAT_BIN_DIR/voxcat

@test "voxcat migrate twice is a no-op the second time" {
    run voxcat migrate --dir "$VOXCAT_SRC_DIR/sql"
    [ "$status" -eq 0 ]
    [[ "$output" == *"nothing to migrate"* ]]
    n=$(psql_q -c "SELECT count(*) FROM schema_migrations")
    files=$(ls "$VOXCAT_SRC_DIR"/sql/[0-9]*_*.sql | wc -l)
    [ "$n" -eq "$files" ]
}

@test "voxcat migrate applies a new file in order and records its checksum" {
    dir=$BATS_TEST_TMPDIR/sql
    cp -r "$VOXCAT_SRC_DIR/sql" "$dir"
    echo "CREATE TABLE zz_probe (x int);" >"$dir/900_probe.sql"
    run voxcat migrate --dir "$dir"
    [ "$status" -eq 0 ]
    [[ "$output" == *"applied 900_probe.sql"* ]]
    psql_q -c "SELECT checksum FROM schema_migrations WHERE version = '900'" | grep -Eq '^[0-9a-f]{64}$'
    psql_q -c "SELECT count(*) FROM zz_probe" | grep -qx 0
}

@test "voxcat migrate refuses a migration changed after it was applied" {
    dir=$BATS_TEST_TMPDIR/sql
    cp -r "$VOXCAT_SRC_DIR/sql" "$dir"
    echo "CREATE TABLE zz_probe (x int);" >"$dir/900_probe.sql"
    voxcat migrate --dir "$dir" >/dev/null 2>&1 || true
    echo "-- edited" >>"$dir/900_probe.sql"
    echo "CREATE TABLE zz_after (x int);" >"$dir/901_after.sql"
    run voxcat migrate --dir "$dir"
    [ "$status" -ne 0 ]
    [[ "$output" == *"900_probe.sql changed after it was applied"* ]]
    # Nothing after it was applied either.
    [ "$(psql_q -c "SELECT count(*) FROM schema_migrations WHERE version = '901'")" = 0 ]
}

@test "a failing migration rolls back whole and is not recorded" {
    dir=$BATS_TEST_TMPDIR/sql2
    cp -r "$VOXCAT_SRC_DIR/sql" "$dir"
    printf 'CREATE TABLE zz_half (x int);\nSELECT nosuchfunction();\n' >"$dir/950_broken.sql"
    run voxcat migrate --dir "$dir"
    [ "$status" -ne 0 ]
    [[ "$output" == *"950_broken.sql failed"* ]]
    [ "$(psql_q -c "SELECT count(*) FROM schema_migrations WHERE version = '950'")" = 0 ]
    [ "$(psql_q -c "SELECT to_regclass('zz_half') IS NULL")" = t ]
}

@test "voxcat migrate without a database says so and exits non-zero" {
    run env PGHOST=/nonexistent "$VOXCAT" migrate --dir "$VOXCAT_SRC_DIR/sql"
    [ "$status" -ne 0 ]
    [[ "$output" == *"database unavailable"* ]]
}

@test "check-config prints the effective configuration with secrets masked" {
    run env GEMINI_API_KEY=very-secret-key VOXCAT_DATABASE_URL=postgresql://u:pw123@h/db "$VOXCAT" check-config
    [ "$status" -eq 0 ]
    [[ "$output" == *"VOXCAT_WORKERS="* ]]
    [[ "$output" == *"GEMINI_API_KEY=****"* ]]
    [[ "$output" != *"very-secret-key"* ]]
    [[ "$output" != *"pw123"* ]]
}

@test "check-config rejects VOXCAT_WORKERS=0 and VOXCAT_LISTEN=garbage at once, exit 78" {
    run env VOXCAT_WORKERS=0 VOXCAT_LISTEN=garbage "$VOXCAT" check-config
    [ "$status" -eq 78 ]
    [[ "$output" == *'"VOXCAT_WORKERS"'*"out of range"* ]]
    [[ "$output" == *'"VOXCAT_LISTEN"'*"expected unix:/path or host:port"* ]]
}

@test "voxcat-fcgi refuses to start on a bad configuration with exit 78" {
    run env VOXCAT_WORKERS=abc "$VOXCAT_BIN_DIR/voxcat-fcgi"
    [ "$status" -eq 78 ]
    [[ "$output" == *'"VOXCAT_WORKERS"'* ]]
}

@test "an unknown command is a usage error" {
    run voxcat frobnicate
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown command"* ]]
}

@test "voxcat say writes a 24 kHz WAV without HTTP or a database" {
    run env PGHOST=/nonexistent "$VOXCAT" say "Hello from the command line" --voice Puck --language en-US -o "$BATS_TEST_TMPDIR/say.wav"
    [ "$status" -eq 0 ]
    [ "$(soxi -r "$BATS_TEST_TMPDIR/say.wav")" = 24000 ]
    [ "$(soxi -c "$BATS_TEST_TMPDIR/say.wav")" = 1 ]
}

@test "voxcat say: the same text gives the same bytes, in every engine" {
    for model in espeak flite; do
        for n in 1 2; do
            run "$VOXCAT" say "Same words, same sound" --model "$model" -o "$BATS_TEST_TMPDIR/$model$n.wav"
            [ "$status" -eq 0 ]
        done
        cmp "$BATS_TEST_TMPDIR/${model}1.wav" "$BATS_TEST_TMPDIR/${model}2.wav"
    done
}

@test "voxcat say refuses a bad voice, naming it, and writes nothing" {
    run "$VOXCAT" say "Hi" --voice Nobody -o "$BATS_TEST_TMPDIR/bad.wav"
    [ "$status" -eq 1 ]
    [[ "$output" == *"voice: unknown voice"* ]]
    [ ! -e "$BATS_TEST_TMPDIR/bad.wav" ]
    run "$VOXCAT" say "Hi"
    [ "$status" -eq 2 ]
}

@test "import and export on a terminal draw progress and end with a summary; without one, plain lines" {
    "$VOXCAT_SRC_DIR/tests/helpers/gen-catalog" 40000 --seed 7 >"$BATS_TEST_TMPDIR/big.jsonl"
    # On a terminal (script gives it one): a redrawn bar, then the summary.
    script -qec "$VOXCAT import $BATS_TEST_TMPDIR/big.jsonl" "$BATS_TEST_TMPDIR/tty.log" >/dev/null
    grep -q $'\r' "$BATS_TEST_TMPDIR/tty.log"
    grep -qE 'import \[#*-*\] +[0-9]+%  [0-9]+ rows  [0-9]+ rows/s  ETA' "$BATS_TEST_TMPDIR/tty.log"
    grep -qE 'import: 40000 tracks in [0-9.]+ s \([0-9]+ rows/s\)' "$BATS_TEST_TMPDIR/tty.log"
    grep -q 'imported 40000 tracks' "$BATS_TEST_TMPDIR/tty.log"
    # Not a terminal: no control characters at all, and the summary.
    psql_q -c "TRUNCATE audio_tracks"
    run --separate-stderr "$VOXCAT" import "$BATS_TEST_TMPDIR/big.jsonl"
    [ "$status" -eq 0 ]
    [ "$output" = "imported 40000 tracks" ]
    run bash -c "printf '%s' \"\$1\" | LC_ALL=C grep -c '[[:cntrl:]]'" _ "${stderr//$'\n'/ }"
    [ "$output" = 0 ]
    [[ "$stderr" == *"import: 40000 tracks in "* ]]
    # --quiet: nothing on stderr.
    psql_q -c "TRUNCATE audio_tracks"
    run --separate-stderr "$VOXCAT" import "$BATS_TEST_TMPDIR/big.jsonl" --quiet
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    # Export likewise, with the total known: an ETA.
    script -qec "$VOXCAT export >/dev/null" "$BATS_TEST_TMPDIR/tty2.log" >/dev/null
    grep -qE 'exported 40000 tracks in [0-9.]+ s' "$BATS_TEST_TMPDIR/tty2.log"
    psql_q -c "TRUNCATE audio_tracks"
}
