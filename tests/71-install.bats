#!/usr/bin/env bats
# make install into a private prefix; the installed daemon behind nginx
# with the installed snippet included in a plain server block.

load helpers/common

setup_file() {
    stack_up        # for its PostgreSQL
    export T=$BATS_FILE_TMPDIR
    export PREFIX=$T/prefix
    git clone -q "$VOXCAT_SRC_DIR" "$T/src"
    (
        cd "$T/src"
        autoreconf -fi >/dev/null 2>&1
        ./configure -q --prefix="$PREFIX" --localstatedir="$T/var" --runstatedir="$T/run"
        make -s -j2 >/dev/null 2>&1
        make -s install >/dev/null 2>&1
    ) 3>&-
}

teardown_file() {
    [ -f "$T/nginx.pid" ] && kill -QUIT "$(cat "$T/nginx.pid")" 2>/dev/null
    [ -f "$T/voxcat.pid" ] && kill -TERM "$(cat "$T/voxcat.pid")" 2>/dev/null
    sleep 0.5
    stack_down
}

@test "make install puts binaries, sql, www, the nginx snippet, the unit and man pages under the prefix" {
    [ -x "$PREFIX/bin/voxcat" ]
    [ -x "$PREFIX/sbin/voxcat-fcgi" ]
    ls "$PREFIX"/share/voxcat/sql/001_*.sql
    [ -f "$PREFIX/share/voxcat/www/index.html" ]
    [ -f "$PREFIX/share/voxcat/nginx/voxcat.conf" ]
    [ -f "$PREFIX/etc/nginx/conf.d/voxcat-http.conf" ]
    [ -f "$PREFIX/share/voxcat/systemd/voxcat.service" ]
    [ -f "$PREFIX/share/man/man1/voxcat.1" ]
    [ -f "$PREFIX/share/man/man8/voxcat-fcgi.8" ]
    # Paths were substituted at build time.
    grep -q "server unix:$T/run/voxcat/voxcat.sock;" "$PREFIX/etc/nginx/conf.d/voxcat-http.conf"
    grep -q "server unix:$T/run/voxcat/voxcat-api.sock;" "$PREFIX/etc/nginx/conf.d/voxcat-http.conf"
    grep -q "alias $PREFIX/share/voxcat/www/;" "$PREFIX/share/voxcat/nginx/voxcat.conf"
    grep -q "ExecStart=$PREFIX/sbin/voxcat-fcgi" "$PREFIX/share/voxcat/systemd/voxcat.service"
    man -l "$PREFIX/share/man/man8/voxcat-fcgi.8" 2>/dev/null | grep -q VOXCAT_WORKERS
    man -l "$PREFIX/share/man/man1/voxcat.1" 2>/dev/null | grep -q check-config
    # The installed tool finds the installed migrations on its own.
    run "$PREFIX/bin/voxcat" migrate
    [ "$status" -eq 0 ]
}

@test "the installed daemon answers through nginx with the installed snippet included" {
    mkdir -p "$T/var/cache/voxcat" "$T/nginx"
    (
        cd /
        exec setsid "$PREFIX/sbin/voxcat-fcgi" --pid-file "$T/voxcat.pid" \
            </dev/null >>"$T/voxcat.log" 2>&1 3>&-
    ) &
    wait_until 10 test -S "$T/run/voxcat/voxcat.sock"
    port=$((30000 + RANDOM % 2000))
    cat >"$T/nginx/nginx.conf" <<CONF
user $(id -un);
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $T/nginx;
    fastcgi_temp_path $T/nginx;
    # An existing site with a home page and locations of its own: voxcat
    # drops in with two includes (Debian's nginx reads conf.d by itself)
    # and takes none of the site's locations.
    include $PREFIX/etc/nginx/conf.d/*.conf;
    server {
        listen 127.0.0.1:$port;
        location = / { return 200 "the site's own home\n"; }
        location /blog/ { return 200 "the site's blog\n"; }
        include $PREFIX/share/voxcat/nginx/voxcat.conf;
    }
}
CONF
    cp /etc/nginx/fastcgi_params "$T/nginx/"
    nginx -t -q -c "$T/nginx/nginx.conf" -e "$T/nginx-error.log" 3>&-
    nginx -c "$T/nginx/nginx.conf" -e "$T/nginx-error.log" 3>&-
    wait_until 10 curl -fs "http://127.0.0.1:$port/status/live"
    curl -s "http://127.0.0.1:$port/status" | jq -e '.status == "ok"'
    curl -s "http://127.0.0.1:$port/status/metrics" | promtool check metrics
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/voxcat/")" = 200 ]
    [ "$(curl -s "http://127.0.0.1:$port/")" = "the site's own home" ]
    [ "$(curl -s "http://127.0.0.1:$port/blog/")" = "the site's blog" ]
    # Speech needs a token (VOXCAT_AUTH=writes by default); reads do not.
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/tts" \
        -H 'Content-Type: application/json' -d '{"text":"installed"}')
    [ "$code" = 401 ]
    token=$("$PREFIX/bin/voxcat" token create installed 2>/dev/null | tail -n 1)
    code=$(curl -s -o "$T/x.wav" -w '%{http_code}' -X POST "http://127.0.0.1:$port/tts" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"text":"installed"}')
    [ "$code" = 200 ] || { echo "token ${#token} chars: $(head -c 300 "$T/x.wav")"; tail -n 5 "$T/voxcat.log"; false; }
    [ "$(soxi -r "$T/x.wav")" = 24000 ]
}
