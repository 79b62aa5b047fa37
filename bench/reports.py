"""Saved reports' SQL on the national store: peitto (DataFusion) against DuckDB.

Runs every saved report in queries/ with `peitto sql` (the report author's
command: DataFusion over the store's Parquet files, peitto's domain
functions, no protection) and the heaviest (HEAVY: the six slowest in
peitto when first measured, which include the three slowest now) with
DuckDB on the same Parquet files (the files the store's manifest lists), using the equivalent
SQL in bench/duckdb/. Each run is a fresh process timed with /usr/bin/time
(wall seconds, peak resident memory); the median of RUNS runs is shown. The
two engines' results are compared row by row (numbers to 1e-6 relative) and
the table says whether they agree. Prints a Markdown table.

    python bench/reports.py PEITTO PROJECT [--runs 3] [--year 2025]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["care_costs", "children_in_care", "compensation_reconciliation",
         "notification_time_limits", "placement_day_bands", "county_social_assistance_25_64"]


def header(sql_text):
    out = {}
    for line in sql_text.splitlines():
        if not line.startswith("--"):
            break
        key, _, value = line[2:].partition(":")
        out[key.strip()] = value.strip()
    return out


def params_for(report, year):
    names = [p.strip() for p in header(report)["params"].split(",") if p.strip()]
    # Every parameter a saved report declares, at the value a release binds
    # (the time limits: the half-year 1.4.-30.9.; working days by the default rule).
    values = {"year": str(year), "from": f"{year}-04-01", "until": f"{year}-10-01", "months": "3",
              "working_day_rule": "EVES_OFF"}
    missing = [n for n in names if n not in values]
    if missing:
        sys.exit(f"bench/reports.py: no benchmark value for parameter(s) {', '.join(missing)}")
    return {n: values[n] for n in names}


def timed(cmd, **kw):
    with tempfile.NamedTemporaryFile("r") as t:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd,
                              capture_output=True, text=True, **kw)
        if proc.returncode != 0:
            sys.exit(f"{cmd[0]} failed:\n{proc.stderr[-3000:]}")
        wall, rss = t.read().split()[-2:]
    return float(wall), int(rss) * 1024, proc.stdout


def parse_pretty(text):
    """Rows of Arrow's pretty table (`| a | b |`), header first."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def same(a, b):
    """Whether two result tables (lists of rows of texts) hold the same values."""
    if len(a) != len(b):
        return False, f"{len(a)} rows against {len(b)}"
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return False, f"row {ra} against {rb}"
        for x, y in zip(ra, rb):
            if x == y or (x in ("", "NULL", "None") and y in ("", "NULL", "None")):
                continue
            try:
                fx, fy = float(x), float(y)
            except ValueError:
                return False, f"{x!r} against {y!r}"
            if abs(fx - fy) > 1e-6 * max(1.0, abs(fx), abs(fy)):
                return False, f"{x} against {y}"
    return True, ""


DUCK = r"""
import duckdb, json, sys
files, sql, params = json.load(open(sys.argv[1]))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
for table, paths in files.items():
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({paths!r})")
rows = con.execute(sql, params).fetchall()
for r in rows:
    print("\t".join("" if v is None else str(v) for v in r))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("peitto")
    ap.add_argument("project")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--year", type=int, default=2025)
    args = ap.parse_args()
    project = Path(args.project)
    # `peitto sql` is for report authors: let this user be one in the benchmark project.
    toml = project / "peitto.toml"
    user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    text = toml.read_text()
    if f'"{user}"' not in text:
        toml.write_text(text.replace("users = []", f'users = ["{user}"]', 1))
    manifest = json.loads((project / "store" / "manifest.json").read_text())
    files = {t: [str(project / "store" / p["file"]) for p in parts]
             for t, parts in manifest["tables"].items() if parts}

    print("| report | peitto sql (DataFusion) | peak memory | DuckDB | peak memory | peitto / DuckDB | same result |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for path in sorted((ROOT / "queries").glob("*.sql")):
        report_id = path.stem
        sql = path.read_text()
        params = params_for(sql, args.year)
        # The header lines are for peitto's report machinery; the SQL follows them.
        body = "\n".join(line for line in sql.splitlines() if not line.startswith("-- "))
        cmd = [args.peitto, "--lang", "en", "--project", str(project), "sql", body]
        for k, v in params.items():
            cmd += ["--param", f"{k}={v}"]
        runs = [timed(cmd) for _ in range(args.runs)]
        p_wall = statistics.median(r[0] for r in runs)
        p_rss = max(r[1] for r in runs)
        ours = parse_pretty(runs[0][2])
        cells = [report_id, f"{p_wall:.2f} s", f"{p_rss / 2**20:,.0f} MiB"]
        if report_id in HEAVY:
            duck_sql = (ROOT / "bench" / "duckdb" / f"{report_id}.sql").read_text()
            # DuckDB refuses a named parameter its SQL does not use.
            duck_params = {k: (int(v) if k == "year" else v) for k, v in params.items()
                           if f"${k}" in duck_sql}
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
                json.dump([files, duck_sql, duck_params], spec)
            druns = [timed([sys.executable, "-c", DUCK, spec.name]) for _ in range(args.runs)]
            os.unlink(spec.name)
            d_wall = statistics.median(r[0] for r in druns)
            d_rss = max(r[1] for r in druns)
            theirs = [line.split("\t") for line in druns[0][2].splitlines()]
            ok, why = same(ours[1:], theirs)
            cells += [f"{d_wall:.2f} s", f"{d_rss / 2**20:,.0f} MiB", f"{p_wall / d_wall:.2f}×",
                      "yes" if ok else f"NO ({why})"]
        else:
            cells += ["", "", "", ""]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
