#!/usr/bin/env bash
# Release benchmark (issues: register SQL, protected releases). On a
# national-scale synthetic store (all five municipalities; scale 1340 gives
# 10.0 million invoice lines and 145 000 children in the population) it
# first runs every saved report's SQL with `peitto sql` and the three
# heaviest with DuckDB on the same Parquet files (bench/reports.py, SQL in
# bench/duckdb/), then runs `peitto report --all` and reports the end-to-end time and
# the share of it spent in disclosure control, as `--timings` measures it
# per report: planning and SQL (person-level partials, DataFusion), protection
# (cells, primary and secondary suppression, the audit), and writing the
# files. Prints a Markdown table for BENCHMARKS.md.
#
#   bash bench/report.sh                 # scale 1340
#   SCALE=50 bash bench/report.sh        # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
YEAR=${YEAR:-2025}
source bench/national.sh
national_project
"$PEITTO" --lang en --project "$PROJECT" status
duckdb_venv
echo
echo "Saved reports' SQL, peitto against DuckDB (median of $RUNS runs):"
echo
"$WORK/venv/bin/python" bench/reports.py "$PEITTO" "$PROJECT" --runs "$RUNS" --year "$YEAR"
echo
/usr/bin/time -f '%e %M' -o "$WORK/time.txt" \
  "$PEITTO" --lang en --project "$PROJECT" report --all --year "$YEAR" --timings > "$WORK/report-timings.txt"
read -r WALL PEAK < "$WORK/time.txt"
echo
echo "| report | cells | withheld | SQL and partials, s | protection, s | files, s | total, s | protection share |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '$1 == "timing" { printf "| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.1f %% |\n", $2, $3, $4, $5, $6, $7, $8, ($8 > 0 ? 100 * $6 / $8 : 0); sql += $5; prot += $6; files += $7; total += $8 }
  END { printf "| **all (%s s wall)** | | | %.2f | %.2f | %.2f | %.2f | **%.1f %%** |\n", "'"$WALL"'", sql, prot, files, total, 100 * prot / total }' "$WORK/report-timings.txt"
echo
echo "Peak resident memory: $((PEAK / 1024)) MiB"
