#!/usr/bin/env bats
# The build from a clean clone: autotools, -Werror, make distcheck.

load helpers/common

setup_file() {
    export CLONE=$BATS_FILE_TMPDIR/clone
    git clone -q "$VOXCAT_SRC_DIR" "$CLONE"
}

@test "a clean clone configures and builds with -Wall -Wextra -Werror" {
    cd "$CLONE"
    autoreconf -fi >/dev/null 2>&1
    run ./configure -q
    [ "$status" -eq 0 ]
    grep -q -- '-Werror' Makefile
    run make -j2
    [ "$status" -eq 0 ]
    [ -x fcgi/voxcat-fcgi ]
    [ -x fcgi/voxcat ]
    run fcgi/voxcat version
    [ "$status" -eq 0 ]
    [[ "$output" == "voxcat "* ]]
}

@test "configure names the Debian package of a missing dependency" {
    cd "$CLONE"
    run env PKG_CONFIG_PATH=/nonexistent PKG_CONFIG_LIBDIR=/nonexistent ./configure -q
    [ "$status" -ne 0 ]
    [[ "$output" == *"apt-get install libpq-dev"* ]]
}

@test "make distcheck passes" {
    cd "$CLONE"
    [ -f Makefile ] || { autoreconf -fi >/dev/null 2>&1 && ./configure -q; }
    run make -s distcheck
    [ "$status" -eq 0 ]
    [[ "$output" == *"archives ready for distribution"* ]]
}
