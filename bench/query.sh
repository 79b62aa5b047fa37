#!/usr/bin/env bash
# Query benchmark (issue: closed query model). The planner questions of the
# README's "What you can ask" (one per `--` comment line), each run with
# `peitto query` (planning, the grammar check, person-level partials, the
# grid, noise) and the same SQL with `peitto sql` (the report author's
# unprotected DataFusion run), on a national-scale synthetic store (the one
# bench/report.sh makes). Median wall seconds of RUNS fresh processes each;
# prints a Markdown table for BENCHMARKS.md.
#
#   bash bench/query.sh                  # scale 1340
#   SCALE=50 bash bench/query.sh         # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
source bench/national.sh
national_project
# The benchmark's user may run `peitto sql` in its own project.
sed -i "s/^users = \[\]/users = [\"$(id -un)\"]/" "$PROJECT/peitto.toml"
QUESTIONS="$WORK/questions.txt"
awk '/^## What you can ask/{s=1} s && /^```sql/{q=1; next} q && /^```/{exit} q' README.md > "$QUESTIONS"
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
time_of() { # command... → wall seconds of one run
  /usr/bin/time -f '%e' -o "$WORK/t.txt" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  cat "$WORK/t.txt"
}
echo "| question | peitto query, s | peitto sql, s | ratio |"
echo "|---|---:|---:|---:|"
title=""
while IFS= read -r line; do
  case "$line" in
    --*) title="${line#-- }"; continue ;;
    "") continue ;;
  esac
  q=$(for _ in $(seq "$RUNS"); do time_of "$PEITTO" --lang en --project "$PROJECT" query --format csv "$line"; done | median)
  s=$(for _ in $(seq "$RUNS"); do time_of "$PEITTO" --lang en --project "$PROJECT" sql "$line"; done | median)
  awk -v t="$title" -v q="$q" -v s="$s" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f× |\n", t, q, s, (s > 0 ? q / s : 0) }'
done < "$QUESTIONS"
