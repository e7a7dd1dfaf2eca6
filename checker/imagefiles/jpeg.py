"""JPEG at the level of its marker segments (ITU T.81 B.1): which segments a file has, and a copy
that keeps only what a decoder needs — the compressed pixels are copied byte for byte.

This reads the stream's framing only (marker, length); what is inside a metadata segment is
read by Pillow (EXIF, IPTC) and defusedxml (XMP). A whitelist, not a blacklist: a segment kind
clinimg has never heard of is dropped by deidentify, and named by inspect.
"""
from __future__ import annotations

import dataclasses
import mmap
import re
from typing import Iterator

from ..errors import CheckerError

SOI, EOI, SOS, COM = 0xD8, 0xD9, 0xDA, 0xFE
APP0, APP1, APP2, APP13, APP14 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE
# Markers without a length field.
_STANDALONE = {0x01, *range(0xD0, 0xD8), SOI, EOI}
# Segments a decoder needs: frame headers (SOFn, incl. DHT C4, DAC CC), DQT, DRI, SOS, DNL, DHP, EXP.
_DECODING = {*range(0xC0, 0xD0), 0xDB, 0xDD, SOS, 0xDC, 0xDE, 0xDF}
# In entropy-coded data, 0xFF is followed by 0x00 (stuffing), RSTn, or 0xFF (fill before a marker).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

EXIF_ID = b"Exif\x00\x00"
XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
ICC_ID = b"ICC_PROFILE\x00"
MPF_ID = b"MPF\x00"
JFIF_ID = b"JFIF\x00"
JFXX_ID = b"JFXX\x00"
ADOBE_ID = b"Adobe"
PHOTOSHOP_ID = b"Photoshop 3.0\x00"


@dataclasses.dataclass(frozen=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF of the marker
    end: int  # offset just past the segment (for SOS: past its header, not the scan data)
    payload: bytes  # the bytes after the length field ("" for standalone markers)
    after_scan: bool  # found after the first SOS (between progressive scans)

    @property
    def name(self) -> str:
        if 0xE0 <= self.marker <= 0xEF:
            return f"APP{self.marker - 0xE0}"
        return {COM: "COM", SOS: "SOS", SOI: "SOI", EOI: "EOI"}.get(self.marker, f"0x{self.marker:02X}")


@dataclasses.dataclass
class Layout:
    segments: list[Segment]
    scans: list[tuple[int, int]]  # entropy-coded data ranges
    eoi: int  # offset just past EOI
    trailing: int  # bytes after EOI


def parse(data: bytes | mmap.mmap) -> Layout:
    """The segments of a whole JPEG file; CheckerError when it is truncated or not a JPEG.

    `data` may be an mmap: nothing returned refers into it (payloads are copies, at most 64 KiB each).
    """
    view = memoryview(data)
    try:
        return _parse(data, view)
    finally:
        view.release()


def _parse(data: bytes | mmap.mmap, view: memoryview) -> Layout:
    n = len(view)
    if bytes(view[:2]) != b"\xff\xd8":
        raise CheckerError("not a JPEG file (no start-of-image marker)")
    segments: list[Segment] = []
    scans: list[tuple[int, int]] = []
    pos = 2
    seen_scan = False
    while True:
        if pos >= n:
            raise CheckerError("truncated JPEG file (no end-of-image marker)")
        if view[pos] != 0xFF:
            raise CheckerError(f"corrupt JPEG file (no marker at byte {pos})")
        while pos < n and view[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            raise CheckerError("truncated JPEG file (no end-of-image marker)")
        marker = view[pos]
        start = pos - 1
        if marker == EOI:
            return Layout(segments, scans, pos + 1, n - pos - 1)
        if marker in _STANDALONE or marker == 0x00:
            if marker == 0x00 or marker == SOI:
                raise CheckerError(f"corrupt JPEG file (unexpected marker at byte {start})")
            segments.append(Segment(marker, start, pos + 1, b"", seen_scan))
            pos += 1
            continue
        if pos + 3 > n:
            raise CheckerError("truncated JPEG file (segment header cut off)")
        length = (view[pos + 1] << 8) | view[pos + 2]
        end = pos + 1 + length
        if length < 2:
            raise CheckerError(f"corrupt JPEG file (bad segment length at byte {start})")
        if end > n:
            raise CheckerError("truncated JPEG file (segment cut off)")
        segments.append(Segment(marker, start, end, data[pos + 3 : end], seen_scan))
        pos = end
        if marker == SOS:
            seen_scan = True
            match = _NEXT_MARKER.search(data, pos)
            if match is None:
                raise CheckerError("truncated JPEG file (image data cut off, no end-of-image marker)")
            scans.append((pos, match.start()))
            pos = match.start()


def _keep(seg: Segment) -> bool:
    m, p = seg.marker, seg.payload[:16]
    if m in _DECODING or m in _STANDALONE:
        return True
    if m == APP0:
        # JFIF without a thumbnail: 14 bytes (identifier, version, units, densities, 0x0 thumbnail)
        return p.startswith(JFIF_ID) and len(seg.payload) == 14
    if m == APP2:
        return p.startswith(ICC_ID)
    if m == APP14:
        return p.startswith(ADOBE_ID)  # colour transform flag a decoder needs
    return False


def stripped(data: bytes, exif: bytes | None = None) -> tuple[bytes, list[str]]:
    """A copy keeping only the segments a decoder needs, plus `exif` (an APP1 payload built by
    Pillow, e.g. just the orientation) after SOI/JFIF. Returns (bytes, names of dropped parts)."""
    layout = parse(data)
    view = memoryview(data)
    out = [b"\xff\xd8"]
    dropped: list[str] = []
    inserted = exif is None
    scans = dict(layout.scans)

    def insert_exif() -> None:
        nonlocal inserted
        if not inserted:
            assert exif is not None
            if len(exif) + 2 > 0xFFFF:
                raise CheckerError("EXIF orientation block too large")
            out.append(b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif)
            inserted = True

    for seg in layout.segments:
        if seg.marker == APP0 and _keep(seg) and not inserted:
            out.append(bytes(view[seg.start : seg.end]))
            insert_exif()
            continue
        insert_exif()
        if _keep(seg):
            out.append(bytes(view[seg.start : seg.end]))
        else:
            dropped.append(seg.name)
        if seg.marker == SOS:
            begin = seg.end
            finish = scans[begin]
            out.append(bytes(view[begin:finish]))
    insert_exif()
    out.append(b"\xff\xd9")
    if layout.trailing:
        dropped.append("data after the end of the image")
    return b"".join(out), dropped


def iter_app(layout: Layout) -> Iterator[Segment]:
    for seg in layout.segments:
        if 0xE0 <= seg.marker <= 0xEF or seg.marker == COM:
            yield seg
