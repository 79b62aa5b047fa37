#!/usr/bin/env bash
# Disclosure-control benchmark: peitto protect against tau-Argus (pytauargus).
#   bash bench/protect.sh                 # sizes 100 to 20000 cells, then the realistic sweep
#   SIZES="100 20000" bash bench/protect.sh
#   ONLY=realistic bash bench/protect.sh  # the realistic-density sweep alone (no tau-Argus)
#   ONLY=realistic-tau bash bench/protect.sh  # the realistic tables against tau-Argus alone
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
#
# The same tables against tau-Argus (issue 15): the example writes them
# (EXPORT=DIR: cells CSV, hierarchy CSV and .hrc, tau-Argus tabular input)
# and bench/protect_realistic.py times `peitto protect --hierarchy` and
# tau-Argus MOD/OPT on each, then audits every pattern with peitto:
#   REALISTIC_TAU="2 300 2 2000 3 2000 3 6000" SEEDS=3      (tables)
#   REALISTIC_TAU_LARGE="3 20000" SEEDS_LARGE=1             (tables; "" for none)
#   VARIANTS, TAU_LIMIT, OPT_LIMIT, OPT_MAX_CELLS: see bench/protect_realistic.py
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
fi
if [ "$ONLY" = all ]; then
  echo "Random 2-D count tables, policy thl (counts 1-4 unsafe), $(nproc) cores, pytauargus $("$WORK/venv/bin/python" -c 'import pytauargus; print(pytauargus.__version__)')"
  echo
  "$WORK/venv/bin/python" bench/protect.py "$TARGET/release/peitto"
  echo
fi
REALISTIC=${REALISTIC:-"2 300 2 2000 3 2000 3 6000 3 20000"}
SEEDS=${SEEDS:-3}
AUDIT=${AUDIT:-check}
cargo build --release --quiet -p peitto-sdc --example realistic
if [ "$ONLY" != realistic-tau ]; then
  echo "Realistic-density sweep: $(nproc) cores, SEEDS=$SEEDS, frequency rule 5, AUDIT=$AUDIT"
  # shellcheck disable=SC2086
  SEEDS="$SEEDS" AUDIT="$AUDIT" "$TARGET/release/examples/realistic" $REALISTIC
  echo
fi
if [ "$ONLY" != realistic ]; then
  REALISTIC_TAU=${REALISTIC_TAU:-"2 300 2 2000 3 2000 3 6000"}
  REALISTIC_TAU_LARGE=${REALISTIC_TAU_LARGE-"3 20000"}  # empty: none
  SEEDS_LARGE=${SEEDS_LARGE:-1}
  rm -rf "$WORK/realistic"
  # shellcheck disable=SC2086
  tables=$(SEEDS="$SEEDS" EXPORT="$WORK/realistic" "$TARGET/release/examples/realistic" $REALISTIC_TAU
    SEEDS="$SEEDS_LARGE" EXPORT="$WORK/realistic" "$TARGET/release/examples/realistic" $REALISTIC_TAU_LARGE)
  echo "Realistic tables against tau-Argus: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), pytauargus $("$WORK/venv/bin/python" -c 'import pytauargus; print(pytauargus.__version__)')"
  echo
  # shellcheck disable=SC2086
  "$WORK/venv/bin/python" bench/protect_realistic.py "$TARGET/release/peitto" $tables
fi
