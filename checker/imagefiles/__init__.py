"""Image, video and audio files: which identifying metadata they really carry, and a copy without it.

The guide: "digital images may contain metadata that could be used to identify an individual,
despite other identifiers being removed. This may include the time/date of capture, the device
that was used, and the GPS location of capture. Care should be taken to remove this data when
de-identifying images."

- ``inspect(path)`` — the kinds present (SPEC ``image.metadata_present``, extended: see
  ``kinds.KINDS``) and where each was found; values only when asked (they are patient or staff
  data), escaped. Pixels are never decoded: memory stays bounded whatever the image size.
- ``deidentify(src, dst)`` — a copy without any of it (JPEG: lossless; PNG: lossless re-encode;
  HEIC: metadata items cut out of the container, re-encoded only when that is impossible;
  MP4/MOV/M4A/3GP: remuxed), checked by inspecting it before it is put in place.
- ExifTool, where installed, is a second reader whose findings are added (``exiftool``).

Formats are recognised by content, never by file name. Every failure is a CheckerError (one line).
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import tempfile
from typing import Any

from ..errors import CheckerError
from . import detect, exiftool, media, stills
from .found import Collector, Found, Inspection
from .kinds import KINDS, ORDER, sort_kinds

# Still-image formats: the names of their (inspect, strip) functions in stills, looked up when
# called; everything else is a media container (PyAV/mutagen).
_STILLS = {
    detect.JPEG: ("inspect_jpeg", "strip_jpeg"),
    detect.PNG: ("inspect_png", "strip_png"),
    detect.HEIF: ("inspect_heif", "strip_heif"),
}

__all__ = ["KINDS", "ORDER", "Deidentified", "Found", "Inspection", "deidentify", "inspect", "sort_kinds"]


def _sniff(path: pathlib.Path) -> detect.Format:
    name = str(path)
    try:
        if path.is_dir():
            raise CheckerError(f"{name}: is a directory, not an image file")
        if path.exists() and not path.is_file():
            raise CheckerError(f"{name}: not a regular file")
        with open(path, "rb") as fh:
            head = fh.read(512)
    except CheckerError:
        raise
    except OSError as exc:
        raise CheckerError(f"{name}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        return detect.sniff(head)
    except CheckerError as exc:
        raise CheckerError(f"{name}: {exc}") from None


def _inspect(path: pathlib.Path, values: bool) -> tuple[Inspection, dict[str, Any], detect.Format]:
    fmt = _sniff(path)
    c = Collector(values)
    try:
        if fmt in _STILLS:
            facts = getattr(stills, _STILLS[fmt][0])(path, c)
        else:
            facts = media.inspect_media(path, fmt, c)
    except CheckerError as exc:
        raise CheckerError(f"{path}: {exc}") from None
    except MemoryError:
        raise CheckerError(f"{path}: refused: the file needs too much memory to read") from None
    except OSError as exc:
        raise CheckerError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    readers = ["clinimg"]
    exe = exiftool.program()
    if exe is not None:
        readers.append(_second_reader(path, exe, c))
    size = facts.get("size") or (None, None)
    modality = facts.get("modality") or fmt.modality
    result = Inspection(str(path), fmt.name, modality, list(c.items), size[0], size[1], readers)
    return result, facts, fmt


def _second_reader(path: pathlib.Path, exe: str, c: Collector) -> str:
    """ExifTool's findings of a kind clinimg's own reader did not find (it only ever adds)."""
    name = f"exiftool {exiftool.version(exe)}"
    try:
        tags = exiftool.read(str(path), exe)
    except CheckerError as exc:
        # clinimg has read the file; ExifTool's failure is said, and the decision rests on clinimg's reading
        return f"{name} (did not read it: {exc})"
    have = {f.kind for f in c.items}
    for kind, key, value in exiftool.findings(tags):
        if kind not in have and kind != "other":
            c.add(kind, f"ExifTool {key}", value)
    return name


def inspect(path: str | os.PathLike[str], *, values: bool = False) -> Inspection:
    """The identifying metadata a file holds. CheckerError (one line, naming the file) if it
    cannot be read, is not a supported format, is corrupt or truncated, or is a decompression bomb."""
    result, _facts, _fmt = _inspect(pathlib.Path(path), values)
    return result


@dataclasses.dataclass
class Deidentified:
    source: str
    output: str
    format: str
    removed: list[str]  # the kinds the source held
    method: str  # how the copy was made (lossless / re-encoded / remuxed), in plain words

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def deidentify(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, force: bool = False) -> Deidentified:
    """Write a copy of `src` at `dst` without identifying metadata; `src` is never modified.

    Refuses an existing `dst` unless `force`, and `dst` that is `src` always. The copy is written
    to a temporary file beside `dst`, inspected, and only moved into place when nothing identifying
    is left; otherwise it is removed and a CheckerError says what remained.
    """
    source, target = pathlib.Path(src), pathlib.Path(dst)
    before, facts, fmt = _inspect(source, values=False)
    try:
        same = target.exists() and os.path.samefile(source, target)
    except OSError:
        same = False
    if same or source.resolve() == target.resolve():
        raise CheckerError(f"{target}: is the input file; clinimg never changes the input, choose another output")
    if target.is_dir():
        raise CheckerError(f"{target}: is a directory; give the output file's name")
    if (target.exists() or target.is_symlink()) and not force:
        raise CheckerError(f"{target}: already exists (use --force to overwrite it)")
    suffix = target.suffix.lower()
    if suffix and suffix in _ALL_EXTENSIONS and suffix not in fmt.extensions and not (
            fmt in detect.MP4_FAMILY and suffix in detect.MP4_FAMILY_EXTENSIONS):
        family = " or another name of its family" if fmt in detect.MP4_FAMILY else ""
        raise CheckerError(f"{target}: the output name ends in {suffix} but the input is {fmt.name}; "
                           f"the copy keeps the input's format (use {fmt.extensions[0]}{family})")
    directory = target.parent if str(target.parent) else pathlib.Path(".")
    if not directory.is_dir():
        raise CheckerError(f"{target}: cannot write (no such directory)")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".clinimg-", suffix=suffix if suffix in _ALL_EXTENSIONS else fmt.extensions[0], dir=directory)
    except OSError as exc:
        raise CheckerError(f"{target}: cannot write ({exc.strerror or type(exc).__name__})") from None
    tmp = pathlib.Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                if fmt in _STILLS:
                    method = getattr(stills, _STILLS[fmt][1])(source, out, facts.get("orientation"))
                else:
                    out.close()
                    method = media.remux(source, fmt, tmp)
        except CheckerError as exc:
            raise CheckerError(f"{source}: {exc}") from None
        except MemoryError:
            raise CheckerError(f"{source}: refused: the image needs too much memory to rewrite") from None
        except OSError as exc:
            raise CheckerError(f"{target}: cannot write ({exc.strerror or type(exc).__name__})") from None
        try:
            after = inspect(tmp)
        except CheckerError as exc:
            raise CheckerError(f"{target}: the de-identified copy could not be checked, so it was not kept ({str(exc).split(': ', 1)[-1]})") from None
        if after.found:
            left = ", ".join(f"{f.kind} ({f.where})" for f in after.found)
            raise CheckerError(f"{target}: identifying metadata was still present after de-identification, so the copy was not kept: {left}")
        _place(tmp, target, force)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Deidentified(str(source), str(target), fmt.name, before.kinds, method)


_ALL_EXTENSIONS = {ext for f in detect.ALL for ext in f.extensions}


def _place(tmp: pathlib.Path, target: pathlib.Path, force: bool) -> None:
    """Move the checked copy into place; without force, never over a file that appeared meanwhile.
    The copy keeps the temporary file's owner-only permissions (it may show a patient)."""
    try:
        if force:
            os.replace(tmp, target)
            return
        try:
            os.link(tmp, target)  # fails if target exists: no clobbering, even in a race
        except FileExistsError:
            raise CheckerError(f"{target}: already exists (use --force to overwrite it)") from None
        except OSError:
            if target.exists():
                raise CheckerError(f"{target}: already exists (use --force to overwrite it)") from None
            os.replace(tmp, target)  # a filesystem without hard links
            return
        tmp.unlink()
    except CheckerError:
        raise
    except OSError as exc:
        raise CheckerError(f"{target}: cannot write ({exc.strerror or type(exc).__name__})") from None
