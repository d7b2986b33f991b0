#!/usr/bin/env bash
# tests/openai/run.sh - the openai SDK test on a private stack with the
# loopback fake upstream; prints TAP lines prefixed "openai:".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

bail() { echo "not ok 1 openai: $*"; exit 1; }

"$src/tests/helpers/npm-pinned" "$here" openai || bail "could not install the openai package with npm"

dir=$(mktemp -d /tmp/vxopenai.XXXXXX)
fake_pid=""
cleanup() {
    "$src/tests/stack" down "$dir" >/dev/null 2>&1
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
python3 "$src/tests/fake-upstream/server.py" --port 0 --pid-file "$dir.fake.pid" \
    </dev/null >"$dir.fake.out" 2>/dev/null &
fake_pid=$!
for _ in $(seq 50); do grep -q listening "$dir.fake.out" 2>/dev/null && break; sleep 0.1; done
FAKE=http://127.0.0.1:$(awk '{print $2}' "$dir.fake.out")
rm -f "$dir.fake.out" "$dir.fake.pid"
export FAKE
"$src/tests/stack" up "$dir" --fast --env "GEMINI_API_KEY=test-gemini-key" --env "GEMINI_API_BASE=$FAKE" \
    >"$dir.up.log" 2>&1 3>&- ||
    { sed 's/^/# /' "$dir.up.log"; rm -f "$dir.up.log"; bail "the stack did not come up"; }
rm -f "$dir.up.log"
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a
cd "$here" || exit 1
"$src/tests/helpers/node-tap" openai speech.test.mjs
