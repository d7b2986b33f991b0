#!/usr/bin/env bash
# bench/search.sh - latency of a fixed set of catalog searches at size: a
# private stack, N generated tracks imported (default 100 000), then for
# each search the p50/p99 of sequential requests from one client (curl
# time_total over a kept-alive connection), a concurrent mix with wrk, and
# the SQL-level comparison behind the index choice (GIN + ts_rank against
# a RUM index ordering by <=>). Not a test: nothing here passes or fails.
#
#   bench/search.sh [N]          after the README's build; N tracks
#   BENCH_REQUESTS=300 BENCH_SECONDS=10 BENCH_CONNECTIONS=8 bench/search.sh
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${VOXCAT_BIN_DIR:-$src/fcgi}
tracks=${1:-100000}
requests=${BENCH_REQUESTS:-200}
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-8}
work=$(mktemp -d /tmp/vxsearch.XXXXXX)
chmod 755 "$work"

cleanup() {
    "$src/tests/stack" down "$work/stack" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$src/tests/stack" up "$work/stack" --workers "$(nproc)" >/dev/null
set -a
# shellcheck disable=SC1091
. "$work/stack/env"
set +a

echo "search bench: $tracks tracks, $requests sequential requests per search, $(nproc) workers"
"$src/tests/helpers/gen-catalog" "$tracks" --seed 42 >"$work/catalog.jsonl"
t0=$(date +%s.%N)
"$bin/voxcat" import "$work/catalog.jsonl" >/dev/null
t1=$(date +%s.%N)
awk -v n="$tracks" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "import: %.1f s, %.0f tracks/s (one transaction)\n", b - a, n / (b - a) }'
# The stack commits asynchronously: flush the WAL first, or VACUUM cannot
# mark the new pages all-visible and no index-only scan is planned.
psql -Xq -c "CHECKPOINT" -c "VACUUM ANALYZE audio_tracks"
id=$(psql -XAt -c "SELECT id FROM audio_tracks ORDER BY created_at DESC LIMIT 1")

# label|path: the searches, from common words to narrow filters.
searches=(
    "common word (blue)|/search?q=blue"
    "rare word (sakura)|/search?q=sakura"
    "typing a prefix (ele)|/search?q=ele"
    "two words, last a prefix|/search?q=golden+riv"
    "phrase|/search?q=%22blue+moon%22"
    "exclusion|/search?q=love+-night"
    "OR|/search?q=fire+OR+rain"
    "empty q (newest first)|/search"
    "filters only|/search?status=COMPLETED&genre=rock"
    "q + filters|/search?q=love&format=mp3&year_from=1990&year_to=2010"
    "q sorted by year|/search?q=dream&sort=year"
    "deep page (offset 1000)|/search?q=blue&offset=1000"
    "facets for q|/search/facets?q=love"
    "facets, whole catalog|/search/facets"
    "one track|/search/$id"
)

# Nearest-rank percentile of the numbers on stdin (seconds), in ms.
pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.1f", v[i] * 1000 }'; }

printf '\n%-34s %8s %9s %9s\n' "search" "matches" "p50 ms" "p99 ms"
paths=()
for s in "${searches[@]}"; do
    label=${s%%|*}
    path=${s#*|}
    paths+=("$path")
    url=$VOXCAT_URL$path
    code=$(curl -s -o "$work/body" -w '%{http_code}' "$url")
    [ "$code" = 200 ] || { echo "bench: $path answered $code: $(head -c 300 "$work/body")" >&2; exit 1; }
    matches=$(jq -r '.total // 1' "$work/body")
    args=()     # one -o per URL: curl pairs them in order
    for _ in $(seq 1 "$requests"); do args+=(-o /dev/null "$url"); done
    curl -s "${args[@]:0:15}"      # warm the worker's statements
    curl -s -w '%{time_total}\n' "${args[@]}" >"$work/times"
    printf '%-34s %8s %9s %9s\n' "$label" "$matches" "$(pct 50 <"$work/times")" "$(pct 99 <"$work/times")"
done

if command -v wrk >/dev/null; then
    o=$(PATHS="${paths[*]}" wrk -t 2 -c "$conns" -d "${secs}s" --latency \
        -s "$src/bench/wrk_paths.lua" "$VOXCAT_URL" 2>&1)
    printf '\nall of the above in turn, %s connections for %ss: %s requests/s, p50 %s, p99 %s\n' \
        "$conns" "$secs" "$(awk '/^Requests\/sec:/ {print $2}' <<<"$o")" \
        "$(awk '$1 == "50%" {print $2}' <<<"$o")" "$(awk '$1 == "99%" {print $2}' <<<"$o")"
    grep -q 'Non-2xx' <<<"$o" && echo "bench: wrk saw errors: $(grep Non-2xx <<<"$o")" >&2
else
    echo "(wrk is not installed: no concurrent row)"
fi

# The index choice (README, "Speed"): the ranked top 20 the way voxcat runs
# it (GIN bitmap scan + ts_rank + top-N sort) against a RUM index returning
# rows in `search_vector <=> q` order, for an exact word and for the prefix
# queries search-as-you-type sends. "same order" compares the ranks of the
# 20 rows each returns. GIN first, then RUM with the GIN index dropped.
queries=("blue" "blue:*" "ele:*" "love & nig:*")
# exec_ms SQL: median execution time of 9 runs, from EXPLAIN ANALYZE.
exec_ms() {
    for _ in $(seq 1 9); do
        psql -XAt -c "SET client_min_messages = warning" -c "EXPLAIN (ANALYZE, TIMING OFF) $1" |
            awk '/Execution Time/ {print $3 / 1000}'
    done | pct 50
}
ranked() {  # ranked TSQUERY ORDER: the statement and the ranks it returns
    local tsq="to_tsquery('simple', '$1')"
    sql="SELECT ts_rank(search_vector, $tsq) AS r FROM audio_tracks WHERE search_vector @@ $tsq ORDER BY $2 LIMIT 20"
    ranks=$(psql -XAt -c "SET client_min_messages = warning" -c "SELECT string_agg(r::text, ',') FROM ($sql) x")
}
declare -A gin_ms gin_ranks matches
for q in "${queries[@]}"; do
    ranked "$q" "r DESC"
    gin_ms[$q]=$(exec_ms "$sql")
    gin_ranks[$q]=$ranks
    matches[$q]=$(psql -XAt -c "SELECT count(*) FROM audio_tracks WHERE search_vector @@ to_tsquery('simple', '$q')")
done
if ! psql -Xq -c "CREATE EXTENSION IF NOT EXISTS rum" 2>/dev/null; then
    echo "(postgresql-15-rum is not installed: no GIN/RUM comparison)"
    exit 0
fi
psql -Xq -c "DROP INDEX audio_tracks_search" \
    -c "CREATE INDEX audio_tracks_rum_bench ON audio_tracks USING rum (search_vector rum_tsvector_ops)" \
    -c "ANALYZE audio_tracks"
printf '\n%-16s %8s %16s %12s %11s\n' "top 20 of" "matches" "GIN+ts_rank ms" "RUM <=> ms" "same order"
for q in "${queries[@]}"; do
    ranked "$q" "search_vector <=> to_tsquery('simple', '$q')"
    printf '%-16s %8s %16s %12s %11s\n' "$q" "${matches[$q]}" "${gin_ms[$q]}" "$(exec_ms "$sql")" \
        "$([ "$ranks" = "${gin_ranks[$q]}" ] && echo yes || echo NO)"
done
