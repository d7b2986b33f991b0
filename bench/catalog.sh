# bench/catalog.sh - the catalog rows of bench/run (sourced by it), on
# BENCH_TRACKS generated tracks (default 1 000 000, long-tail text):
#   - import: voxcat import next to psql \copy of the same rows, same indexes;
#   - search: a typed-search mix of distinct queries (bench/search_mix)
#     through voxcat, next to the same mix through a php-fpm + PDO page
#     running the naive SQL (bench/search.php), and voxcat's own SQL for
#     the same requests, captured from PostgreSQL's log, run by pgbench.
# Uses add_row, wrk_run, $work, $src, $secs, $conns, $workers.

bench_tracks=${BENCH_TRACKS:-1000000}
echo "catalog: generating $bench_tracks tracks" >&2
"$src/tests/helpers/gen-catalog" "$bench_tracks" --seed 42 --long-tail >"$work/catalog.jsonl"
# The same rows as COPY text, for the reference.
python3 - "$work/catalog.jsonl" >"$work/catalog.tsv" <<'PY'
import json, sys
cols = ["status", "title", "artist", "album", "genre", "year", "duration", "channels",
        "sample_rate", "bitrate", "format", "audio_path", "error_message", "retry_count", "text"]
def esc(v):
    if v is None:
        return "\\N"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    r.setdefault("retry_count", 0)
    print("\t".join(esc(r.get(c)) for c in cols))
PY

echo "catalog: import, then psql \\copy" >&2
psql -Xq -c "TRUNCATE audio_tracks"
t0=$(date +%s.%N)
psql -Xq -c "\\copy audio_tracks (status, title, artist, album, genre, year, duration, channels, sample_rate, bitrate, format, audio_path, error_message, retry_count, text) FROM '$work/catalog.tsv'"
t1=$(date +%s.%N)
psql -Xq -c "TRUNCATE audio_tracks"
"$src/fcgi/voxcat" import "$work/catalog.jsonl" --quiet
t2=$(date +%s.%N)
ref=$(awk -v n="$bench_tracks" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n / (b - a)}')
vox=$(awk -v n="$bench_tracks" -v a="$t1" -v b="$t2" 'BEGIN{printf "%.0f", n / (b - a)}')
add_row "import: voxcat import of $bench_tracks tracks (rows/s)" "$vox" "$ref" "psql \\copy of the same rows" "-" "-" \
    "import also validates every line and runs in one transaction"
# Flush first, or VACUUM cannot mark the new pages all-visible; and
# again after, since marking them dirties every page of the table, which
# the checkpointer would otherwise be writing out during the rows below.
psql -Xq -c "CHECKPOINT" -c "VACUUM ANALYZE audio_tracks" -c "CHECKPOINT"

"$src/bench/search_mix" "$work/catalog.jsonl" 20000 --seed 3 >"$work/mix"
# Another draw, to warm up on: a server has been answering before it is
# measured (its backends' caches, the plans' catalog look-ups), but none
# of the measured queries is asked in the warm-up. 10 s runs started cold
# gave p99 31-39 ms where warmed ones gave 31.
"$src/bench/search_mix" "$work/catalog.jsonl" 5000 --seed 4 | { grep -vxFf "$work/mix" || true; } >"$work/mix_warm"
warm_up() {
    PATHS_FILE=$work/mix_warm wrk -t 2 -c "$conns" -d 3s -s "$src/bench/wrk_paths.lua" "$1" >/dev/null 2>&1 || true
}
# Warm the caches the same way for everyone: the table and its indexes
# read into shared buffers (a sequential scan would go through a small
# ring and leave them cold for whichever row runs first).
psql -Xq -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
    -c "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.oid = 'audio_tracks'::regclass
        OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'audio_tracks'::regclass)" >/dev/null

# voxcat over the whole mix (distinct queries).
warm_up "$VOXCAT_URL"
read -r vrate vp50 vp99 < <(PATHS_FILE=$work/mix wrk_run -s "$src/bench/wrk_paths.lua" "$VOXCAT_URL")

# The PHP page: php-fpm with as many children as voxcat has workers, its
# own nginx, the same database.
php_fpm=$(command -v php-fpm8.2 || command -v php-fpm || true)
if [ -n "$php_fpm" ] && php -m 2>/dev/null | grep -qx pdo_pgsql; then
    mkdir -p "$work/php"
    php_port=$((29000 + RANDOM % 1000))
    cat >"$work/php/fpm.conf" <<CONF
[global]
pid = $work/php/fpm.pid
error_log = $work/php/fpm.log
daemonize = yes
[bench]
user = root
listen = $work/php/fpm.sock
listen.mode = 0666
pm = static
pm.max_children = $workers
clear_env = no
CONF
    cat >"$work/php/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $work/php/nginx.pid;
error_log $work/php/nginx.log;
events { worker_connections 256; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$php_port;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $src/bench/search.php;
            fastcgi_pass unix:$work/php/fpm.sock;
        }
    }
}
CONF
    "$php_fpm" -R -y "$work/php/fpm.conf"
    nginx -p "$work/php" -c "$work/php/nginx.conf" -e "$work/php/nginx.log"
    php_down() {
        kill "$(cat "$work/php/nginx.pid")" "$(cat "$work/php/fpm.pid")" 2>/dev/null || true
    }
    code=$(curl -s -o "$work/php/probe" -w '%{http_code}' "http://127.0.0.1:$php_port/search?q=love")
    if [ "$code" = 200 ]; then
        warm_up "http://127.0.0.1:$php_port"
        read -r prate pp50 pp99 < <(PATHS_FILE=$work/mix wrk_run -s "$src/bench/wrk_paths.lua" "http://127.0.0.1:$php_port")
    else
        echo "bench: the PHP page answered $code: $(head -c 300 "$work/php/probe")" >&2
        prate=0
    fi
    php_down
else
    echo "bench: php-fpm with pdo_pgsql is missing (apt-get install php-fpm php-pgsql): no PHP row" >&2
    prate=0
fi
add_row "search: typed mix of 20 000 distinct queries, $bench_tracks tracks" "$vrate" "$prate" \
    "php-fpm + PDO page, naive SQL (GIN + ts_rank + count(*) OVER ())" "$vp50" "$vp99" \
    "PHP page p50 ${pp50:--}, p99 ${pp99:--}"

# voxcat's own SQL: log what the workers run for the first 120 queries of
# the mix, then pgbench runs it (one script per request) while voxcat
# serves the same 120 queries.
log=$work/stack/pg/postgres.log
from=$(($(stat -c %s "$log") + 1))
psql -Xq -c "ALTER SYSTEM SET log_min_duration_statement = 0" -c "SELECT pg_reload_conf()" >/dev/null
head -120 "$work/mix" | sed "s|^|$VOXCAT_URL|" | xargs -n 1 curl -s -o /dev/null
psql -Xq -c "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
tail -c +"$from" "$log" >"$work/search.log"
n=$("$src/bench/sql_from_log" "$work/search.log" "$work/pgb" 120)
scripts=()
for f in "$work"/pgb/*.sql; do scripts+=(-f "$f"); done
pg_out=$(/usr/lib/postgresql/15/bin/pgbench -n -M extended -c "$conns" -j 2 -T "$secs" "${scripts[@]}" 2>&1)
pg_tps=$(awk '/^tps = / {print $3}' <<<"$pg_out")
head -120 "$work/mix" >"$work/mix120"
read -r rate p50 p99 < <(PATHS_FILE=$work/mix120 wrk_run -s "$src/bench/wrk_paths.lua" "$VOXCAT_URL")
add_row "search: the first $n queries of the mix" "$rate" "${pg_tps:-0}" \
    "pgbench -M extended running voxcat's own SQL for them" "$p50" "$p99"
