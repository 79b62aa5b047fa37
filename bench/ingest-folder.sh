#!/usr/bin/env bash
# National folder ingest (issue 19): every register table of the five
# municipalities in one `peitto ingest`, as a county or THL loads them,
# beside DuckDB reading the same CSV files into Parquet (one COPY per file,
# in one process), and beside DuckDB doing comparable work
# (bench/duck_comparable.py: dates and decimal-comma amounts typed, the
# henkilötunnus checked and hashed, duplicates by record id removed).
# Then the same folder again (each file recognised as already in the
# store), and a newer extract of every register (the generator's seed 8 at
# the same scale: every record id again, with other contents) into the
# same store, which must replace the older versions. Wall time, CPU time (user + sys) and peak resident
# memory of each, and the serial end of each peitto run (commit, person
# merge, flushes: the report's `timings`) as a share of its wall time;
# prints a Markdown table for BENCHMARKS.md.
#
#   bash bench/ingest-folder.sh                # scale 1340 (about 3.4 GB)
#   SCALE=50 bash bench/ingest-folder.sh       # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/national.sh
duckdb_venv
DUCKDB_VERSION=$("$WORK/venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')
cat > "$WORK/duck_folder.py" <<'PY'
# One process, one COPY per CSV file of the folder, each to its own Parquet
# file, with the read_csv options a user finds each file needs (found by
# `discover`, untimed): DuckDB's detection as it is, else latin-1 for the
# Windows-1252 files, else skipping the rows it cannot split (the extracts'
# dirty rows, which peitto quarantines instead).
import json, pathlib, sys, duckdb
TRIES = ["", ", encoding='latin-1'", ", ignore_errors=true, null_padding=true",
         ", encoding='latin-1', ignore_errors=true, null_padding=true"]
mode, src, dst, plan = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
dst.mkdir(parents=True, exist_ok=True)
con = duckdb.connect()
files = sorted(src.rglob("*.csv"))
if mode == "discover":
    chosen = {}
    for i, f in enumerate(files):
        for options in TRIES:
            try:
                con.execute(f"COPY (SELECT * FROM read_csv('{f}'{options})) TO '{dst}/{i}.parquet' (FORMAT parquet)")
                chosen[str(f)] = options
                break
            except duckdb.Error:
                continue
        else:
            sys.exit(f"{f}: DuckDB reads it with none of the options")
    plan.write_text(json.dumps(chosen, indent=1))
else:
    chosen = json.loads(plan.read_text())
    for i, f in enumerate(files):
        con.execute(f"COPY (SELECT * FROM read_csv('{f}'{chosen[str(f)]})) TO '{dst}/{i}.parquet' (FORMAT parquet)")
PY
RESULTS="$WORK/folder-results-$SCALE.tsv"
: > "$RESULTS"
SERIAL="$WORK/folder-serial-$SCALE.tsv"
: > "$SERIAL"
# label → appends "label files supersede persons durable serial_end" (seconds)
# from the newest ingest report of $PROJECT to $SERIAL
serial_end() {
  local report
  report=$(ls -t "$PROJECT"/audit/ingest/ingest-*.json | head -1)
  jq -r --arg l "$1" '.timings | [$l, .files_s, .supersede_s, .persons_s, .durable_s, .serial_end_s] | @tsv' "$report" >> "$SERIAL"
}
timed() { # label command... → appends "label wall cpu peak_kib" to $RESULTS
  local label=$1; shift
  sync
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/t.txt" "$@" >/dev/null 2>&1 || { echo "$label failed" >&2; exit 1; }
  awk -v l="$label" '{ printf "%s\t%s\t%.2f\t%s\n", l, $1, $2 + $3, $4 }' "$WORK/t.txt" >> "$RESULTS"
}
# A project of its own: the national project the other benchmarks share
# is kept.
PROJECT="$WORK/folder-project-$SCALE"
if [ "${SKIP_PEITTO:-}" != 1 ]; then
  rm -rf "$PROJECT"
  "$PEITTO" --lang en init "$PROJECT" >/dev/null
fi
rm -rf "$WORK/duck-folder"
PLAN="$WORK/duck-options-$SCALE.json"
[ -f "$PLAN" ] || "$WORK/venv/bin/python" "$WORK/duck_folder.py" discover "$DATA" "$WORK/duck-folder" "$PLAN"
if [ "${SKIP_PEITTO:-}" != 1 ]; then
  timed "peitto ingest (folder: CSV and XLSX)" "$PEITTO" --lang en --project "$PROJECT" ingest "$DATA"
  serial_end "peitto ingest (folder: CSV and XLSX)"
  # The same, one file after another (as before files were converted in
  # parallel), into a project of its own, for the gain on this machine now.
  rm -rf "$PROJECT-serial"
  "$PEITTO" --lang en init "$PROJECT-serial" >/dev/null
  PEITTO_INGEST_FILES_AT_ONCE=1 timed "peitto ingest (folder, one file at a time)" "$PEITTO" --lang en --project "$PROJECT-serial" ingest "$DATA"
  PROJECT="$PROJECT-serial" serial_end "peitto ingest (folder, one file at a time)"
  rm -rf "$PROJECT-serial"
  timed "peitto ingest (same folder again)" "$PEITTO" --lang en --project "$PROJECT" ingest "$DATA"
  serial_end "peitto ingest (same folder again)"
fi
timed "DuckDB COPY per CSV file" "$WORK/venv/bin/python" "$WORK/duck_folder.py" run "$DATA" "$WORK/duck-folder" "$PLAN"
COMPARABLE="$WORK/duck-comparable-$SCALE.json"
rm -rf "$WORK/duck-comparable"
[ -f "$COMPARABLE" ] || "$WORK/venv/bin/python" bench/duck_comparable.py discover "$DATA" "$WORK/duck-comparable" "$COMPARABLE" "$PLAN"
timed "DuckDB comparable work per CSV file" "$WORK/venv/bin/python" bench/duck_comparable.py run "$DATA" "$WORK/duck-comparable" "$COMPARABLE"
# A newer extract of every register: every record id again.
NEWER="$WORK/national-$SCALE-seed8"
[ -f "$NEWER/synth-manifest.json" ] || "$PEITTO" --lang en synth --seed 8 --scale "$SCALE" --out "$NEWER" >/dev/null
if [ "${SKIP_PEITTO:-}" != 1 ]; then
  timed "peitto ingest (newer extract of every register into the same store)" "$PEITTO" --lang en --project "$PROJECT" ingest "$NEWER"
  serial_end "peitto ingest (newer extract of every register into the same store)"
  # The store holds each record once: its rows are those of the newer
  # extract alone, loaded into a store of its own, plus the older records
  # whose ids the newer extract no longer has.
  rm -rf "$PROJECT-newer"
  "$PEITTO" --lang en init "$PROJECT-newer" >/dev/null
  "$PEITTO" --lang en --project "$PROJECT-newer" ingest "$NEWER" >/dev/null
  "$PEITTO" --lang en --project "$PROJECT" status > "$WORK/status-both.txt"
  "$PEITTO" --lang en --project "$PROJECT-newer" status > "$WORK/status-newer.txt"
  rm -rf "$PROJECT-newer"
fi
csv_bytes=$(find "$DATA" -name '*.csv' -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s}')
all_bytes=$(du -sb "$DATA" | cut -f1)
echo "National folder, scale $SCALE: $(find "$DATA" -type f \( -name '*.csv' -o -name '*.xlsx' \) | wc -l) extracts, $((all_bytes / 1000000)) MB ($((csv_bytes / 1000000)) MB CSV), $(nproc) cores, DuckDB $DUCKDB_VERSION"
echo
echo "DuckDB options per file: $(grep -c '": ""' "$PLAN") as detected, $(grep -c latin "$PLAN") latin-1, $(grep -c ignore_errors "$PLAN") skipping rows it cannot split"
echo
echo "| run | wall | CPU (user + sys) | peak memory |"
echo "|---|---:|---:|---:|"
awk -F'\t' '{ printf "| %s | %.1f s | %.1f s | %.0f MB |\n", $1, $2, $3, $4 / 1024 }' "$RESULTS"
if [ -f "$WORK/status-both.txt" ]; then
  echo
  echo "Rows per table after the newer extract (older and newer in one store) and of the newer extract alone:"
  echo
  paste "$WORK/status-both.txt" "$WORK/status-newer.txt"
fi
if [ -s "$SERIAL" ]; then
  echo
  echo "Serial end of each peitto run (from its report's timings; share of the run's wall time above):"
  echo
  echo "| run | files | commit: supersede | persons | durable | serial end | share of wall |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' 'NR == FNR { wall[$1] = $2; next }
    { printf "| %s | %.1f s | %.2f s | %.2f s | %.2f s | %.2f s | %.1f %% |\n", $1, $2, $3, $4, $5, $6, 100 * $6 / wall[$1] }' "$RESULTS" "$SERIAL"
fi
