# bench/catalog.sh - the catalog rows of bench/run (sourced by it): import
# of 100 000 generated tracks next to psql \copy of the same rows, and
# /search over a word mix next to pgbench running the same SQL with the
# same concurrency. Uses add_row, wrk_run, $work, $src, $secs, $conns.

bench_tracks=${BENCH_TRACKS:-100000}
words="love night blue heart mid ele caf dream fire summer golden river whisper thunder sakura"

"$src/tests/helpers/gen-catalog" "$bench_tracks" --seed 42 >"$work/catalog.jsonl"
# The same rows as COPY text, for the reference.
python3 - "$work/catalog.jsonl" >"$work/catalog.tsv" <<'PY'
import json, sys
cols = ["status", "title", "artist", "album", "genre", "year", "duration", "channels",
        "sample_rate", "bitrate", "format", "audio_path", "error_message", "retry_count"]
def esc(v):
    if v is None:
        return "\\N"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    r.setdefault("retry_count", 0)
    print("\t".join(esc(r.get(c)) for c in cols))
PY

psql -Xq -c "TRUNCATE audio_tracks"
t0=$(date +%s.%N)
psql -Xq -c "\\copy audio_tracks (status, title, artist, album, genre, year, duration, channels, sample_rate, bitrate, format, audio_path, error_message, retry_count) FROM '$work/catalog.tsv'"
t1=$(date +%s.%N)
psql -Xq -c "TRUNCATE audio_tracks"
"$src/fcgi/voxcat" import "$work/catalog.jsonl" >/dev/null
t2=$(date +%s.%N)
ref=$(awk -v n="$bench_tracks" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n / (b - a)}')
vox=$(awk -v n="$bench_tracks" -v a="$t1" -v b="$t2" 'BEGIN{printf "%.0f", n / (b - a)}')
add_row "import: voxcat import of $bench_tracks tracks (rows/s)" "$vox" "$ref" "psql \\copy of the same rows" "-" "-" \
    "import also validates every line and runs in one transaction"
psql -Xq -c "VACUUM ANALYZE audio_tracks"

# The SQL vc_search runs for q=WORD (count, then the ranked page), with the
# word in place of the parameters, as pgbench scripts.
mkdir -p "$work/pgb"
scripts=()
for w in $words; do
    tsq="(websearch_to_tsquery('simple', '') \&\& to_tsquery('simple', '''$w'':*'))"
    cat >"$work/pgb/$w.sql" <<SQL
SELECT count(*) FROM audio_tracks t WHERE t.search_vector @@ $tsq;
SELECT coalesce(jsonb_agg(vc_track_json(p.tr) || jsonb_build_object('rank', round(p.rank::numeric, 6), 'headline', ts_headline('simple', concat_ws(' — ', p.title, p.artist, p.album, p.genre), $tsq, 'StartSel=<b>, StopSel=</b>, HighlightAll=true')) ORDER BY p.rank DESC, p.created_at DESC, p.id), '[]')::text FROM (SELECT t AS tr, ts_rank(t.search_vector, $tsq) AS rank, t.id, t.title, t.artist, t.album, t.genre, t.year, t.duration, t.created_at, t.updated_at FROM audio_tracks t WHERE t.search_vector @@ $tsq ORDER BY rank DESC, t.created_at DESC, t.id LIMIT 20 OFFSET 0) p;
SQL
    sed -i 's/\\&/\&/g' "$work/pgb/$w.sql"
    scripts+=(-f "$work/pgb/$w.sql")
done
pg_out=$(/usr/lib/postgresql/15/bin/pgbench -n -M prepared -c "$conns" -j 2 -T "$secs" "${scripts[@]}" 2>&1)
pg_tps=$(awk '/^tps = / {print $3}' <<<"$pg_out")
read -r rate p50 p99 < <(WORDS="$words" wrk_run -s "$src/bench/wrk_search.lua" "$VOXCAT_URL")
add_row "search: GET /search?q= over a word mix, $bench_tracks tracks" "$rate" "${pg_tps:-0}" \
    "pgbench -M prepared, same SQL" "$p50" "$p99"
