#!/usr/bin/env bash
# Ingest benchmark (issue: foundation). Ingests one synthetic invoice extract
# of at least 5 million lines (Kotka, Pro Consona dialect: Windows-1252,
# semicolons, decimal comma, d.m.yyyy) with validation and pseudonymisation,
# and runs DuckDB's COPY (SELECT * FROM read_csv(...)) TO '...parquet' on the
# same file, on the same machine. Prints a Markdown table of the median of
# RUNS runs, the tools taking turns: wall time, rows per second and peak
# resident memory.
#
#   bash bench/ingest.sh              # scale 1350: about 5.07 million lines, 5 runs
#   SCALE=200 RUNS=1 bash bench/ingest.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1350}
RUNS=${RUNS:-5}
WORK=${WORK:-bench/work}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$WORK"
cargo build --release --quiet
PEITTO="$TARGET/release/peitto"
DATA="$WORK/synth-$SCALE"
FILE="$DATA/285-kotka/hoitovuorokausilaskut.csv"
if [ ! -f "$FILE" ]; then
  "$PEITTO" --lang en synth --seed 42 --scale "$SCALE" --municipality 285 --out "$DATA" >/dev/null
fi
LINES=$(( $(wc -l < "$FILE") - 1 ))
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet duckdb
fi
DUCKDB_VERSION=$("$WORK/venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')

# One timed run of a command: appends "seconds peak_kib" to the file $1, or "failed".
once() {
  local out=$1; shift
  [ -n "${BEFORE:-}" ] && eval "$BEFORE"
  if /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>&1; then
    tail -1 "$WORK/time.txt" >> "$out"
  else
    echo failed >> "$out"
  fi
}

# "median_seconds peak_kib" over a file of runs, or "failed" if any failed.
summary() {
  if grep -q failed "$1"; then echo failed; return; fi
  local t p
  t=$(cut -d' ' -f1 "$1" | sort -n | sed -n "$(( ($(wc -l < "$1") + 1) / 2 ))p")
  p=$(cut -d' ' -f2 "$1" | sort -n | tail -1)
  echo "$t $p"
}

cat > "$WORK/duck.py" <<'PY'
import sys, duckdb
src, dst, options = sys.argv[1], sys.argv[2], sys.argv[3]
duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{src}'{options})) TO '{dst}' (FORMAT parquet)")
PY

# The tools take turns, run by run: this machine's speed drifts by 10-20 %
# over minutes, and alternating puts both through the same drift. Before
# each run (untimed) the page cache's dirty pages are written out: peitto
# fsyncs its store, DuckDB leaves its 130 MB file to the kernel, whose
# writeback would otherwise fall into the next run, whichever tool it is.
PROJECT="$WORK/project"
rm -f "$WORK"/runs-*.txt
BEFORE="sync"
once "$WORK/runs-duck-plain.txt" "$WORK/venv/bin/python" "$WORK/duck.py" "$FILE" "$WORK/duck.parquet" ""
for _ in $(seq "$RUNS"); do
  BEFORE="rm -rf '$PROJECT' && '$PEITTO' init '$PROJECT' >/dev/null && sync"
  once "$WORK/runs-peitto.txt" "$PEITTO" --project "$PROJECT" --lang en ingest "$FILE"
  BEFORE="sync"
  once "$WORK/runs-duck.txt" "$WORK/venv/bin/python" "$WORK/duck.py" "$FILE" "$WORK/duck.parquet" ", encoding='latin-1'"
done
peitto=$(summary "$WORK/runs-peitto.txt")
duck_plain=$(summary "$WORK/runs-duck-plain.txt")
duck_latin=$(summary "$WORK/runs-duck.txt")

row() { # name, result, what it does
  local name=$1 result=$2 what=$3
  if [ "$result" = failed ]; then
    printf '| %s | failed | – | – | %s |\n' "$name" "$what"
  else
    awk -v n="$name" -v t="${result%% *}" -v m="${result##* }" -v l="$LINES" -v w="$what" \
      'BEGIN { printf "| %s | %.2f s | %.2f M | %.0f MB | %s |\n", n, t, l / t / 1e6, m / 1024, w }'
  fi
}
echo "Ingest of $LINES invoice lines ($(du -h "$FILE" | cut -f1), scale $SCALE), median of $RUNS runs taking turns, $(nproc) cores, DuckDB $DUCKDB_VERSION"
echo
echo "| tool | wall time | rows/s | peak memory | what it does |"
echo "|---|---|---|---|---|"
row "peitto ingest" "$peitto" "validates every field, derives and pseudonymises, quarantines rejects, writes typed Parquet"
row "DuckDB read_csv (defaults)" "$duck_plain" "auto-detection; fails on the Windows-1252 bytes"
row "DuckDB read_csv, encoding latin-1" "$duck_latin" "auto-detected types: dates and decimal-comma amounts stay text, no validation"
if [ "$peitto" != failed ] && [ "$duck_latin" != failed ]; then
  awk -v a="${peitto%% *}" -v b="${duck_latin%% *}" 'BEGIN { printf "\npeitto / DuckDB (latin-1) time: %.2f×\n", a / b }'
  printf 'each peitto run / the DuckDB run after it:'
  paste -d' ' "$WORK/runs-peitto.txt" "$WORK/runs-duck.txt" | awk '{ printf " %.2f", $1 / $3 } END { print "" }'
fi
