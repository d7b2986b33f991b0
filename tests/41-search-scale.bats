#!/usr/bin/env bats
# Search past the exact-count bound: totals exact below it and flagged
# above it, facets said to be approximate, ranking by weight class beyond
# it (title/artist hits, then album, then the rest), deep pages by cursor
# that visit every row once while rows are added, and offset capped.

load helpers/common

setup_file() {
    stack_up
    # More tracks than VC_SEARCH_EXACT_MAX (2 000), with long-tail text so
    # that "love" (in most spoken texts) and the whole catalog cross it; a
    # few hundred without a year, so the NULLS LAST end of a sort by year
    # is paged too.
    "$VOXCAT_SRC_DIR/tests/helpers/gen-catalog" 5000 --seed 7 --long-tail >"$BATS_FILE_TMPDIR/catalog.jsonl"
    "$VOXCAT_BIN_DIR/voxcat" import "$BATS_FILE_TMPDIR/catalog.jsonl" --quiet
    psql_q -c "UPDATE audio_tracks SET year = NULL WHERE id IN (SELECT id FROM audio_tracks ORDER BY id LIMIT 300)" >/dev/null
    psql_q -c "ANALYZE audio_tracks" >/dev/null
}
teardown_file() { stack_down; }

search() { curl -s "$VOXCAT_URL/search?$1"; }
count() { psql_q -c "SELECT count(*) FROM audio_tracks${1:+ WHERE $1}"; }
# 400, naming FIELD, for the query string.
refused() {
    run curl -s -w '\n%{http_code}' "$VOXCAT_URL/search?$1"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = 400 ] || { echo "answered ${lines[-1]}: $output"; return 1; }
    echo "${lines[0]}" | jq -e --arg f "$2" '.error.field == $f' >/dev/null || { echo "$output"; return 1; }
}

# Page through QUERY by cursor with LIMIT rows a page, adding one track
# whose title holds WORD before each next page. Prints every id seen, one a
# line, in order; fails on a page that is not 200.
page_all() {
    local query=$1 word=$2 cursor='' body n=0
    while :; do
        body=$(curl -s -G "$VOXCAT_URL/search?$query" --data-urlencode "cursor=$cursor")
        jq -e '.items | type == "array"' >/dev/null <<<"$body" || { echo "bad page: $body" >&2; return 1; }
        jq -r '.items[].id' <<<"$body"
        [ "$(jq -r .has_more <<<"$body")" = true ] || break
        cursor=$(jq -r .next_cursor <<<"$body")
        n=$((n + 1))
        psql_q -c "INSERT INTO audio_tracks (title, artist, year, status)
                   VALUES ('$word added $n', 'Late Comer', 1990 + $n % 30, 'PENDING')" >/dev/null
    done
}

@test "the search vector's statistics are lz4, which the planner undoes at every plan" {
    [ "$(psql_q -c "SHOW default_toast_compression")" = lz4 ]
    # Only values past the toast threshold are compressed at all; the
    # vector's and its class indexes' lexemes are.
    run psql_q -c "SELECT DISTINCT pg_column_compression(stavalues1) FROM pg_statistic
                   WHERE starelid IN ('audio_tracks'::regclass, 'audio_tracks_search_a'::regclass,
                                      'audio_tracks_search_ab'::regclass)
                     AND pg_column_compression(stavalues1) IS NOT NULL"
    [ "$status" -eq 0 ]
    [ "$output" = lz4 ]
    [ "$(psql_q -c "SELECT count(*) FROM pg_statistic WHERE starelid = 'audio_tracks_search_a'::regclass
                      AND pg_column_compression(stavalues1) = 'lz4'")" = 1 ]
}

@test "a word with a genre or a decade is found in the search index alone" {
    # The index holds genre and decade as keys (017): one GIN condition,
    # no btree bitmap of every row of the decade ANDed to it. (A genre is
    # as small as a btree's bitmap at this size, where the planner rightly
    # takes the btree; at a million tracks it takes the GIN.)
    psql_q -c "SELECT pg_get_indexdef('audio_tracks_search'::regclass)" |
        grep -qF 'USING gin (search_vector, genre, ((year / 10)))'
    run psql_q -c "EXPLAIN (FORMAT JSON) SELECT 1 FROM audio_tracks t
                   WHERE t.search_vector @@ 'gold'::tsquery AND t.year / 10 = 199"
    [ "$status" -eq 0 ]
    echo "$output" | jq -e '[.. | objects | select(has("Node Type"))] as $n |
        ($n | map(select(.["Node Type"] == "BitmapAnd")) == []) and
        any($n[]; .["Index Name"] == "audio_tracks_search" and (.["Index Cond"] | test("gold.*year / 10")))'
    # /search asks for a whole decade that way (and for other ranges by
    # their bounds): the statement it ran, from the server's log.
    log=$STACK_DIR/pg/postgres.log
    psql_q -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
    mark=$(wc -l <"$log")
    body=$(search 'q=love&year_from=1990&year_to=1999')
    body2=$(search 'q=love&year_from=1991&year_to=1999')
    psql_q -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
    tail -n "+$((mark + 1))" "$log" | grep -q 'AND t.year / 10 = \$'
    tail -n "+$((mark + 1))" "$log" | grep -q 'AND t.year >= \$'
    echo "$body" | jq -e '.total > 0'
    echo "$body2" | jq -e '.total > 0'
}

@test "below the bound the total is exact and says so" {
    body=$(search 'q=sakura')
    n=$(count "search_vector @@ to_tsquery('simple', 'sakura:*')")
    [ "$n" -gt 0 ] && [ "$n" -le 2000 ]
    echo "$body" | jq -e --argjson n "$n" '.total == $n and .total_is_estimate == false'
    search 'status=FAILED' | jq -e --argjson n "$(count "status = 'FAILED'")" '.total == $n and .total_is_estimate == false'
}

@test "above the bound the total is an estimate, flagged, and has_more stays exact" {
    n=$(count)
    [ "$n" -gt 2000 ]
    body=$(search 'limit=5')
    echo "$body" | jq -e '.total_is_estimate == true and .total > 2000 and .has_more == true'
    echo "$body" | jq -e '(.items | length) == 5 and (.next_cursor | type) == "string"'
    # The last page of a big result: has_more false although the total is estimated.
    c=$(count "status = 'COMPLETED'")
    [ "$c" -gt 2000 ]
    search "status=COMPLETED&limit=5&offset=$((c - 3))" |
        jq -e '.total_is_estimate == true and .has_more == false and (.items | length) == 3'
}

@test "facets: exact below the bound, approximate and flagged above it" {
    curl -s "$VOXCAT_URL/search/facets?q=sakura" | jq -e '.approximate == false and .total_is_estimate == false'
    f=$(curl -s "$VOXCAT_URL/search/facets")
    echo "$f" | jq -e '.approximate == true and .total_is_estimate == true and .total > 2000'
    # Scaled from a sample, the status counts still add up to about the total.
    echo "$f" | jq -e '([.status[].count] | add) as $s | ($s - .total | fabs) < .total * 0.05'
}

@test "cursor paging by date and by weight class visits every row once while rows are added" {
    for query in 'q=moon&sort=created_at' 'q=love'; do
        word=${query#q=}; word=${word%%&*}
        before=$(psql_q -c "SELECT id FROM audio_tracks WHERE search_vector @@ to_tsquery('simple', '$word:*') ORDER BY id")
        page_all "$query&limit=100" "$word" >"$BATS_TEST_TMPDIR/seen"
        [ "$(sort "$BATS_TEST_TMPDIR/seen" | uniq -d | wc -l)" -eq 0 ] || { echo "$query: a row twice"; return 1; }
        [ "$(comm -23 <(echo "$before") <(sort "$BATS_TEST_TMPDIR/seen") | wc -l)" -eq 0 ] || { echo "$query: a row missed"; return 1; }
        [ "$(echo "$before" | wc -l)" -gt 100 ]
    done
}

@test "cursor paging by rank, by year (with NULLs) and by title visits every row once" {
    for sort in 'sort=rank' 'sort=year&order=asc' 'sort=year' 'sort=title'; do
        before=$(psql_q -c "SELECT id FROM audio_tracks WHERE search_vector @@ to_tsquery('simple', 'moon:*') ORDER BY id")
        page_all "q=moon&$sort&limit=100" moon >"$BATS_TEST_TMPDIR/seen"
        [ "$(sort "$BATS_TEST_TMPDIR/seen" | uniq -d | wc -l)" -eq 0 ] || { echo "$sort: a row twice"; return 1; }
        [ "$(comm -23 <(echo "$before") <(sort "$BATS_TEST_TMPDIR/seen") | wc -l)" -eq 0 ] || { echo "$sort: a row missed"; return 1; }
    done
    # The NULL years were among them, at the end of both orders.
    [ "$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE year IS NULL AND search_vector @@ to_tsquery('simple', 'moon:*')")" -gt 0 ]
}

@test "the first cursor page equals the same rows by offset, in both rankings" {
    for q in blue love; do
        p1=$(search "q=$q&limit=20")
        c=$(echo "$p1" | jq -r .next_cursor)
        a=$(curl -s -G "$VOXCAT_URL/search?q=$q&limit=20" --data-urlencode "cursor=$c" | jq -c '[.items[].id]')
        b=$(search "q=$q&limit=20&offset=20" | jq -c '[.items[].id]')
        [ "$a" = "$b" ] || { echo "q=$q: cursor and offset pages differ"; return 1; }
        [ "$(echo "$a" | jq length)" -eq 20 ]
    done
    search 'q=blue' | jq -e '.ranking == "exact"'
    search 'q=love' | jq -e '.ranking == "weight_class"'
}

# Every page of Q (a query string) by cursor, in the weight-class ranking
# of TSQ (its tsquery in SQL): the ranks never rise, each class holds
# exactly its rows, newest first within a class, and no row comes twice.
class_pages() {
    local q=$1 tsq=$2 a b all cursor='' body
    search "$q" | jq -e '.total_is_estimate == true and .ranking == "weight_class"' >/dev/null ||
        { echo "$q: not ranked by weight class"; return 1; }
    a=$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE ts_filter(search_vector, '{a}') @@ $tsq")
    b=$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE ts_filter(search_vector, '{a,b}') @@ $tsq AND NOT ts_filter(search_vector, '{a}') @@ $tsq")
    all=$(psql_q -c "SELECT count(*) FROM audio_tracks WHERE search_vector @@ $tsq")
    [ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ "$all" -gt "$((a + b))" ] || { echo "$q: classes $a $b $all"; return 1; }
    : >"$BATS_TEST_TMPDIR/rows"
    while :; do
        body=$(curl -s -G "$VOXCAT_URL/search?$q&limit=100" --data-urlencode "cursor=$cursor")
        jq -r '.items[] | "\(.rank) \(.created_at) \(.id)"' <<<"$body" >>"$BATS_TEST_TMPDIR/rows"
        [ "$(jq -r .has_more <<<"$body")" = true ] || break
        cursor=$(jq -r .next_cursor <<<"$body")
    done
    [ "$(wc -l <"$BATS_TEST_TMPDIR/rows")" -eq "$all" ] || { echo "$q: not $all rows"; return 1; }
    [ "$(awk '$1 == 1' "$BATS_TEST_TMPDIR/rows" | wc -l)" -eq "$a" ] || { echo "$q: class A"; return 1; }
    [ "$(awk '$1 == 0.4' "$BATS_TEST_TMPDIR/rows" | wc -l)" -eq "$b" ] || { echo "$q: class B"; return 1; }
    sort -s -k1,1gr -k2,2r "$BATS_TEST_TMPDIR/rows" | cmp - "$BATS_TEST_TMPDIR/rows" || { echo "$q: order"; return 1; }
    [ "$(cut -d' ' -f3 "$BATS_TEST_TMPDIR/rows" | sort | uniq -d | wc -l)" -eq 0 ] || { echo "$q: a row twice"; return 1; }
    [ "$all" -gt 2000 ]
}

@test "past the bound a title/artist hit outranks an album hit, which outranks the rest, on every page" {
    class_pages 'q=love' "websearch_to_tsquery('simple', 'love')"
    # The crafted rows of 40-catalog, added here: the title hit is first.
    psql_q -c "INSERT INTO audio_tracks (title, artist, album, genre, status, created_at) VALUES
        ('Quietly Zebrafish', 'X', 'Y', 'Z', 'COMPLETED', now() - interval '3 days'),
        ('A', 'B', 'Zebrafish Album', 'Z', 'COMPLETED', now() - interval '2 days'),
        ('C', 'D', 'E', 'zebrafish', 'COMPLETED', now() - interval '1 day')" >/dev/null
    search 'q=zebrafish' | jq -e '[.items[].title] == ["Quietly Zebrafish", "A", "C"]'
}

@test "a phrase past the bound is ranked by weight class too, whichever way its class is read" {
    # 12,000 rows with both words, and the phrase in a fifth of them: in
    # the title (class A) among the newest and the oldest, the album (B)
    # and the genre (C); its class A is dense among the newest rows, B
    # sparse (read whole), C in between (read among more rows).
    psql_q -c "INSERT INTO audio_tracks (title, album, genre, status, created_at)
        SELECT CASE WHEN i % 16 = 0 OR (i > 11500 AND i % 4 = 0) THEN 'quokka wombat ' || i ELSE 'wombat ' || i || ' quokka' END,
               CASE WHEN i % 97 = 1 THEN 'quokka wombat' ELSE 'album' END,
               CASE WHEN i % 9 = 2 THEN 'quokka wombat' ELSE 'genre' END,
               'COMPLETED', now() + i * interval '1 second'
        FROM generate_series(1, 12000) i" >/dev/null
    psql_q -c "ANALYZE audio_tracks" >/dev/null
    class_pages 'q=%22quokka+wombat%22' "websearch_to_tsquery('simple', '\"quokka wombat\"')"
    psql_q -c "DELETE FROM audio_tracks WHERE title LIKE '%quokka%'" >/dev/null
}

@test "the last page has no next_cursor" {
    search 'q=sakura&limit=100&offset=0' >/dev/null
    n=$(search 'q=sakura' | jq .total)
    search "q=sakura&limit=5&offset=$((n - 3))" | jq -e '.has_more == false and .next_cursor == null and (.items | length) == 3'
}

@test "offset past the cap is 400 naming offset and pointing to cursor" {
    refused 'offset=10001' offset
    curl -s "$VOXCAT_URL/search?offset=10001" | jq -e '.error.message | test("cursor")'
    search 'offset=10000&limit=1' | jq -e '.offset == 10000'
}

@test "a bad cursor is 400 naming cursor, never a 500" {
    good=$(search 'q=love&limit=5' | jq -r .next_cursor)
    refused "cursor=not-base64!" cursor
    refused "cursor=$(printf '{"o":1}' | base64 -w0 | tr '+/' '-_' | tr -d =)" cursor
    refused "q=love&sort=title&cursor=$good" cursor         # another order
    refused "q=love&cursor=$good&offset=5" cursor           # both
    # Well-formed, but a value the column's type refuses.
    forged=$(printf '{"o":"rank.desc.q","v":["0.5","yesterday-ish","00000000-0000-4000-8000-000000000001"]}' |
             base64 -w0 | tr '+/' '-_' | tr -d =)
    refused "q=love&cursor=$forged" cursor
    forged=$(printf '{"o":"rank.desc.q","v":["0.5","2020-01-01 00:00:00+00","not-a-uuid"]}' |
             base64 -w0 | tr '+/' '-_' | tr -d =)
    refused "q=love&cursor=$forged" cursor
    # The prefix's lexemes a cursor carries: what vc_prefix_tsquery
    # writes, or refused (PostgreSQL would call anything else a syntax
    # error, a 500).
    keys='"o":"rank.desc.q","v":["0.5","2020-01-01 00:00:00+00","00000000-0000-4000-8000-000000000001"]'
    while read -r x; do
        forged=$(printf '{%s,"x":%s}' "$keys" "$x" | base64 -w0 | tr '+/' '-_' | tr -d =)
        refused "q=love&cursor=$forged" cursor
    done <<'X'
5
"'love' & ("
"''"
"'love' | "
"'lo\\"
"love"
X
    while read -r x; do
        forged=$(printf '{%s,"x":%s}' "$keys" "$x" | base64 -w0 | tr '+/' '-_' | tr -d =)
        run curl -s -o /dev/null -w '%{http_code}' "$VOXCAT_URL/search?q=love&cursor=$forged"
        [ "$output" = 200 ]
    done <<'X'
null
"'love' | 'lovely'"
"'lo''ve'"
"'lo\\\\ve'"
X
}
