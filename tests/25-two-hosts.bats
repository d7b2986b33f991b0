#!/usr/bin/env bats
# Two voxcat hosts, one database: each host (voxcat-fcgi with its own disk
# cache, and its own nginx) lives in a network namespace of its own, both
# behind one nginx upstream in a third namespace, bridged on private
# addresses that exist only inside these namespaces; PostgreSQL is the
# test stack's, reached on its unix socket. Skipped with a message where
# namespaces cannot be made.

load helpers/common

NET=10.231.0
hosts=(a b)
ip_of() { case $1 in lb) echo "$NET.1" ;; a) echo "$NET.2" ;; b) echo "$NET.3" ;; esac; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Where the namespaces cannot be made, NO_NS says why and every test is
# skipped with it (a skip in setup_file made bats 1.8 fail teardown_file).
setup_file() {
    if ! command -v ip >/dev/null; then
        export NO_NS="iproute2 is missing"
        return 0
    fi
    export NS_LB=vxlb$$ NS_A=vxa$$ NS_B=vxb$$
    if ! ip netns add "$NS_LB" 2>/dev/null; then
        export NO_NS="cannot make network namespaces here (needs root and CAP_SYS_ADMIN)"
        return 0
    fi
    # A namespace is not enough: a chroot may refuse the bridge, or the
    # mounts `ip netns exec` makes (its / is no mount point).
    if ! ip -n "$NS_LB" link add br0 type bridge 2>/dev/null || ! ip netns exec "$NS_LB" true 2>/dev/null; then
        ip netns del "$NS_LB" 2>/dev/null
        export NO_NS="cannot make a bridge in a network namespace, or enter one, here"
        return 0
    fi
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    stack_up --workers 1 --api-workers 1
    ip -n "$NS_LB" addr add "$(ip_of lb)/24" dev br0
    ip -n "$NS_LB" link set br0 up
    ip -n "$NS_LB" link set lo up
    for h in "${hosts[@]}"; do
        local ns=NS_${h^^}
        ip -n "$NS_LB" link add "v$h" type veth peer name eth0 netns "${!ns}"
        ip -n "$NS_LB" link set "v$h" master br0 up
        ip -n "${!ns}" addr add "$(ip_of "$h")/24" dev eth0
        ip -n "${!ns}" link set eth0 up
        ip -n "${!ns}" link set lo up
        host_up "$h"
    done
    lb_up
}

setup() { [ -z "${NO_NS:-}" ] || skip "$NO_NS"; }

teardown_file() {
    [ -z "${NO_NS:-}" ] || return 0
    for h in a b; do host_down "$h"; done
    [ -f "$STACK_DIR/lb/nginx.pid" ] && kill "$(cat "$STACK_DIR/lb/nginx.pid")" 2>/dev/null
    # Whatever still runs in the namespaces (an orphaned nginx worker of a
    # killed host) goes with them.
    for ns in "${NS_LB:-}" "${NS_A:-}" "${NS_B:-}"; do
        [ -n "$ns" ] || continue
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    stack_down
    true
}

# A host: voxcat-fcgi (both pools) with its own cache and sockets, and an
# nginx with voxcat's snippet, listening on the host's address.
host_up() {
    local h=$1 d=$STACK_DIR/host-$1 ns=NS_${1^^}
    mkdir -p "$d/run" "$d/cache" "$d/nginx"
    chmod 755 "$d" "$d/cache"
    { grep -v -e '^VOXCAT_LISTEN=' -e '^VOXCAT_API_LISTEN=' -e '^VOXCAT_CACHE_DIR=' \
            -e '^VOXCAT_WORKERS=' -e '^VOXCAT_API_WORKERS=' "$STACK_DIR/voxcat.env"
      echo "VOXCAT_LISTEN=unix:$d/run/voxcat.sock"
      echo "VOXCAT_API_LISTEN=unix:$d/run/voxcat-api.sock"
      echo "VOXCAT_CACHE_DIR=$d/cache"
      echo "VOXCAT_WORKERS=2"
      echo "VOXCAT_API_WORKERS=1"
      echo "VOXCAT_LISTEN_MODE=0666"; } >"$d/env"
    in_ns "${!ns}" setsid "$VOXCAT_BIN_DIR/voxcat-fcgi" --env-file "$d/env" --pid-file "$d/voxcat.pid" \
        </dev/null >>"$d/voxcat.log" 2>&1 3>&- &
    wait_until 20 test -s "$d/voxcat.pid"
    cp /etc/nginx/fastcgi_params /etc/nginx/mime.types "$d/nginx/"
    sed -e "s|/var/cache/voxcat|$d/cache|g" \
        -e "s|/usr/local/share/voxcat/www|$VOXCAT_SRC_DIR/www|g" \
        "$VOXCAT_SRC_DIR/nginx/voxcat.conf" >"$d/nginx/voxcat.conf"
    sed -e "s|unix:/run/voxcat/voxcat.sock|unix:$d/run/voxcat.sock|g" \
        -e "s|unix:/run/voxcat/voxcat-api.sock|unix:$d/run/voxcat-api.sock|g" \
        -e "s|rate=5r/s|rate=10000r/s|" \
        "$VOXCAT_SRC_DIR/nginx/voxcat-http.conf" >"$d/nginx/voxcat-http.conf"
    cat >"$d/nginx/nginx.conf" <<CONF
user $(id -un);
pid $d/nginx.pid;
error_log $d/nginx-error.log;
events { worker_connections 256; }
http {
    include mime.types;
    access_log off;
    client_body_temp_path $d/nginx;
    fastcgi_temp_path $d/nginx;
    include voxcat-http.conf;
    server {
        listen $(ip_of "$h"):8080;
        include voxcat.conf;
    }
}
CONF
    in_ns "${!ns}" nginx -c "$d/nginx/nginx.conf" -e "$d/nginx-error.log" </dev/null >/dev/null 2>&1 3>&-
    wait_until 10 in_ns "$NS_LB" curl -sf -o /dev/null "http://$(ip_of "$h"):8080/status/live"
}

host_down() {
    local d=$STACK_DIR/host-$1
    [ -f "$d/nginx.pid" ] && kill "$(cat "$d/nginx.pid")" 2>/dev/null
    if [ -f "$d/voxcat.pid" ]; then
        kill -TERM "$(cat "$d/voxcat.pid")" 2>/dev/null
        # Gone, or a zombie nobody reaps (a host killed by the test).
        wait_until 20 bash -c "! kill -0 $(cat "$d/voxcat.pid") 2>/dev/null ||
            grep -q '^State:.*Z' /proc/$(cat "$d/voxcat.pid")/status"
    fi
    true
}

# The load balancer: one nginx upstream over both hosts; a request a dead
# host cannot take goes to the other (POST too: it never reached voxcat).
lb_up() {
    local d=$STACK_DIR/lb
    mkdir -p "$d"
    cat >"$d/nginx.conf" <<CONF
user $(id -un);
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $d;
    proxy_temp_path $d;
    upstream voxcat_hosts {
        server $(ip_of a):8080 max_fails=1 fail_timeout=10s;
        server $(ip_of b):8080 max_fails=1 fail_timeout=10s;
    }
    server {
        listen $(ip_of lb):8080;
        location / {
            proxy_pass http://voxcat_hosts;
            proxy_connect_timeout 1s;
            # A 502 is the host's nginx finding its voxcat gone: the
            # request never reached a worker, so another host may take it.
            proxy_next_upstream error timeout http_502 non_idempotent;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
CONF
    in_ns "$NS_LB" nginx -c "$d/nginx.conf" -e "$d/error.log" </dev/null >/dev/null 2>&1 3>&-
    wait_until 10 in_ns "$NS_LB" curl -sf -o /dev/null "http://$(ip_of lb):8080/status/live"
}

LB() { echo "http://$(ip_of lb):8080"; }
host_url() { echo "http://$(ip_of "$1"):8080"; }
lb_curl() { in_ns "$NS_LB" curl -sS --max-time 30 "$@"; }
syntheses() {
    lb_curl "$(host_url "$1")/status/metrics" | awk '$1 == "voxcat_syntheses_total{engine=\"espeak\"}" {print $2}'
}
speak() {   # speak URL TEXT: POST /tts; prints "code track-id upstream"
    lb_curl -o /dev/null -D - -w '%{http_code}\n' -X POST "$1/tts" -H "Authorization: Bearer $VOXCAT_TOKEN" \
        -H 'Content-Type: application/json' -d "{\"text\":\"$2\",\"model\":\"espeak\"}" |
        tr -d '\r' | awk -F': ' 'tolower($1)=="x-track-id"{id=$2} tolower($1)=="x-upstream"{u=$2} /^[0-9][0-9][0-9]$/{c=$1} END{print c, id, u}'
}

@test "the hosts live in their own namespaces and answer only there" {
    for h in a b; do
        run in_ns "$NS_LB" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$(host_url "$h")/status/ready"
        [ "$output" = 200 ]
    done
    # The private network exists only inside the namespaces (no request is
    # sent to find out: it must not leave them).
    run ip -o addr
    [[ "$output" != *"$NET."* ]]
    run in_ns "$NS_A" ip -o addr
    [[ "$output" == *"$(ip_of a)/24"* ]]
}

@test "a host with an empty disk cache serves every track from PostgreSQL" {
    : >"$BATS_TEST_TMPDIR/urls"
    for i in 1 2 3 4 5; do
        read -r code id _ < <(speak "$(host_url a)" "made on host a, number $i $RANDOM")
        [ "$code" = 200 ]
        lb_curl "$(host_url a)/search/$id" | jq -r .audio_url >>"$BATS_TEST_TMPDIR/urls"
    done
    # Host b has not seen them: its cache holds no file of theirs.
    [ -z "$(find "$STACK_DIR/host-b/cache" -type f)" ]
    while read -r url; do
        [[ "$url" == /tts/audio/* ]] || { echo "not content-addressed: $url"; return 1; }
        lb_curl -o "$BATS_TEST_TMPDIR/audio" "$(host_url b)$url"
        # The bytes host a stored, from PostgreSQL (the name is the key).
        key=$(basename "${url%.*}")
        [ "$(sha256sum <"$BATS_TEST_TMPDIR/audio" | cut -d' ' -f1)" = \
          "$(psql_q -c "SELECT encode(sha256(wav), 'hex') FROM audio_blobs WHERE cache_key = '$key'")" ]
    done <"$BATS_TEST_TMPDIR/urls"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/urls")" -eq 5 ]
}

@test "identical requests spread over both hosts make one synthesis" {
    text="one synthesis for two hosts $RANDOM $RANDOM"
    before=$(( $(syntheses a) + $(syntheses b) ))
    for i in $(seq 1 12); do
        speak "$(LB)" "$text" >"$BATS_TEST_TMPDIR/r$i" &
    done
    wait
    cat "$BATS_TEST_TMPDIR"/r* | awk '{print $1}' | sort | uniq -c
    [ "$(cat "$BATS_TEST_TMPDIR"/r* | awk '$1 == 200' | wc -l)" -eq 12 ]
    [ "$(cat "$BATS_TEST_TMPDIR"/r* | awk '{print $2}' | sort -u | wc -l)" -eq 1 ]
    # Both hosts took some of them.
    [ "$(cat "$BATS_TEST_TMPDIR"/r* | awk '{print $3}' | sort -u | wc -l)" -eq 2 ]
    after=$(( $(syntheses a) + $(syntheses b) ))
    [ "$after" -eq $((before + 1)) ]
}

@test "a host killed mid-load: the other takes over and no track is lost" {
    : >"$BATS_TEST_TMPDIR/answers"
    (
        for i in $(seq 1 40); do
            t="failover $RANDOM number $i"
            echo "$t|$(speak "$(LB)" "$t")"
            sleep 0.05
        done >"$BATS_TEST_TMPDIR/answers"
    ) 3>&- &
    loop=$!
    sleep 0.7
    # Host a goes away at once, as when a machine dies: every process in
    # its namespace killed.
    ip netns pids "$NS_A" | xargs -r kill -KILL
    wait "$loop"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/answers")" -eq 40 ]
    cut -d'|' -f2 "$BATS_TEST_TMPDIR/answers" | awk '{print $1}' | sort | uniq -c
    # Every request answered 200, and each has a COMPLETED track with its blob.
    [ "$(cut -d'|' -f2 "$BATS_TEST_TMPDIR/answers" | awk '$1 != 200' | wc -l)" -eq 0 ]
    while IFS='|' read -r text answer; do
        id=$(echo "$answer" | awk '{print $2}')
        [ "$(psql_q -c "SELECT count(*) FROM audio_tracks t JOIN audio_blobs b USING (cache_key) WHERE t.id = '$id' AND t.status = 'COMPLETED' AND t.text = '$text'")" = 1 ] ||
            { echo "lost: $text ($answer)"; return 1; }
    done <"$BATS_TEST_TMPDIR/answers"
    # The later ones all came from host b.
    [ "$(tail -n 5 "$BATS_TEST_TMPDIR/answers" | grep -c "$(ip_of b):8080")" -eq 5 ]
}
