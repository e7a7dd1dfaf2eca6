#!/usr/bin/env python3
"""HEIC de-identification: time and size on a real 12-megapixel iPhone photo (or the files given).

    .venv/bin/python scripts/bench_heic.py [file.heic …] [--runs N] [--reencode]

For each file: the median wall time of `clinimg deidentify` (library call, inspection of the copy
included, ExifTool off), input and output size, whether the decoded pixels are identical; with
--reencode also the fallback (re-encoding, used only when the container cannot be rewritten).
"""
from __future__ import annotations

import os
import pathlib
import statistics
import sys
import tempfile
import time

os.environ.setdefault("CLINIMG_EXIFTOOL", "off")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from checker import imagefiles  # noqa: E402
from checker.imagefiles import heif  # noqa: E402


def run(path: pathlib.Path, runs: int, reencode: bool) -> None:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "clean.heic"
        for _ in range(runs):
            out.unlink(missing_ok=True)
            start = time.perf_counter()
            result = imagefiles.deidentify(path, out)
            times.append(time.perf_counter() - start)
        with Image.open(path) as a, Image.open(out) as b:
            size = a.size
            same = a.size == b.size and a.tobytes() == b.tobytes()
        before, after = path.stat().st_size, out.stat().st_size
        print(f"{path.name}: {size[0]}×{size[1]} ({size[0] * size[1] / 1e6:.1f} MP): deidentify median {statistics.median(times):.3f} s "
              f"over {runs} runs; {before:,} → {after:,} bytes ({after / before:.2f}×); pixels {'identical' if same else 'DIFFER'}")
        print(f"  {result.method}")
        if reencode:
            def unsupported(data: bytes) -> tuple[bytes, list[str]]:
                raise heif.Unsupported("benchmark of the fallback")

            saved = heif.strip
            heif.strip = unsupported  # type: ignore[assignment]
            try:
                out.unlink(missing_ok=True)
                start = time.perf_counter()
                result = imagefiles.deidentify(path, out)
                took = time.perf_counter() - start
            finally:
                heif.strip = saved  # type: ignore[assignment]
            print(f"  fallback re-encode: {took:.1f} s; {out.stat().st_size:,} bytes ({out.stat().st_size / before:.2f}×); {result.method[:60]}")


def main(argv: list[str]) -> int:
    runs = 5
    if "--runs" in argv:
        runs = int(argv[argv.index("--runs") + 1])
        del argv[argv.index("--runs") : argv.index("--runs") + 2]
    reencode = "--reencode" in argv
    paths = [pathlib.Path(a) for a in argv if not a.startswith("--")] or [ROOT / "tests" / "fixtures" / "images" / "real" / "pug.heic"]
    for path in paths:
        run(path, runs, reencode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
