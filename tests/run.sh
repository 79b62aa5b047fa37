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
cargo build --quiet --target wasm32-unknown-unknown -p peitto-model -p peitto-hetu -p peitto-i18n -p peitto-mapping -p peitto-sdc -p peitto-domain
echo "== cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets 2>&1 | tee "$log"
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "peitto: %d passed, %d failed\n", p, f; if (p == 0) exit 1 }' "$log"
