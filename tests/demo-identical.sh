#!/usr/bin/env bash
# Shows that two peitto binaries give the same outputs on the sample
# project: `peitto demo` with each, then every file under out/ compared
# byte for byte, except what differs between any two runs of one binary
# (creation times, release-log hashes, the XLSX document properties); then
# what each printed, and the files each release-log entry names.
#
#   tests/demo-identical.sh OLD_PEITTO [NEW_PEITTO]
#
# NEW_PEITTO defaults to this checkout's debug build. To make OLD_PEITTO
# from an earlier commit:
#   git worktree add /tmp/peitto-old REV
#   CARGO_TARGET_DIR=/tmp/peitto-old-target cargo build --manifest-path /tmp/peitto-old/Cargo.toml
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: tests/demo-identical.sh OLD_PEITTO [NEW_PEITTO]}
new=${2:-${CARGO_TARGET_DIR:-target}/debug/peitto}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for which in old new; do
  bin=${!which}
  "$bin" --lang fi demo --data sample-data --out "$work/$which/project" > "$work/$which.log" 2>&1
done
python3 tests/tools/normalise_outputs.py "$work/old/project/out" > "$work/old.txt"
python3 tests/tools/normalise_outputs.py "$work/new/project/out" > "$work/new.txt"
for which in old new; do
  {
    echo "== printed"
    sed -e "s|$work/$which|PROJECT|g" -e 's/ingest-[0-9]*-[0-9]*\.json/ingest-N.json/' -e 's/[0-9a-f]\{64\}/<hash>/g' "$work/$which.log"
    echo "== release log: command, subject, files"
    python3 -c 'import json,sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["command"], e["subject"], e["cells"], e["suppressed"], [f["name"] for f in e["files"]])' "$work/$which/project/audit/releases.jsonl"
  } >> "$work/$which.txt"
done
if diff -u "$work/old.txt" "$work/new.txt" > "$work/diff"; then
  echo "demo outputs identical: $(grep -c '^== ' "$work/new.txt") files"
else
  head -100 "$work/diff"
  echo "demo outputs differ"
  exit 1
fi
