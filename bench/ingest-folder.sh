#!/usr/bin/env bash
# National folder ingest (issue 19): every register table of the five
# municipalities in one `peitto ingest`, as a county or THL loads them,
# beside DuckDB reading the same CSV files into Parquet (one COPY per file,
# in one process). Then the same folder again (each file recognised as
# already in the store). Wall time, CPU time (user + sys) and peak resident
# memory of each; prints a Markdown table for BENCHMARKS.md.
#
#   bash bench/ingest-folder.sh                # scale 1340 (about 3.4 GB)
#   SCALE=50 bash bench/ingest-folder.sh       # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1340}
WORK=${WORK:-bench/work}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$WORK"
cargo build --release --quiet
PEITTO="$TARGET/release/peitto"
DATA="$WORK/national-$SCALE"
if [ ! -f "$DATA/synth-manifest.json" ]; then
  "$PEITTO" --lang en synth --seed 7 --scale "$SCALE" --out "$DATA" >/dev/null
fi
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet duckdb
fi
DUCKDB_VERSION=$("$WORK/venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')
cat > "$WORK/duck_folder.py" <<'PY'
# One process, one COPY per CSV file of the folder, each to its own Parquet
# file; a file DuckDB's detection refuses (Windows-1252 bytes) is read as
# latin-1, as a user would retry it.
import pathlib, sys, duckdb
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
dst.mkdir(parents=True, exist_ok=True)
con = duckdb.connect()
for i, f in enumerate(sorted(src.rglob("*.csv"))):
    out = dst / f"{i}.parquet"
    try:
        con.execute(f"COPY (SELECT * FROM read_csv('{f}')) TO '{out}' (FORMAT parquet)")
    except duckdb.Error:
        con.execute(f"COPY (SELECT * FROM read_csv('{f}', encoding='latin-1')) TO '{out}' (FORMAT parquet)")
PY
timed() { # label command... → "label wall cpu peak_kib"
  local label=$1; shift
  sync
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/t.txt" "$@" >/dev/null 2>&1 || { echo "$label failed" >&2; exit 1; }
  awk -v l="$label" '{ printf "%s\t%s\t%.2f\t%s\n", l, $1, $2 + $3, $4 }' "$WORK/t.txt"
}
PROJECT="$WORK/folder-project-$SCALE"
rm -rf "$PROJECT" "$WORK/duck-folder"
"$PEITTO" --lang en init "$PROJECT" >/dev/null
results=$(
  timed "peitto ingest (folder)" "$PEITTO" --lang en --project "$PROJECT" ingest "$DATA"
  timed "peitto ingest (same folder again)" "$PEITTO" --lang en --project "$PROJECT" ingest "$DATA"
  timed "DuckDB COPY per CSV file" "$WORK/venv/bin/python" "$WORK/duck_folder.py" "$DATA" "$WORK/duck-folder"
)
csv_bytes=$(find "$DATA" -name '*.csv' -printf '%s\n' | awk '{s += $1} END {print s}')
all_bytes=$(du -sb "$DATA" | cut -f1)
echo "National folder, scale $SCALE: $(find "$DATA" -type f \( -name '*.csv' -o -name '*.xlsx' \) | wc -l) extracts, $((all_bytes / 1000000)) MB ($((csv_bytes / 1000000)) MB CSV), $(nproc) cores, DuckDB $DUCKDB_VERSION"
echo
echo "| run | wall | CPU (user + sys) | peak memory |"
echo "|---|---:|---:|---:|"
echo "$results" | awk -F'\t' '{ printf "| %s | %.1f s | %.1f s | %.0f MB |\n", $1, $2, $3, $4 / 1024 }'
