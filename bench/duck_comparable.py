# DuckDB doing work comparable to `peitto ingest` on a folder of register
# extracts (issue 19): one process, one COPY per CSV file to Parquet, with
# every value read as text and then
#   - dates (d.m.yyyy or yyyy-mm-dd) parsed to DATE,
#   - decimal-comma amounts (315,55; 1 234,50) parsed to DECIMAL(18,2),
#   - whole numbers to BIGINT,
#   - the henkilötunnus checked with its mod-31 control character and
#     replaced by sha256 of a project key and the number (rows whose
#     number fails the check are left out, as peitto quarantines them),
#   - duplicates by record id removed (the first column named like an id:
#     *tunnus other than the henkilötunnus or a business id, or *id),
#     the row kept as peitto keeps the later version.
# Which column is which is found first, untimed (`discover`), from a
# sample of each file, the way a DuckDB user would write the SQL once:
#   python duck_comparable.py discover SRC DST PLAN OPTIONS_JSON
#   python duck_comparable.py run SRC DST PLAN
# OPTIONS_JSON is the plain baseline's read_csv options per file
# (encoding, rows it cannot split), so both baselines read alike.
import json, pathlib, re, sys, duckdb

HETU = re.compile(r"^\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]$")
DMY = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COMMA = re.compile(r"^-?\d{1,3}( ?\d{3})*,\d+$|^-?\d+,\d+$")
WHOLE = re.compile(r"^-?\d+$")
KEY = "peitto-bench-key"
CONTROL = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def kind(values):
    """The class nearly every non-empty sampled value of a column is in
    (the extracts hold a few dirty values on purpose), or text."""
    vals = [v for v in values if v not in (None, "")]
    if not vals:
        return "text"
    share = lambda ok: sum(1 for v in vals if ok(v)) >= 0.95 * len(vals)
    for name, pattern in (("hetu", HETU), ("dmy", DMY), ("iso", ISO), ("whole", WHOLE), ("comma", COMMA)):
        if share(pattern.match):
            return name
    # Amounts where some values have no decimals (2524 beside 315,55).
    if share(lambda v: COMMA.match(v) or WHOLE.match(v)) and any("," in v for v in vals):
        return "comma"
    return "text"


def quoted(name):
    return '"' + name.replace('"', '""') + '"'


def expr(name, k):
    c = quoted(name)
    if k == "hetu":
        return f"sha256('{KEY}' || {c}) AS {quoted(name + '_key')}"
    if k == "dmy":
        return f"CAST(try_strptime({c}, '%d.%m.%Y') AS DATE) AS {c}"
    if k == "iso":
        return f"TRY_CAST({c} AS DATE) AS {c}"
    if k == "comma":
        return f"TRY_CAST(replace(replace({c}, ' ', ''), ',', '.') AS DECIMAL(18,2)) AS {c}"
    if k == "whole":
        return f"TRY_CAST({c} AS BIGINT) AS {c}"
    return c


def check(name):
    """The henkilötunnus's mod-31 control character holds."""
    c = quoted(name)
    return (f"substr('{CONTROL}', CAST(TRY_CAST(substr({c}, 1, 6) || substr({c}, 8, 3) AS BIGINT) % 31 AS INTEGER) + 1, 1)"
            f" = substr({c}, 11, 1)")


def id_column(columns, kinds):
    for name in columns:
        low = name.lower()
        if kinds[name] in ("hetu", "dmy", "iso", "comma"):
            continue
        if low.startswith("y-") or "henkil" in low:
            continue
        if low.endswith("tunnus") or low.endswith("id") or low.endswith("_id"):
            return name
    return None


def sql(f, options, plan, dst):
    columns, kinds, ident = plan["columns"], plan["kinds"], plan["id"]
    select = ", ".join(expr(c, kinds[c]) for c in columns)
    # A malformed number fails the check (TRY_CAST: NULL, not an error).
    where = " AND ".join(f"({quoted(c)} IS NULL OR coalesce({check(c)}, false))" for c in columns if kinds[c] == "hetu") or "TRUE"
    source = f"SELECT *, row_number() OVER () AS __line FROM read_csv('{f}', all_varchar=true{options})"
    dedupe = ""
    if ident:
        # The later line of a record id wins, as in peitto's store.
        dedupe = f" QUALIFY row_number() OVER (PARTITION BY {quoted(ident)} ORDER BY __line DESC) = 1"
    return f"COPY (SELECT {select} FROM ({source}) WHERE {where}{dedupe}) TO '{dst}' (FORMAT parquet)"


def main():
    mode, src, dst, plan_path = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
    dst.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    files = sorted(src.rglob("*.csv"))
    if mode == "discover":
        options = json.loads(pathlib.Path(sys.argv[5]).read_text())
        plans = {}
        for f in files:
            # The separator and header as the user sees them in the file
            # (the sniffer guesses otherwise once every column is text).
            first = f.open("rb").readline()
            delim = ";" if first.count(b";") > first.count(b",") else ","
            base = options[str(f)] + f", delim='{delim}', header=true, quote='\"'"
            for extra in ("", ", strict_mode=false", ", strict_mode=false, ignore_errors=true, null_padding=true"):
                opts = base + extra
                try:
                    rel = con.execute(f"SELECT * FROM read_csv('{f}', all_varchar=true{opts}) LIMIT 5000")
                    con.execute(f"SELECT count(*) FROM read_csv('{f}', all_varchar=true{opts})").fetchall()
                    break
                except duckdb.Error:
                    continue
            else:
                sys.exit(f"{f}: DuckDB reads it with none of the options")
            rel = con.execute(f"SELECT * FROM read_csv('{f}', all_varchar=true{opts}) LIMIT 5000")
            columns = [d[0] for d in rel.description]
            rows = rel.fetchall()
            kinds = {c: kind([r[i] for r in rows]) for i, c in enumerate(columns)}
            plans[str(f)] = {"options": opts, "columns": columns, "kinds": kinds, "id": id_column(columns, kinds)}
        plan_path.write_text(json.dumps(plans, indent=1, ensure_ascii=False))
        typed = sum(k != "text" for p in plans.values() for k in p["kinds"].values())
        print(f"{len(plans)} files, {typed} typed columns, "
              f"{sum(1 for p in plans.values() for k in p['kinds'].values() if k == 'hetu')} henkilötunnus columns, "
              f"{sum(1 for p in plans.values() if p['id'])} with a record id")
    else:
        plans = json.loads(plan_path.read_text())
        for i, f in enumerate(files):
            p = plans[str(f)]
            con.execute(sql(f, p["options"], p, f"{dst}/{i}.parquet"))


main()
