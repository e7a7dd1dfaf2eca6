"""Recall of clinimg's own reader against an independent one (ExifTool, else exiv2): of the
identifying kinds the other reader finds in each file, how many clinimg's inspect finds without
ExifTool's help. Counted per kind per file; 'other' is not counted (every unmapped tag would be one).

Shared by tests/unit/test_images_real.py and scripts/image_recall.py.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import subprocess
from typing import Callable

REAL = pathlib.Path(__file__).resolve().parent / "fixtures" / "images" / "real"
MEDIA = {".jpg", ".jpeg", ".jps", ".png", ".heic", ".heif", ".hif", ".mov", ".mp4", ".m4a", ".m4v", ".3gp", ".m4b"}
# exiv2 reads these; its BMFF (HEIC) and QuickTime support depends on how it was built
EXIV2_MEDIA = {".jpg", ".jpeg", ".jps", ".png"}


def real_files(suffixes: set[str] = MEDIA) -> list[pathlib.Path]:
    return sorted(p for p in REAL.iterdir() if p.suffix.lower() in suffixes)


def exiftool_program() -> str | None:
    return shutil.which("exiftool")


def exiftool_kinds(paths: list[pathlib.Path]) -> dict[str, dict[str, list[str]]]:
    """file name -> kind -> the ExifTool tags ("Group:Name") behind it; one ExifTool process."""
    from checker.imagefiles import exiftool

    exe = exiftool_program()
    assert exe is not None
    done = subprocess.run([exe, "-j", "-a", "-u", "-G1", *[str(p.resolve()) for p in paths]], capture_output=True, timeout=300, check=False)
    out: dict[str, dict[str, list[str]]] = {}
    for doc in json.loads(done.stdout.decode("utf-8", "replace") or "[]"):
        kinds: dict[str, list[str]] = {}
        for kind, key, _value in exiftool.findings(doc):
            if kind != "other":
                kinds.setdefault(kind, []).append(key)
        out[pathlib.Path(doc["SourceFile"]).name] = kinds
    return out


def exiv2_kinds(paths: list[pathlib.Path]) -> dict[str, dict[str, list[str]]]:
    """The same from exiv2 (pyexiv2): Exif (maker notes included), XMP, IPTC and the comment."""
    import pyexiv2

    from checker.imagefiles import kinds as K

    pyexiv2.set_log_level(4)
    out: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        tags: dict[str, object] = {}
        kinds: dict[str, list[str]] = {}
        try:
            image = pyexiv2.Image(str(path))
        except RuntimeError:
            continue  # exiv2 cannot read the file at all: it has no opinion on it
        with image:
            for read in (image.read_exif, image.read_xmp, image.read_iptc):
                try:
                    tags.update(read())
                except Exception:  # a block exiv2 cannot read: the others still count
                    continue
            try:
                if (image.read_comment() or "").strip():
                    kinds.setdefault("comment", []).append("Comment")
            except Exception:
                pass
        for key, value in tags.items():
            parts = key.split(".")
            group, name = parts[1], parts[-1]
            text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
            if not text.replace("0", "").strip(" \x00") or name == "GPSTag":
                continue  # empty, all zeros, or the GPS directory's pointer
            if group == "GPSInfo":
                kind = None if name == "GPSVersionID" else ("timestamp" if name in ("GPSDateStamp", "GPSTimeStamp") else "gps")
            elif group == "Thumbnail" and name == "JPEGInterchangeFormat":
                kind = "thumbnail"
            else:
                kind = K.kind_by_name(name, text)
            if kind:
                kinds.setdefault(kind, []).append(key)
        out[path.name] = kinds
    return out


@dataclasses.dataclass
class Recall:
    reader: str
    files: int
    expected: int
    found: int
    misses: list[tuple[str, str, list[str]]]  # file, kind, the other reader's tags
    errors: list[str]

    @property
    def ratio(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    def line(self) -> str:
        return (f"{self.files} files, {self.reader}: clinimg found {self.found} of the {self.expected} identifying kinds "
                f"it finds (per kind per file): recall {100 * self.ratio:.1f}%; {len(self.errors)} files refused")


def measure(paths: list[pathlib.Path], reader: str) -> Recall:
    """`reader` is 'exiftool' or 'exiv2'. clinimg reads alone (CLINIMG_EXIFTOOL=off) meanwhile."""
    from checker import imagefiles
    from checker.errors import CheckerError

    read: Callable[[list[pathlib.Path]], dict[str, dict[str, list[str]]]] = exiftool_kinds if reader == "exiftool" else exiv2_kinds
    theirs = read(paths)
    saved = os.environ.get("CLINIMG_EXIFTOOL")
    os.environ["CLINIMG_EXIFTOOL"] = "off"
    try:
        result = Recall(reader, len(paths), 0, 0, [], [])
        for path in paths:
            try:
                ours = set(imagefiles.inspect(path).kinds)
            except CheckerError as exc:
                result.errors.append(str(exc))
                ours = set()
            for kind, keys in sorted(theirs.get(path.name, {}).items()):
                result.expected += 1
                if kind in ours:
                    result.found += 1
                else:
                    result.misses.append((path.name, kind, keys))
        return result
    finally:
        if saved is None:
            os.environ.pop("CLINIMG_EXIFTOOL", None)
        else:
            os.environ["CLINIMG_EXIFTOOL"] = saved
