"""Realistic-density tables (issue 15): peitto protect against tau-Argus.

The tables come from crates/sdc/examples/realistic.rs with EXPORT=DIR
(municipality -> wellbeing county with single-municipality counties, x
placement form, x age band; 25-45 % of the most detailed cells at 1-4
persons, 10 % zeros). Each table is protected, each run timed as a whole
command (a fresh process reading the files and writing the result):

* `peitto protect cells.csv --hierarchy area=area.csv --policy thl`
  (frequency rule 5: counts 1-4 unsafe; JSON without the exact intervals);
* tau-Argus (pytauargus, tabular input with the area.hrc hierarchy and every
  total), modular MOD(1,5,1,1,1) (singleton options on) and optimal OPT:
  - FREQ(5,10): tau-Argus's frequency rule, a range of 10 % of the value;
  - FREQ(5,100): the widest range tau-Argus accepts;
  - PL: FREQ(5,10) for the unsafe cells, then an apriori file giving each
    unsafe count v (1-4, totals too) the protection levels our rule needs:
    upper 5 - v, lower 0 (a withheld count must not be shown to be under 5);
  - PL1: as PL, on the table shifted by one person per non-empty cell
    (each most detailed count v > 0 becomes v - 1, each total loses the
    number of non-empty cells under it; frequencies and costs stay the
    original counts). tau-Argus's attacker knows only that a cell is at
    least 0; peitto's knows that a withheld non-empty cell (not shown as
    a zero) holds at least one person. Shifted, tau-Argus's bound 0 is
    that bound 1, so its audit and peitto's see the same attacker, save a
    singleton's own knowledge and peitto's rule that a row whose total is
    1-4 is withheld whole (zeros too; tau-Argus has no empty cells).

Every pattern, peitto's included, is audited by peitto
(`peitto protect --check-pattern`, hierarchy and 3-D tables included).
Usage (bench/protect.sh runs it):
  python bench/protect_realistic.py PEITTO_BINARY TABLE_DIR...
Environment: VARIANTS (default "MOD:10 MOD:100 MOD:PL MOD:PL1 OPT:10 OPT:PL1"),
TAU_LIMIT (seconds per tau-Argus run, default 1800), OPT_LIMIT (OPT's own
time limit, default 300 s, given to it in whole minutes; the run is stopped
60 s after that), OPT_MAX_CELLS and OPT_MAX_DIMS (OPT only on tables up to
this many cells and dimensions, default 2500 and 3).
"""

import json
import os
import subprocess
import sys
import time

PEITTO = os.path.abspath(sys.argv[1])
TABLES = [os.path.abspath(d) for d in sys.argv[2:]]
VARIANTS = [v.split(":") for v in os.environ.get("VARIANTS", "MOD:10 MOD:100 MOD:PL MOD:PL1 OPT:10 OPT:PL1").split()]
TAU_LIMIT = int(os.environ.get("TAU_LIMIT", "1800"))
OPT_LIMIT = int(os.environ.get("OPT_LIMIT", "300"))
OPT_MAX_CELLS = int(os.environ.get("OPT_MAX_CELLS", "2500"))
OPT_MAX_DIMS = int(os.environ.get("OPT_MAX_DIMS", "3"))
THRESHOLD = 5


def read_table(d):
    """Dimension names and every cell's value (totals included; absent = 0)."""
    with open(os.path.join(d, "cells.csv")) as f:
        dims = f.readline().strip().split(";")[:-1]
    values = {}
    with open(os.path.join(d, "cells.tab")) as f:
        for line in f:
            parts = line.strip().split(";")
            values[tuple(parts[: len(dims)])] = float(parts[len(dims)])
    return dims, values


def nonempty_below(d, dims):
    """For every cell, how many non-empty most detailed cells it sums."""
    parent = {}
    with open(os.path.join(d, "area.csv")) as f:
        next(f)
        for line in f:
            child, county = line.strip().split(";")
            parent[child] = county
    counts = {}
    with open(os.path.join(d, "cells.csv")) as f:
        next(f)
        for line in f:
            parts = line.strip().split(";")
            if float(parts[-1]) <= 0:
                continue
            options = [[parts[0], parent.get(parts[0]), "Total"]] + [[c, "Total"] for c in parts[1:-1]]
            keys = [()]
            for opts in options:
                keys = [k + (o,) for k in keys for o in opts if o is not None]
            for k in keys:
                counts[k] = counts.get(k, 0) + 1
    return counts


def shifted_input(d, dims, values, zeros, run_dir):
    """cells.tab and cells.rda of the table shifted by one person per non-empty cell,
    with the empty cells peitto's rules make unsafe (`zeros`) as cells of their own."""
    below = nonempty_below(d, dims)
    with open(os.path.join(run_dir, "cells.tab"), "w") as f:
        for codes, v in values.items():
            f.write(";".join(codes) + f";{v - below[codes]:.0f};{v:.0f};{v:.0f}\n")
        # An empty cell is a cell to tau-Argus only with a frequency; 1 makes it
        # unsafe. The totals keep their own frequencies (READTABLE 0: the
        # table is checked for additivity, not recomputed).
        for codes in zeros:
            f.write(";".join(codes) + ";0;1;0\n")
    with open(os.path.join(d, "cells.rda")) as f:
        rda = f.read()
    with open(os.path.join(run_dir, "cells.rda"), "w") as f:
        f.write(rda.replace('"area.hrc"', f'"{d}/area.hrc"') + 'cost "" ""\n  <NUMERIC> <COSTVAR>\n')
    return run_dir


def run(cmd, limit=None, cwd=None):
    start = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start
    return out, time.perf_counter() - start


def check(d, pattern):
    """peitto's audit of a pattern: (passed, under-protected, published unsafe)."""
    out, elapsed = run([PEITTO, "--lang", "en", "protect", os.path.join(d, "cells.csv"),
                        "--hierarchy", "area=" + os.path.join(d, "area.csv"), "--policy", "thl",
                        "--check-pattern", pattern])
    if out.returncode != 0:
        return f"ERROR {out.stderr.strip()}", elapsed
    v = json.loads(out.stdout)
    if v["passed"]:
        return "yes", elapsed
    return f"NO ({v['underprotected']} under-protected, {v['published_unsafe']} unsafe published)", elapsed


def write_pattern(path, dims, statuses):
    with open(path, "w") as f:
        f.write(";".join(dims) + ";status\n")
        for codes, status in statuses:
            f.write(";".join(codes) + f";{status}\n")


def protect_peitto(d, dims, values, work):
    out, elapsed = run([PEITTO, "--lang", "en", "protect", os.path.join(d, "cells.csv"),
                        "--hierarchy", "area=" + os.path.join(d, "area.csv"), "--policy", "thl",
                        "--format", "json", "--no-intervals"])
    if out.returncode != 0:
        return {"tool": "peitto", "time": elapsed, "error": out.stderr.strip()}
    doc = json.loads(out.stdout)
    cells = doc["cells"]
    statuses = [(tuple(c["dimensions"][n] for n in dims), c["status"]) for c in cells]
    secondary = [codes for codes, s in statuses if s == "secondary"]
    pattern = os.path.join(work, "peitto-pattern.csv")
    write_pattern(pattern, dims, statuses)
    verdict, check_time = check(d, pattern)
    return {
        "tool": "peitto", "time": elapsed, "cells": len(cells),
        "primary": sum(1 for _, s in statuses if s == "primary"),
        # Empty cells withheld as primaries (a row whose total is 1-4 is withheld whole).
        "zeros": [codes for codes, s in statuses if s == "primary" and values.get(codes, 0) == 0],
        "secondary": len(secondary), "value": sum(values.get(c, 0) for c in secondary),
        "verdict": verdict, "check_time": check_time,
    }


def protect_tau(d, dims, values, zeros, method, rule, work):
    name = f"tau-Argus {method}, " + {"PL": "exact PL (apriori)", "PL1": "exact PL, shifted by 1"}.get(
        rule, f"FREQ(5,{rule})")
    opt = method == "OPT"
    limit = OPT_LIMIT + 60 if opt else TAU_LIMIT
    run_dir = os.path.join(work, f"{method}-{rule}")
    os.makedirs(run_dir, exist_ok=True)
    src = shifted_input(d, dims, values, zeros, run_dir) if rule == "PL1" else d
    lines = [f'<OPENTABLEDATA> "{src}/cells.tab"', f'<OPENMETADATA> "{src}/cells.rda"',
             "<SPECIFYTABLE> " + "".join(f'"{n}"' for n in dims) + '|"count"|'
             + ('|"cost"' if rule == "PL1" else "|"),
             f"<SAFETYRULE> FREQ(5,{10 if rule.startswith('PL') else rule})",
             f"<READTABLE> {0 if rule == 'PL1' else 1}"]
    if rule.startswith("PL"):
        # The exact protection levels: upper 5 - v for every unsafe count v
        # (1-4, totals too), lower 0. The first line sets a cost (to the
        # grand total's own value): pytauargus 0.6.0 miscounts the code
        # fields of a first line ending in two numbers.
        grand = tuple("Total" for _ in dims)
        with open(os.path.join(run_dir, "apriori.hst"), "w") as f:
            f.write(";".join(grand) + f";C;{values[grand]:.0f}\n")  # its cost in both inputs
            for codes, v in values.items():
                if 1 <= v < THRESHOLD:
                    f.write(";".join(codes) + f";PL;0;{THRESHOLD - v:.0f}\n")
            if rule == "PL1":
                for codes in zeros:
                    f.write(";".join(codes) + f";PL;0;{THRESHOLD}\n")
        lines.append(f'<APRIORI> "{run_dir}/apriori.hst",1,";"')
    if opt:
        lines.append(f"<SUPPRESS> OPT(1,{max(1, -(-OPT_LIMIT // 60))})")
    else:
        lines.append("<SUPPRESS> MOD(1,5,1,1,1)")
    out_tab = os.path.join(run_dir, "out.tab")
    lines.append(f'<WRITETABLE> (1,5,SO+,"{out_tab}")')
    arb = os.path.join(run_dir, "batch.arb")
    with open(arb, "w") as f:
        f.write("\n".join(lines) + "\n")
    if os.path.exists(out_tab):
        os.remove(out_tab)
    # tau-Argus leaves scratch files in the working directory: run it in run_dir.
    out, elapsed = run([sys.executable, "-c", "import sys, pytauargus.engine as e; e.run_batch(sys.argv[1])", arb],
                       limit=limit, cwd=run_dir)
    if out is None:
        return {"tool": name, "time": elapsed, "error": f"stopped after {limit} s"}
    if out.returncode != 0 or not os.path.exists(out_tab):
        return {"tool": name, "time": elapsed, "error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    statuses = []
    with open(out_tab) as f:
        for line in f:
            parts = [p.strip().strip('"').strip() for p in line.rstrip("\n").split(";")]
            statuses.append((tuple(parts[: len(dims)]), parts[len(dims) + 3]))
    secondary = [codes for codes, s in statuses if s == "M"]
    pattern = os.path.join(run_dir, "pattern.csv")
    write_pattern(pattern, dims, statuses)
    verdict, check_time = check(d, pattern)
    return {"tool": name, "time": elapsed, "secondary": len(secondary),
            "value": sum(values.get(c, 0) for c in secondary), "verdict": verdict, "check_time": check_time}


def main():
    print("| table | cells | primaries | tool | time | secondary suppressions | their total value | passes peitto's audit (audit time) |")
    print("|---|---:|---:|---|---:|---:|---:|---|")
    for d in TABLES:
        dims, values = read_table(d)
        work = os.path.join(d, "runs")
        os.makedirs(work, exist_ok=True)
        label = os.path.basename(d)
        results = [protect_peitto(d, dims, values, work)]
        cells = results[0].get("cells", 0)
        primary = results[0].get("primary", 0)
        if results[0].get("zeros"):
            primary = f"{primary} ({len(results[0]['zeros'])} empty)"
        for method, rule in VARIANTS:
            if method == "OPT" and (cells > OPT_MAX_CELLS or len(dims) > OPT_MAX_DIMS):
                continue
            results.append(protect_tau(d, dims, values, results[0].get("zeros", []), method, rule, work))
        for r in results:
            if "error" in r:
                print(f"| {label} | {cells} | {primary} | {r['tool']} | {r['time']:.2f} s | failed: {r['error']} | – | – |")
            else:
                print(f"| {label} | {cells} | {primary} | {r['tool']} | {r['time']:.2f} s | {r['secondary']} "
                      f"| {r['value']:.0f} | {r['verdict']} ({r['check_time']:.1f} s) |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
