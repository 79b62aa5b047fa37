# Shared by the national-scale benchmarks (report.sh, query.sh,
# ingest-folder.sh); sourced, not run. Builds the release binary and writes
# the national synthetic folder once (all five municipalities, seed 7,
# SCALE, default 1340).
#   national_project  ingests it into $PROJECT once
#   duckdb_venv       installs DuckDB from PyPI into $WORK/venv once
SCALE=${SCALE:-1340}
WORK=${WORK:-bench/work}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$WORK"
cargo build --release --quiet
PEITTO="$TARGET/release/peitto"
DATA="$WORK/national-$SCALE"
PROJECT="$WORK/national-project-$SCALE"
if [ ! -f "$DATA/synth-manifest.json" ]; then
  "$PEITTO" --lang en synth --seed 7 --scale "$SCALE" --out "$DATA" >/dev/null
fi

national_project() {
  if [ ! -f "$PROJECT/peitto.toml" ]; then
    "$PEITTO" --lang en init "$PROJECT" >/dev/null
    "$PEITTO" --lang en --project "$PROJECT" ingest "$DATA" >/dev/null
  fi
}

duckdb_venv() {
  if [ ! -x "$WORK/venv/bin/python" ] || ! "$WORK/venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet duckdb
  fi
}
