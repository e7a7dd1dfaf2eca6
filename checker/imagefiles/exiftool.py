"""ExifTool (Phil Harvey's reference reader) as a second, independent reader — when installed.

clinimg reads every format itself (Pillow, pillow-heif, PyAV, mutagen, defusedxml, and the box and
maker-note walkers here); that reader is always used and is what the tests hold to ≥ 99 % of
ExifTool's findings. Where ExifTool is installed (Debian's ``libimage-exiftool-perl``, which
``make run``/``make test`` install when they can), its findings are added: it knows hundreds of
vendor tags (enciphered Sony maker notes, every camera maker's serial-number tag) that no Python
library reads. It can only ever add kinds — a machine without it is never less strict than the
Python reader.

``CLINIMG_EXIFTOOL`` chooses: unset → ``exiftool`` on PATH if there is one; ``off`` → never; a path
→ that program. Tags are mapped onto the kinds by name (``kind_of``); the same mapping is what the
recall test and ``scripts/image_recall.py`` measure clinimg's own reader against.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from typing import Any

from ..errors import CheckerError
from . import kinds as K

TIMEOUT_SECONDS = 60
# Groups that describe the file system, ExifTool itself, or values ExifTool derives from other
# tags (Composite): never something the file carries.
_SKIP_GROUPS = {"System", "File", "ExifTool", "Composite", "SourceFile"}
_EMPTY = {"", "0", "0000:00:00 00:00:00", "0000:00:00", "00:00:00", "unknown", "none", "(none)", "n/a", "undef"}

def kind_of(group: str, name: str, value: Any) -> str | None:
    """The kind of one ExifTool tag (group = family-1 group, name without it), or None when it
    names settings, structure or layout (exposure, resolution, orientation, offsets …)."""
    if group in _SKIP_GROUPS or group.startswith("ICC"):  # colour profiles: the profile maker's data
        return None
    text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if text.strip(" \x00").lower() in _EMPTY:
        return None
    if group == "GPS" and name != "GPSVersionID":
        return "timestamp" if name in ("GPSDateStamp", "GPSTimeStamp", "GPSDateTime") else "gps"
    return K.kind_by_name(name, text, binary=text.startswith("(Binary data"))


def program() -> str | None:
    choice = os.environ.get("CLINIMG_EXIFTOOL", "").strip()
    if choice.lower() in ("off", "no", "0", "false", "none"):
        return None
    return _which(choice or "exiftool")


@functools.lru_cache(maxsize=4)
def _which(name: str) -> str | None:
    return shutil.which(name)


@functools.lru_cache(maxsize=4)
def version(exe: str) -> str:
    try:
        done = subprocess.run([exe, "-ver"], capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        return done.stdout.decode("ascii", "replace").strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def read(path: str, exe: str | None = None) -> dict[str, Any]:
    """Every tag ExifTool reads in `path` ("Group:Name" → value), duplicates and unknown tags
    included. CheckerError (without the path) if ExifTool cannot run or read the file."""
    exe = exe or program()
    if exe is None:
        raise CheckerError("ExifTool is not installed")
    # An absolute path: a file name starting with '-' is never taken for an option.
    target = os.path.abspath(path)
    try:
        done = subprocess.run([exe, "-j", "-a", "-u", "-G1", "-api", "LargeFileSupport=1", "-charset", "filename=utf8", target],
                              capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise CheckerError(f"ExifTool did not finish reading it within {TIMEOUT_SECONDS} s") from None
    except OSError as exc:
        raise CheckerError(f"ExifTool could not be run ({exc.strerror or type(exc).__name__})") from None
    try:
        docs = json.loads(done.stdout.decode("utf-8", "replace") or "[]")
    except ValueError:
        docs = []
    if not docs or not isinstance(docs[0], dict):
        raise CheckerError("ExifTool could not read it")
    return docs[0]


def findings(tags: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(kind, "Group:Name", value) for every identifying tag (``kind_of``); tags it maps to no
    kind are left out — never 'other'."""
    out: list[tuple[str, str, Any]] = []
    for key, value in tags.items():
        group, _, name = key.rpartition(":")
        if not group:  # 'SourceFile'; kind_of skips the file-system and ExifTool groups
            continue
        kind = kind_of(group, name, value)
        if kind is not None:
            out.append((kind, key, value))
    return out
