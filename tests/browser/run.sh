#!/usr/bin/env bash
# tests/browser/run.sh - the admin page test: installs Chromium and
# playwright-core if missing, boots a private stack with the fixture
# catalog, runs admin.test.mjs with TAP output, and always stops the stack.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

if ! command -v chromium >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1 || npm install --no-audit --no-fund --silent >/dev/null)
fi

dir=$(mktemp -d /tmp/vxbrowser.XXXXXX)
trap '"$src/tests/stack" down "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$src/tests/stack" up "$dir" >/dev/null 3>&-
set -a
. "$dir/env"
set +a
"${VOXCAT_BIN_DIR:-$src/fcgi}/voxcat" import "$src/tests/fixtures/catalog-small.jsonl" >/dev/null
cd "$here"
# TAP of the top-level tests only, for tests/run's closing count.
node --test --test-reporter=tap admin.test.mjs | sed -n 's/^\(not ok\|ok\) \([0-9]*\) - /\1 \2 browser: /p; /^# /p; /^  ---/,/^  \.\.\./p'
