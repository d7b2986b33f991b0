#!/usr/bin/env bats
# The catalog: import, weighted full-text /search, filters, pagination,
# facets, /status/{id} transitions, export round trip, and bad input.

load helpers/common

setup_file() {
    stack_up
    "$VOXCAT_BIN_DIR/voxcat" import "$VOXCAT_SRC_DIR/tests/fixtures/catalog-small.jsonl" \
        >"$BATS_FILE_TMPDIR/import.out"
}
teardown_file() { stack_down; }

VOXCAT=${VOXCAT_BIN_DIR:-$VOXCAT_SRC_DIR/fcgi}/voxcat
id() { printf '00000000-0000-4000-8000-%012d' "$1"; }
search() { curl -s "$VOXCAT_URL/search?$1"; }
titles() { search "$1" | jq -c '[.items[].title]'; }
count() { psql_q -c "SELECT count(*) FROM audio_tracks${1:+ WHERE $1}"; }
# Every column but the lease (import gives a PROCESSING track an expired one).
snapshot() { psql_q -c "SELECT md5(string_agg((to_jsonb(t) - 'lease_until')::text, '|' ORDER BY id)) FROM audio_tracks t"; }

@test "import reports the count and the rows are there" {
    [ "$(cat "$BATS_FILE_TMPDIR/import.out")" = "imported 40 tracks" ]
    [ "$(count)" = 40 ]
    [ "$(psql_q -c "SELECT count(*) FROM audit_log WHERE action = 'catalog.import'")" -ge 1 ]
}

@test "ranking: a title match outranks an album match, which outranks a genre match" {
    run titles 'q=midnight'
    [ "$output" = '["Midnight Train","Sunrise","Slow Hours"]' ]
    search 'q=midnight' | jq -e '.items[0].rank > .items[1].rank and .items[1].rank > .items[2].rank'
    search 'q=midnight' | jq -e '.items[0].headline == "<b>Midnight</b> Train — Ada Lark — Night Lines — soul"'
}

@test "prefix matching on the last word (search as you type)" {
    [ "$(titles 'q=electr' | jq 'sort')" = "$(echo '["Electric Avenue","Electricity"]' | jq 'sort')" ]
    [ "$(titles 'q=caf')" = '["Café Noir"]' ]
    [ "$(titles 'q=coraz')" = '["Corazón de Niño"]' ]
    # "or" being typed is a word's start too, alone or after another word
    # (not the OR of "a or b", which needs its b).
    psql_q -c "INSERT INTO audio_tracks (id, title, status) VALUES ('$(id 990)', 'Orchid Harbor', 'COMPLETED')" >/dev/null
    run titles 'q=or'
    run2=$(titles 'q=harbor+or')
    psql_q -c "DELETE FROM audio_tracks WHERE id = '$(id 990)'" >/dev/null
    [ "$output" = '["Orchid Harbor"]' ]
    [ "$run2" = '["Orchid Harbor"]' ]
    [ "$(search 'q=harbor+or+electricity' | jq .total)" = 3 ]
}

@test "phrases and exclusions" {
    [ "$(titles 'q=%22blue+moon%22')" = '["Blue Moon Rising"]' ]
    [ "$(search 'q=blue+moon' | jq .total)" = 2 ]
    [ "$(titles 'q=harbor+-live')" = '["Harbor Lights"]' ]
    [ "$(search 'q=harbor+OR+electricity' | jq .total)" = 3 ]
}

@test "each filter alone and combined matches SQL" {
    [ "$(search 'status=FAILED' | jq .total)" = "$(count "status = 'FAILED'")" ]
    [ "$(search 'format=flac' | jq .total)" = "$(count "format = 'flac'")" ]
    [ "$(search 'genre=rock' | jq .total)" = "$(count "genre = 'rock'")" ]
    [ "$(search 'year_from=1980' | jq .total)" = "$(count "year >= 1980")" ]
    [ "$(search 'year_to=1969' | jq .total)" = "$(count "year <= 1969")" ]
    # A whole decade (asked of the search index as year / 10) and a part of one.
    [ "$(search 'year_from=1980&year_to=1989' | jq .total)" = "$(count "year BETWEEN 1980 AND 1989")" ]
    [ "$(search 'q=filler&year_from=1950&year_to=1959' | jq .total)" = \
      "$(count "title LIKE 'Catalog Filler%' AND year BETWEEN 1950 AND 1959")" ]
    [ "$(search 'q=filler&year_from=1960&year_to=1969&sort=year' | jq .total)" = \
      "$(count "title LIKE 'Catalog Filler%' AND year BETWEEN 1960 AND 1969")" ]
    [ "$(search 'year_from=1981&year_to=1989' | jq .total)" = "$(count "year BETWEEN 1981 AND 1989")" ]
    [ "$(search 'year_from=1970&year_to=1989' | jq .total)" = "$(count "year BETWEEN 1970 AND 1989")" ]
    [ "$(search 'genre=rock&format=mp3&year_from=1960&year_to=2000' | jq .total)" = \
      "$(count "genre = 'rock' AND format = 'mp3' AND year BETWEEN 1960 AND 2000")" ]
    [ "$(search 'q=filler&genre=jazz&status=COMPLETED' | jq .total)" = "$(count "title LIKE 'Catalog Filler%' AND genre = 'jazz'")" ]
    search 'q=midnight&min_rank=0.5' | jq -e '.total == 1 and .items[0].title == "Midnight Train"'
}

@test "sort and order are honoured" {
    search 'sort=year&order=asc&limit=100' | jq -e '[.items[].year | select(. != null)] as $y | $y == ($y | sort)'
    search 'sort=title&limit=100' | jq -e '[.items[].title] as $t | $t == ($t | sort)'
    search 'sort=duration&order=desc&limit=3' | jq -e '.items[0].duration >= .items[1].duration'
    search 'sort=created_at&order=asc&limit=100' | jq -e '[.items[].created_at] as $c | $c == ($c | sort) and ($c | length) == 40'
    search 'q=filler&sort=updated_at&order=asc&limit=100' | jq -e '[.items[].updated_at] as $c | $c == ($c | sort) and ($c | length) == 24'
}

@test "pagination: totals and has_more across pages, no overlap" {
    p1=$(search 'q=filler&limit=10&offset=0')
    p2=$(search 'q=filler&limit=10&offset=10')
    p3=$(search 'q=filler&limit=10&offset=20')
    echo "$p1" | jq -e '.total == 24 and .has_more == true and (.items | length) == 10 and .limit == 10 and .offset == 0'
    echo "$p2" | jq -e '.has_more == true and (.items | length) == 10'
    echo "$p3" | jq -e '.has_more == false and (.items | length) == 4'
    all=$(jq -s '[.[].items[].id] | unique | length' <<<"$p1$p2$p3")
    [ "$all" = 24 ]
    search 'q=filler&limit=10&offset=100' | jq -e '.total == 24 and .has_more == false and .items == []'
}

@test "an empty q lists everything with the filters, newest first" {
    search '' | jq -e '.total == 40 and (.items | length) == 20'
    search 'q=%20%20' | jq -e '.total == 40'
    search 'limit=2' | jq -e '.items[0].created_at >= .items[1].created_at'
}

@test "facets: counts equal SQL counts" {
    f=$(curl -s "$VOXCAT_URL/search/facets")
    echo "$f" | jq -e '.total == 40'
    for g in rock pop jazz blues; do
        [ "$(echo "$f" | jq --arg g "$g" '.genre[] | select(.value == $g) | .count')" = "$(count "genre = '$g'")" ]
    done
    [ "$(echo "$f" | jq '.status[] | select(.value == "FAILED") | .count')" = "$(count "status = 'FAILED'")" ]
    [ "$(echo "$f" | jq '.format[] | select(.value == "mp3") | .count')" = "$(count "format = 'mp3'")" ]
    [ "$(echo "$f" | jq '.decade[] | select(.value == "1980s") | .count')" = "$(count "year BETWEEN 1980 AND 1989")" ]
    curl -s "$VOXCAT_URL/search/facets?q=filler" | jq -e '.total == 24'
}

# facet_sql EXPR TSQUERY: {value: count} of EXPR over the tracks matching TSQUERY
facet_sql() {
    psql_q -c "SELECT coalesce(jsonb_object_agg(v, n), '{}') FROM (SELECT $1 AS v, count(*) AS n
               FROM audio_tracks WHERE search_vector @@ $2 AND $1 IS NOT NULL GROUP BY 1) x" | jq -S -c .
}

@test "facets for a q: every count of every facet equals SQL's" {
    # q=filler OR blu: the last word is a prefix, so this is the tsquery.
    tsq="(to_tsquery('simple', 'filler') || to_tsquery('simple', 'blu:*'))"
    f=$(curl -s "$VOXCAT_URL/search/facets?q=filler%20OR%20blu")
    echo "$f" | jq -e ".total == $(count "search_vector @@ $tsq") and .total > 24"
    for facet in status:status genre:genre format:format "decade:(year / 10 * 10)::text || 's'"; do
        api=$(echo "$f" | jq -S -c --arg k "${facet%%:*}" '.[$k] | map({(.value): .count}) | add // {}')
        [ "$api" = "$(facet_sql "${facet#*:}" "$tsq")" ] || { echo "${facet%%:*}: $api"; false; }
    done
}

@test "GET /search/{id}: the track, 404 unknown, 400 malformed" {
    curl -s "$VOXCAT_URL/search/$(id 1)" | jq -e '.title == "Midnight Train" and .year == 1973 and .status == "COMPLETED"'
    [ "$(http_status "$VOXCAT_URL/search/$(id 999)")" = 404 ]
    [ "$(http_status "$VOXCAT_URL/search/not-a-uuid")" = 400 ]
}

put_status() {
    curl -s -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' -H "Authorization: Bearer $VOXCAT_TOKEN" -X PUT "$VOXCAT_URL/status/$1" \
        -H 'Content-Type: application/json' -d "$2"
}

@test "GET /status/{id}" {
    curl -s "$VOXCAT_URL/status/$(id 14)" | jq -e '.status == "FAILED" and .retry_count == 0 and .error_message == "decoder failed" and (.updated_at | length) > 0'
    [ "$(http_status "$VOXCAT_URL/status/$(id 999)")" = 404 ]
    [ "$(http_status "$VOXCAT_URL/status/xyz")" = 400 ]
}

@test "every allowed transition works and is audited" {
    [ "$(put_status "$(id 12)" '{"status":"PROCESSING"}')" = 200 ]
    [ "$(put_status "$(id 12)" '{"status":"COMPLETED"}')" = 200 ]
    jq -e '.status == "COMPLETED"' "$BATS_TEST_TMPDIR/out"
    [ "$(put_status "$(id 13)" '{"status":"FAILED","error_message":"boom"}')" = 200 ]
    jq -e '.status == "FAILED" and .error_message == "boom"' "$BATS_TEST_TMPDIR/out"
    [ "$(put_status "$(id 13)" '{"status":"PENDING"}')" = 200 ]
    jq -e '.status == "PENDING" and .retry_count == 1' "$BATS_TEST_TMPDIR/out"
    [ "$(put_status "$(id 13)" '{"status":"PROCESSING"}')" = 200 ]
    [ "$(put_status "$(id 13)" '{"status":"PENDING"}')" = 200 ]
    [ "$(psql_q -c "SELECT count(*) FROM audit_log WHERE resource = 'track:$(id 13)' AND action = 'track.status'")" = 4 ]
}

@test "a refused transition is 409 and changes nothing" {
    before=$(snapshot)
    [ "$(put_status "$(id 16)" '{"status":"PENDING"}')" = 409 ]
    jq -e '.error.code == "conflict" and (.error.message | test("COMPLETED track cannot become PENDING"))' "$BATS_TEST_TMPDIR/out"
    [ "$(put_status "$(id 16)" '{"status":"PROCESSING"}')" = 409 ]
    [ "$(put_status "$(id 14)" '{"status":"COMPLETED"}')" = 409 ]
    # FAILED -> PENDING is capped by VOXCAT_MAX_RETRIES (3).
    [ "$(put_status "$(id 15)" '{"status":"PENDING"}')" = 409 ]
    jq -e '.error.message | test("FAILED track cannot become PENDING again: retry limit")' "$BATS_TEST_TMPDIR/out"
    [ "$(put_status "$(id 999)" '{"status":"PENDING"}')" = 404 ]
    [ "$(put_status "nope" '{"status":"PENDING"}')" = 400 ]
    [ "$(put_status "$(id 14)" '{"status":"DONE"}')" = 400 ]
    [ "$(put_status "$(id 14)" '{"state":"PENDING"}')" = 400 ]
    [ "$(put_status "$(id 14)" '{"status":')" = 400 ]
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VOXCAT_TOKEN" -X PUT "$VOXCAT_URL/status/$(id 14)" -d 'status=PENDING')
    [ "$code" = 415 ]
    [ "$(snapshot)" = "$before" ]
}

@test "import of a file with a bad line rolls back everything and names the line" {
    before=$(count)
    f=$BATS_TEST_TMPDIR/bad.jsonl
    "$VOXCAT_SRC_DIR/tests/helpers/gen-catalog" 50 --seed 7 >"$f"
    sed -i '37s/"year": [0-9]*/"year": 1700/' "$f"
    run "$VOXCAT" import "$f"
    [ "$status" -eq 1 ]
    [[ "$output" == *"line 37: year: 1700 is out of range"* ]]
    [ "$(count)" = "$before" ]
    for bad in '{"title":"x","status":"DONE"}' '{"title":"x","year":"1999"}' '{"title":' '[1]' \
               '{"title":"x","colour":"red"}' '{"title":"x","channels":17}' '{"title":"x","id":"nope"}'; do
        printf '{"title":"ok line"}\n%s\n' "$bad" >"$f"
        run "$VOXCAT" import "$f"
        [ "$status" -eq 1 ]
        [[ "$output" == *"line 2: "* ]]
    done
    printf '{"title":"dup","id":"%s"}\n' "$(id 1)" >"$f"
    run "$VOXCAT" import "$f"
    [ "$status" -eq 1 ]
    [[ "$output" == *"line 1: id: $(id 1) is already in the catalog"* ]]
    printf '{"title":"a"}\n{"title":"b","id":"%s"}\n{"title":"c"}\n{"title":"d","id":"%s"}\n' \
        "$(id 900)" "$(id 900)" >"$f"
    run "$VOXCAT" import "$f"
    [ "$status" -eq 1 ]
    [[ "$output" == *"line 4: id: $(id 900) is also on line 2"* ]]
    k1=$(printf 'ab%.0s' $(seq 32))
    printf '{"title":"a","cache_key":"%s"}\n{"title":"b","cache_key":"%s"}\n' "$k1" "$k1" >"$f"
    run "$VOXCAT" import "$f"
    [ "$status" -eq 1 ]
    [[ "$output" == *"line 2: cache_key: $k1 is also on line 1"* ]]
    # A cache_key is a sha256 in hex, nothing else.
    printf '{"title":"a","cache_key":"k1"}\n' >"$f"
    run "$VOXCAT" import "$f"
    [ "$status" -eq 1 ]
    [[ "$output" == *"line 1: cache_key: expected 64 lowercase hex digits"* ]]
    [ "$(count)" = "$before" ]
}

@test "import takes every column of audio_tracks but the trigger's and the lease" {
    cols=$(psql_q -c "SELECT column_name FROM information_schema.columns
                      WHERE table_name = 'audio_tracks' AND column_name NOT IN ('search_vector', 'lease_until')")
    for c in $cols; do
        # The second line is bad, so nothing is written either way.
        run "$VOXCAT" import - < <(printf '{"%s":null}\n[2]\n' "$c")
        [[ "$output" == *"line 2: expected a JSON object"* ]] || { echo "$c: $output"; false; }
    done
}

@test "export then import round-trips, speech fields included; export is audited" {
    psql_q -c "UPDATE audio_tracks SET text = 'Ann: hello there', voice = 'Kore', language = 'en-US',
               model = 'espeak', speed = 1.25, speakers = '[{\"name\":\"Ann\",\"voice\":\"Puck\"}]',
               cache_key = repeat('ab', 32), thumbnail_path = '/t/16.png' WHERE id = '$(id 16)'"
    audits=$(psql_q -c "SELECT count(*) FROM audit_log WHERE action = 'catalog.export'")
    "$VOXCAT" export >"$BATS_TEST_TMPDIR/all.jsonl" 2>/dev/null
    [ "$(wc -l <"$BATS_TEST_TMPDIR/all.jsonl")" = "$(count)" ]
    [ "$(psql_q -c "SELECT count(*) FROM audit_log WHERE action = 'catalog.export'")" = $((audits + 1)) ]
    grep "$(id 16)" "$BATS_TEST_TMPDIR/all.jsonl" | jq -e '.speed == 1.25 and .speakers[0].voice == "Puck"' 
    before=$(snapshot)
    psql_q -c "TRUNCATE audio_tracks"
    run "$VOXCAT" import "$BATS_TEST_TMPDIR/all.jsonl"
    [ "$status" -eq 0 ]
    [ "$(snapshot)" = "$before" ]
    psql_q -c "TRUNCATE audio_tracks"
    run "$VOXCAT" import - <"$BATS_TEST_TMPDIR/all.jsonl"
    [ "$status" -eq 0 ]
    [ "$(snapshot)" = "$before" ]
}

# bad QUERY FIELD: a 400 naming the field
bad() {
    run curl -s -w '\n%{http_code}' "$VOXCAT_URL/search?$1"
    [ "${lines[-1]}" = 400 ] || { echo "got ${lines[-1]} for $1"; return 1; }
    echo "${lines[0]}" | jq -e --arg f "$2" '.error.field == $f'
}

@test "bad input: a 400 naming the field, or an empty result; never a 500, never a change" {
    before=$(snapshot)
    bad 'limit=1000' limit
    bad 'limit=-1' limit
    bad 'limit=abc' limit
    bad 'offset=-5' offset
    bad 'sort=password' sort
    bad 'order=sideways' order
    bad 'year_from=abc' year_from
    bad 'year_to=3000' year_to
    bad 'year_from=2000&year_to=1990' year_from
    bad 'status=DONE' status
    bad 'min_rank=2' min_rank
    bad "q=$(head -c 10000 /dev/zero | tr '\0' 'a')" q
    bad 'q=%FF%FE' q
    bad 'genre=%C3%28' genre
    for q in "%27%3B+DROP+TABLE+audio_tracks%3B--" '%22unbalanced' 'back%5Cslash' "it%27s" '%21%40%23%24%25' \
             '%3A%2A' '%26%7C%21' '-' 'OR' '%22%22' '%28%28%28'; do
        run curl -s -w '\n%{http_code}' "$VOXCAT_URL/search?q=$q"
        [ "${lines[-1]}" = 200 ] || { echo "q=$q: $output"; false; }
        echo "${lines[0]}" | jq -e '(.total | type) == "number" and (.items | type) == "array"'
    done
    [ "$(snapshot)" = "$before" ]
    api "$VOXCAT_URL/status" | jq -e '.workers.crashes == 0'
}

@test "an imported PROCESSING track has a lease that has run out" {
    printf '{"id":"%s","title":"Half Done","status":"PROCESSING"}\n' "$(id 950)" | "$VOXCAT" import -
    [ "$(psql_q -c "SELECT lease_until <= now() FROM audio_tracks WHERE id = '$(id 950)'")" = t ]
}

@test "imported lines without created_at are as old as their place in the file: the last is newest" {
    for n in 961 962 963; do
        printf '{"id":"%s","title":"Order Probe %s","status":"PENDING"}\n' "$(id $n)" "$n"
    done | "$VOXCAT" import -
    # Strictly increasing in file order, a microsecond apart, updated_at alike.
    run psql_q -c "SELECT string_agg(id::text, ' ' ORDER BY created_at DESC) FROM audio_tracks
                   WHERE title LIKE 'Order Probe %'"
    [ "$output" = "$(id 963) $(id 962) $(id 961)" ]
    [ "$(psql_q -c "SELECT count(DISTINCT created_at) FROM audio_tracks WHERE title LIKE 'Order Probe %' AND updated_at = created_at")" = 3 ]
    [ "$(psql_q -c "SELECT max(created_at) - min(created_at) FROM audio_tracks WHERE title LIKE 'Order Probe %'")" = "00:00:00.000002" ]
    # Newest first lists them from the end of the file.
    [ "$(titles 'q=probe&sort=created_at')" = '["Order Probe 963","Order Probe 962","Order Probe 961"]' ]
    psql_q -c "DELETE FROM audio_tracks WHERE title LIKE 'Order Probe %'"
}

@test "a word being typed matches through the catalog's lexemes: new words at once, ranks those of the prefix" {
    for r in "972 Plinth" "973 Plinths Above" "974 Below"; do
        printf '{"id":"%s","title":"%s","status":"PENDING"}\n' "$(id ${r%% *})" "${r#* }"
    done | "$VOXCAT" import -
    # The import added its words; the prefix stands for both of them.
    [ "$(psql_q -c "SELECT string_agg(lexeme, ' ' ORDER BY lexeme) FROM vc_lexemes WHERE lexeme LIKE 'plinth%'")" = "plinth plinths" ]
    [ "$(psql_q -c "SELECT vc_prefix_tsquery('Plin')::text")" = "'plinth' | 'plinths'" ]
    [ "$(titles 'q=plin' | jq -c sort)" = '["Plinth","Plinths Above"]' ]
    # Ranks are ts_rank's of plin:*, not of the OR (which would halve them).
    search 'q=plin' | jq -r '.items[] | "\(.id) \(.rank)"' | sort >"$BATS_TEST_TMPDIR/got"
    psql_q -c "SELECT id, round(ts_rank(search_vector, to_tsquery('simple', 'plin:*'))::numeric, 6)::float8
               FROM audio_tracks WHERE title LIKE 'Plinth%'" | tr '|' ' ' | sort >"$BATS_TEST_TMPDIR/want"
    diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
    # An edit that brings a new word: found at once, by prefix and whole.
    psql_q -c "UPDATE audio_tracks SET title = 'Qwvelk Below' WHERE id = '$(id 974)'"
    [ "$(titles 'q=qwve')" = '["Qwvelk Below"]' ]
    [ "$(titles 'q=qwvelk')" = '["Qwvelk Below"]' ]
    psql_q -c "DELETE FROM audio_tracks WHERE id IN ('$(id 972)', '$(id 973)', '$(id 974)')"
}

@test "/status shows the queue at a glance: failed, how many can be retried, the oldest pending's age" {
    run curl -s "$VOXCAT_URL/status"
    [ "$status" -eq 0 ]
    failed=$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE status = 'FAILED'")
    retriable=$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE status = 'FAILED' AND retry_count < 3")
    oldest=$(psql_q -c "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint FROM audio_tracks WHERE status = 'PENDING'")
    [ "$failed" -gt 0 ] && [ "$retriable" -lt "$failed" ] && [ "$oldest" -gt 0 ]
    echo "$output" | jq -e --argjson f "$failed" --argjson r "$retriable" --argjson o "$oldest" \
        '.queue.failed == $f and .queue.failed_retriable == $r and (.queue.oldest_pending_s - $o | fabs) <= 5'
}

# Wait up to 10 s for a speech worker to copy the last ANALYZE's lexeme
# frequencies (vc_lexemes_rank, which it calls when idle).
ranked() {
    local q="SELECT (SELECT analyzed_at FROM vc_lexemes_ranked) >= greatest(
                    pg_stat_get_last_analyze_time('audio_tracks'::regclass),
                    pg_stat_get_last_autoanalyze_time('audio_tracks'::regclass))"
    for _ in $(seq 1 100); do
        [ "$(psql_q -c "$q")" = t ] && return 0
        sleep 0.1
    done
    return 1
}

@test "a prefix that begins more than 16 words matches their 16 most common, the same on every page" {
    # zq begins 18 lexemes: zqcommon in 5 titles, zqrare01..17 in one each.
    psql_q -c "INSERT INTO audio_tracks (id, title, status)
               SELECT ('00000000-0000-4000-8000-' || lpad((940 + i)::text, 12, '0'))::uuid,
                      'Zqcommon ' || i, 'COMPLETED' FROM generate_series(1, 5) i
               UNION ALL
               SELECT ('00000000-0000-4000-8000-' || lpad((950 + i)::text, 12, '0'))::uuid,
                      'Zqrare' || lpad(i::text, 2, '0'), 'COMPLETED' FROM generate_series(1, 17) i"
    # Before the statistics know them, none is common: the prefix whole.
    [ "$(search 'q=zq' | jq .total)" = 22 ]
    psql_q -c "ANALYZE audio_tracks"
    ranked
    run search 'q=zq&limit=100'
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '.total == 20 and ([.items[].title | select(test("Zqrare1[67]"))] == [])'
    # A prefix that begins 16 or fewer stays exact: zqrare1 begins 10-17.
    [ "$(search 'q=zqrare1' | jq .total)" = 8 ]
    # Page by cursor while the commonest change: the pages keep the first
    # page's lexemes and visit its 20 rows once.
    p1=$(search 'q=zq&limit=8')
    psql_q -c "INSERT INTO audio_tracks (id, title, status)
               SELECT ('00000000-0000-4000-8000-' || lpad((970 + i)::text, 12, '0'))::uuid,
                      'Zqrare17 again ' || i, 'COMPLETED' FROM generate_series(1, 10) i"
    psql_q -c "ANALYZE audio_tracks"
    ranked
    c=$(jq -r .next_cursor <<<"$p1")
    p2=$(curl -s -G "$VOXCAT_URL/search?q=zq&limit=8" --data-urlencode "cursor=$c")
    c=$(jq -r .next_cursor <<<"$p2")
    p3=$(curl -s -G "$VOXCAT_URL/search?q=zq&limit=8" --data-urlencode "cursor=$c")
    fresh=$(search 'q=zq&limit=100')
    psql_q -c "DELETE FROM audio_tracks WHERE title LIKE 'Zq%'"
    jq -e '.has_more == false' <<<"$p3"
    [ "$(jq -s '[.[].items[].id] | length' <<<"$p1 $p2 $p3")" = 20 ]
    [ "$(jq -s '[.[].items[].id] | unique | length' <<<"$p1 $p2 $p3")" = 20 ]
    [ "$(jq -s '[.[].items[].title | select(test("Zqrare1[67]"))] | length' <<<"$p1 $p2 $p3")" = 0 ]
    # A new search takes the new commonest: zqrare17 now in 11 titles.
    jq -e '.total == 30 and ([.items[].title | select(test("Zqrare1[67]"))] | length) == 11' <<<"$fresh"
}
