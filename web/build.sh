#!/usr/bin/env bash
# Builds the dashboard's viewer into web/dist/: the peitto-viewer crate for
# wasm32-unknown-unknown (profile `wasm`: size-optimised), its JavaScript
# glue by wasm-bindgen-cli at exactly the version of the wasm-bindgen crate
# in Cargo.lock (installed when missing), then wasm-opt -Oz when npm is
# available (npm's binaryen, installed into web/node_modules). Prints the
# module's size, raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
  # --locked pins its dependencies as released; where a registry mirror
  # lacks one of them, let cargo pick the nearest available.
  cargo install --locked --quiet wasm-bindgen-cli --version "$version" 2>/dev/null \
    || cargo install --quiet wasm-bindgen-cli --version "$version"
fi
target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --profile wasm --target wasm32-unknown-unknown -p peitto-viewer
rm -rf web/dist
mkdir -p web/dist
wasm-bindgen --target no-modules --no-typescript --out-dir web/dist \
  "$target/wasm32-unknown-unknown/wasm/peitto_viewer.wasm"
# wasm-opt from npm's binaryen: Debian's binaryen predates the reference
# types the module uses and breaks it.
optimised=no
if [ -z "${PEITTO_NO_WASM_OPT:-}" ] && command -v npm >/dev/null; then
  if [ ! -x web/node_modules/.bin/wasm-opt ]; then
    (cd web && npm ci --no-audit --no-fund --silent)
  fi
  web/node_modules/.bin/wasm-opt -Oz --enable-reference-types --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    -o web/dist/peitto_viewer_bg.wasm web/dist/peitto_viewer_bg.wasm
  optimised=yes
fi
raw=$(wc -c < web/dist/peitto_viewer_bg.wasm)
gz=$(gzip -9c web/dist/peitto_viewer_bg.wasm | wc -c)
echo "viewer wasm: $raw bytes, $gz gzipped (wasm-opt: $optimised)"
