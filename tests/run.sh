#!/usr/bin/env bash
# peitto's whole test suite: formatting, lints, the browser-side crates for
# wasm32, then every unit, integration and sqllogic test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== crates the browser needs build for wasm32-unknown-unknown"
cargo build --quiet --target wasm32-unknown-unknown -p peitto-model -p peitto-hetu -p peitto-i18n -p peitto-mapping -p peitto-sdc -p peitto-domain -p peitto-chart -p peitto-table
echo "== the dashboard viewer (WebAssembly), size checked against the 2 MB target"
bash web/build.sh
size=$(wc -c < web/dist/peitto_viewer_bg.wasm)
if [ "$size" -ge 2097152 ]; then echo "viewer wasm is $size bytes, over 2 MB"; exit 1; fi

echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets 2>&1 | tee "$log"

echo "== the README's main job on sample-data, and its PX files read by pyaxis (a parser peitto did not write)"
venv="${PEITTO_PYVENV:-$HOME/.cache/peitto/pyvenv}"
if ! "$venv/bin/python" -c "import pyaxis" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pyaxis
fi
demo=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$demo"' EXIT
cargo run --quiet -- --lang fi demo --out "$demo/project" >/dev/null
"$venv/bin/python" tests/tools/px_check.py "$demo/project/out" 2>&1 | grep -v '^Multilingual PX file$' | tee -a "$log"

echo "== the dashboard in headless Chromium (Debian's chromium, playwright-core)"
if [ ! -x /usr/bin/chromium ]; then
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --silent)
fi
node tests/e2e/dashboard.mjs "$demo/project/out/dashboard" | tee -a "$log"
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "peitto: %d passed, %d failed\n", p, f; if (p == 0) exit 1 }' "$log"
