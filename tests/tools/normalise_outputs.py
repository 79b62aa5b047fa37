"""Prints every file under a demo's out/ folder with what differs between
two runs of the same binary masked: ISO times, SHA-256 hashes (release-log
entries), and in XLSX files the document properties (creation time).
Binary files other than XLSX are printed as their SHA-256."""

import hashlib
import pathlib
import re
import sys
import zipfile

TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
HASH = re.compile(rb"\b[0-9a-f]{64}\b")
DATE = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?")


def masked(data: bytes) -> bytes:
    return DATE.sub(b"<date>", HASH.sub(b"<hash>", TIME.sub(b"<time>", data)))


def main(root: pathlib.Path) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        data = path.read_bytes()
        print(f"== {rel}")
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                for name in sorted(z.namelist()):
                    if name.startswith("docProps/"):
                        continue
                    print(f"-- {name} {hashlib.sha256(masked(z.read(name))).hexdigest()}")
        elif path.suffix in {".png", ".wasm", ".arrow"}:
            print(hashlib.sha256(data).hexdigest())
        else:
            sys.stdout.write(masked(data).decode("utf-8", "replace"))
            print()


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
