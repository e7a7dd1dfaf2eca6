#!/usr/bin/env python3
"""Recall of clinimg's own reader against ExifTool: of the identifying kinds ExifTool finds in each
file (its tags mapped by checker.imagefiles.exiftool.kind_of), how many clinimg's inspect finds
without ExifTool's help (CLINIMG_EXIFTOOL=off). Counted per kind per file; 'other' is not counted
(every unmapped ExifTool tag would be one).

    .venv/bin/python scripts/image_recall.py tests/fixtures/images/real [more files or dirs] [-v]

Prints the recall and, with -v, each miss (file, kind, the ExifTool tags behind it). Exit 0.
"""
from __future__ import annotations

import os
import pathlib
import sys

os.environ["CLINIMG_EXIFTOOL"] = "off"  # measure clinimg's own reader

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checker import imagefiles  # noqa: E402
from checker.errors import CheckerError  # noqa: E402
from checker.imagefiles import exiftool  # noqa: E402

MEDIA = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".hif", ".mov", ".mp4", ".m4a", ".m4v", ".3gp", ".m4b"}


def files(args: list[str]) -> list[pathlib.Path]:
    out = []
    for arg in args:
        p = pathlib.Path(arg)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix.lower() in MEDIA)
        else:
            out.append(p)
    return out


def measure(paths: list[pathlib.Path], exe: str) -> tuple[int, int, list[tuple[str, str, list[str]]], list[str]]:
    expected = found = 0
    misses: list[tuple[str, str, list[str]]] = []
    errors: list[str] = []
    for path in paths:
        tags = exiftool.read(str(path), exe)
        theirs: dict[str, list[str]] = {}
        for kind, key, _value in exiftool.findings(tags):
            if kind != "other":
                theirs.setdefault(kind, []).append(key)
        try:
            ours = set(imagefiles.inspect(path).kinds)
        except CheckerError as exc:
            errors.append(str(exc))
            ours = set()
        for kind, keys in sorted(theirs.items()):
            expected += 1
            if kind in ours:
                found += 1
            else:
                misses.append((path.name, kind, keys))
    return expected, found, misses, errors


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    exe = exiftool.program() or exiftool._which("exiftool")
    if exe is None:
        print("ExifTool is not installed (apt-get install libimage-exiftool-perl)")
        return 0
    paths = files(args or [str(ROOT / "tests" / "fixtures" / "images" / "real")])
    expected, found, misses, errors = measure(paths, exe)
    print(f"{len(paths)} files, ExifTool {exiftool.version(exe)}: clinimg found {found} of the {expected} identifying kinds "
          f"ExifTool finds (per kind per file): recall {100 * found / max(expected, 1):.1f}%; {len(errors)} files refused")
    if verbose:
        for name, kind, keys in misses:
            print(f"  miss {name}: {kind} ({', '.join(keys[:6])})")
        for err in errors:
            print(f"  error {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
