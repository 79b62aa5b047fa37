"""Disclosure-control benchmark: peitto protect against tau-Argus.

Random 2-D count tables (the same generator for both tools; 10 % of cells hold
1-4 persons) are protected by `peitto protect --policy thl` and by tau-Argus
(pytauargus, modular MOD and optimal OPT, frequency rule FREQ(5,10)). Every
tau-Argus pattern is then checked with peitto's own audit
(`peitto protect --check-pattern`), so the table shows whether each result
passes before comparing cost. Run through bench/protect.sh.
"""

import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

import pytauargus

PEITTO = os.path.abspath(sys.argv[1])
# tau-Argus leaves scratch files (JJ*.dat) in the working directory.
os.chdir(tempfile.mkdtemp(prefix="peitto-tau-"))
SIZES = [int(x) for x in os.environ.get("SIZES", "100 400 1000 2500 5000 10000 20000").split()]
# tau-Argus runs as METHOD:RANGE (frequency rule FREQ(5,RANGE), range in %, at most 100).
VARIANTS = [v.split(":") for v in os.environ.get("VARIANTS", "MOD:10 OPT:10 MOD:100").split()]


def table(cells, seed=7):
    side = math.ceil(math.sqrt(cells))
    rng = random.Random(seed)
    counts = {}
    for i in range(side):
        for j in range(side):
            counts[(f"a{i}", f"b{j}")] = rng.randint(1, 4) if rng.random() < 0.1 else rng.randint(5, 59)
    return counts


def value_of(counts, a, b):
    if a != "Total" and b != "Total":
        return counts[(a, b)]
    return sum(v for (x, y), v in counts.items() if a in ("Total", x) and b in ("Total", y))


def run_peitto(args):
    start = time.perf_counter()
    out = subprocess.run([PEITTO, "--lang", "en", "protect", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout), elapsed


def main():
    print("| cells | tool | time | secondary suppressions | their total value | passes peitto's audit |")
    print("|---|---|---|---|---|---|")
    for size in SIZES:
        counts = table(size)
        with tempfile.TemporaryDirectory() as work:
            cells_csv = os.path.join(work, "cells.csv")
            with open(cells_csv, "w") as f:
                f.write("A;B;count\n")
                for (a, b), v in sorted(counts.items()):
                    f.write(f"{a};{b};{v}\n")
            n_cells = (len({a for a, _ in counts}) + 1) * (len({b for _, b in counts}) + 1)
            # The exact attacker intervals (a full audit more) are left out: tau-Argus computes none.
            doc, elapsed = run_peitto([cells_csv, "--policy", "thl", "--format", "json", "--no-intervals"])
            secondary = [c for c in doc["cells"] if c["status"] == "secondary"]
            value = sum(value_of(counts, c["dimensions"]["A"], c["dimensions"]["B"]) for c in secondary)
            verdict, _ = run_peitto([cells_csv, "--policy", "thl", "--check-pattern", _pattern_from_peitto(doc, work)])
            print(f"| {n_cells} | peitto | {elapsed:.2f} s | {len(secondary)} | {value:.0f} | {'yes' if verdict['passed'] else 'NO'} |")
            micro = {"A": [], "B": [], "one": []}
            for (a, b), v in counts.items():
                for _ in range(v):
                    micro["A"].append(a)
                    micro["B"].append(b)
                    micro["one"].append(1)
            for method, rng in VARIANTS:
                name = f"tau-Argus {method}, FREQ(5,{rng})"
                start = time.perf_counter()
                try:
                    res = pytauargus.protect(micro, tables=[["A", "B"]], response="one",
                                             safety_rules=f"FREQ(5,{rng})", suppress=f"{method}(1)",
                                             workdir=os.path.join(work, f"{method}-{rng}"))
                except Exception as e:  # a failed run is a result too
                    print(f"| {n_cells} | {name} | failed: {e} | – | – | – |")
                    continue
                elapsed = time.perf_counter() - start
                rows = res.tables[0].rows
                pattern = os.path.join(work, f"{method}-{rng}.csv")
                with open(pattern, "w") as f:
                    f.write("A;B;status\n")
                    for r in rows:
                        f.write(f"{_code(r['A'])};{_code(r['B'])};{r['status']}\n")
                verdict, _ = run_peitto([cells_csv, "--policy", "thl", "--check-pattern", pattern])
                tau_secondary = [r for r in rows if r["status"] == "M"]
                tau_value = sum(value_of(counts, _code(r["A"]), _code(r["B"])) for r in tau_secondary)
                passes = "yes" if verdict["passed"] else f"NO ({verdict['underprotected']} under-protected, {verdict['published_unsafe']} unsafe published)"
                print(f"| {n_cells} | {name} | {elapsed:.2f} s | {len(tau_secondary)} | {tau_value:.0f} | {passes} |")
        sys.stdout.flush()


def _code(c):
    c = str(c).strip()
    return "Total" if c in ("", "Total", "Totaal") else c


def _pattern_from_peitto(doc, work):
    path = os.path.join(work, "peitto-pattern.csv")
    with open(path, "w") as f:
        f.write("A;B;status\n")
        for c in doc["cells"]:
            f.write(f"{c['dimensions']['A']};{c['dimensions']['B']};{c['status']}\n")
    return path


if __name__ == "__main__":
    main()
