#!/usr/bin/env python3
"""Recall of clinimg's own reader against ExifTool (and exiv2): of the identifying kinds the other
reader finds in each file (ExifTool's tags mapped by checker.imagefiles.exiftool.kind_of), how many
clinimg's inspect finds without ExifTool's help. Per kind per file; 'other' is not counted.

    .venv/bin/python scripts/image_recall.py [files or directories …] [-v]

Default: the real corpus in tests/fixtures/images/real. -v lists each miss. Exit 0.
"""
from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import images_recall as R  # noqa: E402


def files(args: list[str]) -> list[pathlib.Path]:
    out: list[pathlib.Path] = []
    for arg in args:
        p = pathlib.Path(arg)
        out += sorted(q for q in p.rglob("*") if q.suffix.lower() in R.MEDIA) if p.is_dir() else [p]
    return out


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    paths = files([a for a in argv if a != "-v"]) or R.real_files()
    readers = []
    if R.exiftool_program():
        readers.append(("exiftool", paths))
    else:
        print("ExifTool is not installed (apt-get install libimage-exiftool-perl): exiv2 only")
    readers.append(("exiv2", [p for p in paths if p.suffix.lower() in R.EXIV2_MEDIA]))
    for reader, chosen in readers:
        result = R.measure(chosen, reader)
        print(result.line())
        if verbose:
            for name, kind, keys in result.misses:
                print(f"  miss {name}: {kind} ({', '.join(keys[:6])})")
            for err in result.errors:
                print(f"  error {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
