#!/usr/bin/env bash
# Disclosure-control benchmark: peitto protect against tau-Argus (pytauargus).
#   bash bench/protect.sh                 # sizes 100 to 20000 cells
#   SIZES="100 20000" bash bench/protect.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-bench/work}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$WORK"
cargo build --release --quiet
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/python" -c 'import pytauargus' 2>/dev/null || "$WORK/venv/bin/pip" install --quiet pytauargus
echo "Random 2-D count tables, policy thl (counts 1-4 unsafe), $(nproc) cores, pytauargus $("$WORK/venv/bin/python" -c 'import pytauargus; print(pytauargus.__version__)')"
echo
"$WORK/venv/bin/python" bench/protect.py "$TARGET/release/peitto"
