#!/usr/bin/env bash
# tests/browser/run.sh - the admin page test: installs Chromium and
# playwright-core if missing, boots a private stack with the fixture
# catalog, runs metrics.test.mjs (the charts' arithmetic) and
# admin.test.mjs with TAP output, and always stops the stack.
# Every way of failing ends in a "not ok" line, so tests/run counts it.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

bail() { echo "not ok 1 browser: $*"; exit 1; }

if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; } ||
        bail "could not install chromium with apt-get"
fi
# The pinned version (one that supports Debian 12's Node.js 18).
"$src/tests/helpers/npm-pinned" "$here" playwright-core ||
    bail "could not install playwright-core with npm"

dir=$(mktemp -d /tmp/vxbrowser.XXXXXX)
trap '"$src/tests/stack" down "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$src/tests/stack" up "$dir" --fast >"$dir.up.log" 2>&1 3>&- ||
    { sed 's/^/# /' "$dir.up.log"; rm -f "$dir.up.log"; bail "the stack did not come up"; }
rm -f "$dir.up.log"
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a
"${VOXCAT_BIN_DIR:-$src/fcgi}/voxcat" import "$src/tests/fixtures/catalog-small.jsonl" >/dev/null ||
    bail "importing tests/fixtures/catalog-small.jsonl failed"
export VOXCAT_STACK_DIR=$dir
cd "$here" || exit 1
# The charts' arithmetic on its own, then the page.
"$src/tests/helpers/node-tap" charts metrics.test.mjs
charts=$?
"$src/tests/helpers/node-tap" browser admin.test.mjs
browser=$?
[ "$charts" -eq 0 ] && [ "$browser" -eq 0 ]
