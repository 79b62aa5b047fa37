"""Opens every PX file peitto wrote with pyaxis (a PX parser peitto did not
write) and checks it against the JSON release of the same table: each
published value at the same cell, each withheld value missing (pyaxis reads
the quoted symbol as NaN), never a number.

Usage: python px_check.py OUT_DIR   (the project's out/, reports in Finnish)
Prints one line per file and a cargo-style summary line.
"""
import json
import math
import pathlib
import sys

from pyaxis import pyaxis


def check(px_path: pathlib.Path) -> str | None:
    json_path = px_path.with_suffix(".json")
    if not json_path.exists():
        json_path = px_path.parent / "fi" / (px_path.stem + ".json")
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    parsed = pyaxis.parse(uri=str(px_path), encoding="utf-8")
    meta, data = parsed["METADATA"], parsed["DATA"]
    if meta["LANGUAGES"] != ["fi", "sv", "en"]:
        return f"languages {meta['LANGUAGES']}"
    cols = doc["columns"]
    dims = [c for c in cols if c["role"] == "dimension"]
    measures = [c for c in cols if c["role"] == "measure"]
    heading = meta["HEADING"][0]
    index = {}
    for _, row in data.iterrows():
        key = tuple(str(row[d["label"]]) for d in dims) + (str(row[heading]),)
        index[key] = row["DATA"]

    def text(cell):
        if cell["status"] == "total":
            return cell["label"]
        v = cell["value"]
        return str(v)

    checked = 0
    for row in doc["rows"]:
        cells = dict(zip([c["name"] for c in cols], row))
        key = tuple(text(cells[d["name"]]) for d in dims)
        for m in measures:
            cell = cells[m["name"]]
            got = index.get(key + (m["label"],))
            if got is None:
                return f"no cell {key} {m['label']}"
            if isinstance(got, str) and got.strip('"') not in ("-", ".."):
                got = float(got)
            if cell["status"] == "suppressed":
                if not (isinstance(got, float) and math.isnan(got)):
                    return f"withheld cell {key} {m['label']} reads {got!r}"
            elif cell["status"] == "nil":
                if got != "-" and got != 0.0:
                    return f"nil cell {key} {m['label']} reads {got!r}"
            elif abs(float(got) - float(cell["value"])) > 0.006:
                return f"cell {key} {m['label']}: PX {got!r}, JSON {cell['value']!r}"
            checked += 1
    if checked == 0:
        return "no cells compared"
    return None


def main() -> int:
    out = pathlib.Path(sys.argv[1])
    files = sorted(out.rglob("*.px"))
    passed = failed = 0
    for f in files:
        problem = check(f)
        if problem is None:
            print(f"test px {f.relative_to(out)} ... ok")
            passed += 1
        else:
            print(f"test px {f.relative_to(out)} ... FAILED: {problem}")
            failed += 1
    status = "ok" if failed == 0 and passed > 0 else "FAILED"
    print(f"test result: {status}. {passed} passed; {failed} failed")
    return 0 if status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
