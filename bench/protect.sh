#!/usr/bin/env bash
# Disclosure-control benchmark: peitto protect against tau-Argus (pytauargus).
#   bash bench/protect.sh                 # sizes 100 to 20000 cells, then the realistic sweep
#   SIZES="100 20000" bash bench/protect.sh
#   ONLY=realistic bash bench/protect.sh  # the realistic-density sweep alone (no tau-Argus)
#
# The realistic sweep (issue 15): municipality -> wellbeing county hierarchies
# (about 30 % of counties with a single municipality) x placement form
# (x age band), 25-45 % of cells at 1-4 persons and 10 % zeros, protected
# with the frequency rule 5 by crates/sdc/examples/realistic.rs; every
# released pattern is then checked again from scratch (AUDIT=check, the
# audit's verdict), or audited in full with every withheld cell's exact
# interval (AUDIT=1: minutes from 6000 cells on). Pairs of dimension count
# and approximate cell count:
#   REALISTIC="2 300 2 2000 3 2000 3 6000 3 20000" SEEDS=3 AUDIT=check
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-bench/work}
TARGET=${CARGO_TARGET_DIR:-target}
ONLY=${ONLY:-all}
mkdir -p "$WORK"
if [ "$ONLY" != realistic ]; then
  cargo build --release --quiet
  if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
  fi
  "$WORK/venv/bin/python" -c 'import pytauargus' 2>/dev/null || "$WORK/venv/bin/pip" install --quiet pytauargus
  echo "Random 2-D count tables, policy thl (counts 1-4 unsafe), $(nproc) cores, pytauargus $("$WORK/venv/bin/python" -c 'import pytauargus; print(pytauargus.__version__)')"
  echo
  "$WORK/venv/bin/python" bench/protect.py "$TARGET/release/peitto"
  echo
fi
REALISTIC=${REALISTIC:-"2 300 2 2000 3 2000 3 6000 3 20000"}
SEEDS=${SEEDS:-3}
AUDIT=${AUDIT:-check}
cargo build --release --quiet -p peitto-sdc --example realistic
echo "Realistic-density sweep: $(nproc) cores, SEEDS=$SEEDS, frequency rule 5, AUDIT=$AUDIT"
# shellcheck disable=SC2086
SEEDS="$SEEDS" AUDIT="$AUDIT" "$TARGET/release/examples/realistic" $REALISTIC
