"""Vendor blocks inside image files that no Python library reads: FLIR thermal-camera records
(JPEG APP1 'FLIR'), GoPro's GPMF (APP6 'GoPro'), '[picture info]' text (APP12), extended XMP
(split over APP1 segments), and IPTC records in trailers after the image (AFCP, FotoStation).

Framing only, bounds-checked; every function takes the block's bytes and a Collector and never
raises on bad data (a block it cannot read stays named as 'other' by the caller).
"""
from __future__ import annotations

import re
import struct
from typing import Any

from . import kinds as K
from .found import Collector

# ------------------------------------------------------------------------------------------
# FLIR: APP1 'FLIR\0' segments, each: 0x01, chunk number, last chunk number, data; together an
# 'FFF' file of records (ExifTool's FLIR.pm documents their layout).
_FLIR_RECORDS = {0x01: ("thumbnail", "raw thermal image"), 0x0E: ("thumbnail", "embedded visible-light image"),
                 0x23: ("comment", "text notes"), 0x24: ("comment", "voice note"), 0x28: ("comment", "paint data")}
_FLIR_CAMERA_STRINGS = [  # (offset, length, kind, name) in the CameraInfo record
    (0xD4, 32, "device_model", "CameraModel"), (0xF4, 16, "device_model", "CameraPartNumber"),
    (0x104, 16, "serial_number", "CameraSerialNumber"), (0x114, 16, "software", "CameraSoftware"),
    (0x170, 32, "device_model", "LensModel"), (0x190, 16, "device_model", "LensPartNumber"),
    (0x1A0, 16, "serial_number", "LensSerialNumber"), (0x1EC, 16, "device_model", "FilterModel"),
    (0x1FC, 32, "device_model", "FilterPartNumber"), (0x21C, 32, "serial_number", "FilterSerialNumber"),
]


def flir_join(payloads: list[bytes]) -> bytes:
    chunks: dict[int, bytes] = {}
    for p in payloads:
        if len(p) > 8 and p.startswith(b"FLIR\x00"):
            chunks.setdefault(p[6], p[8:])
    return b"".join(chunks[i] for i in sorted(chunks))


def flir(c: Collector, data: bytes, label: str = "FLIR APP1") -> None:
    c.add("other", f"{label} (thermal camera records)")
    if len(data) < 0x40 or data[:4] not in (b"FFF\x00", b"AFF\x00"):
        return
    for order in (">", "<"):
        version, dir_offset, count = struct.unpack_from(order + "III", data, 0x14)
        if 100 <= version < 200 and 0 < count < 1000 and dir_offset + 32 * count <= len(data):
            break
    else:
        return
    for i in range(count):
        kind_id, _sub, _ver, _idx, offset, length = struct.unpack_from(order + "HHIIII", data, dir_offset + 32 * i)
        if kind_id == 0 or offset + length > len(data) or length == 0:
            continue
        record = data[offset : offset + length]
        if kind_id in _FLIR_RECORDS:
            kind, what = _FLIR_RECORDS[kind_id]
            if kind != "comment" or record.strip(b"\x00 "):
                c.add(kind, f"{label} {what}", f"<{length} bytes>")
        elif kind_id == 0x20 and len(record) >= 0x3A0:
            for at, size, kind, name in _FLIR_CAMERA_STRINGS:
                text = record[at : at + size].split(b"\x00", 1)[0].decode("latin-1").strip()
                if text:
                    c.add(kind, f"{label} {name}", text)
            seconds = struct.unpack_from("<I", record, 0x384)[0] or struct.unpack_from(">I", record, 0x384)[0]
            if seconds:
                c.add("timestamp", f"{label} DateTimeOriginal")
        elif kind_id == 0x2B and len(record) >= 0x28:
            valid = struct.unpack_from(order + "I", record, 0)[0]
            coords = record[0x10:0x20]
            if valid or coords.strip(b"\x00"):
                c.add("gps", f"{label} GPS record")
                if record[0x40:0x48].strip(b"\x00"):
                    c.add("timestamp", f"{label} GPS record time")


# ------------------------------------------------------------------------------------------
# GoPro GPMF: key (4), type (1), size (1), repeat (2), data padded to 4; type 0 nests.
_GPMF = {b"DVID": "unique_id", b"MUID": "unique_id", b"CASN": "serial_number", b"FMWR": "software",
         b"DVNM": "device_model", b"MINF": "device_model", b"LINF": "serial_number", b"GPS5": "gps",
         b"GPS9": "gps", b"GPSU": "timestamp", b"GPSP": "gps", b"GPSF": "gps"}


def gpmf(c: Collector, data: bytes, label: str = "GoPro APP6", depth: int = 0) -> None:
    pos = 0
    while pos + 8 <= len(data) and depth < 8:
        key, type_, size, repeat = struct.unpack_from(">4sBBH", data, pos)
        length = size * repeat
        body = data[pos + 8 : pos + 8 + length]
        if type_ == 0:
            gpmf(c, body, label, depth + 1)
        elif key in _GPMF and body.strip(b"\x00 "):
            c.add(_GPMF[key], f"{label} {key.decode('latin-1')}", body if type_ == ord("c") else None)
        elif key.isalnum() and key not in (b"STRM", b"DEVC") and body.strip(b"\x00"):
            c.add("other", f"{label} {key.decode('latin-1')}")
        pos += 8 + ((length + 3) & ~3)


# ------------------------------------------------------------------------------------------
# APP12 '[picture info]': 'Key=Value' lines (Agfa, Olympus, Toshiba cameras).


def picture_info(c: Collector, data: bytes, label: str = "APP12 picture info") -> None:
    c.add("other", f"{label}")
    for line in data.replace(b"\r", b"\n").split(b"\n"):
        key, sep, value = line.partition(b"=")
        if not sep:
            continue
        name = key.decode("latin-1").strip().replace("#", "Number")
        text = value.decode("latin-1").strip(" \x00")
        if name == "Version" and text:
            c.add("software", f"{label} {name}", text)
            continue
        kind = K.kind_by_name(name, text) if name and text else None
        if name in ("ID", "Type", "CameraType") and text:
            kind = "device_model"
        if kind:
            c.add(kind, f"{label} {name}", text)


def ducky(c: Collector, data: bytes, label: str) -> None:
    """Photoshop 'Save for Web' (APP12 'Ducky'): records of tag (2), length (2), data; 2 is a
    comment and 3 the copyright notice (UTF-16 after a 4-byte count)."""
    pos = 5
    while pos + 4 <= len(data):
        tag, length = struct.unpack_from(">HH", data, pos)
        if tag == 0:
            break
        body = data[pos + 4 : pos + 4 + length]
        if tag in (2, 3) and body[4:].strip(b"\x00 "):
            c.add("comment" if tag == 2 else "owner_name", f"{label} {'Comment' if tag == 2 else 'Copyright'}", body[4:].decode("utf-16-be", "replace"))
        pos += 4 + length


def jps(c: Collector, data: bytes, label: str) -> None:
    """A stereo JPEG's APP3 '_JPSJPS_': a descriptor block, then comment blocks (length, text)."""
    c.add("other", f"{label} stereo descriptor")
    if len(data) < 10:
        return
    pos = 10 + struct.unpack_from(">H", data, 8)[0]
    while pos + 2 <= len(data):
        length = struct.unpack_from(">H", data, pos)[0]
        text = data[pos + 2 : pos + 2 + length]
        if text.strip(b"\x00 "):
            c.add("comment", f"{label} comment", text)
        pos += 2 + length


def casio_qvci(c: Collector, data: bytes, label: str) -> None:
    """Casio QV cameras' APP1 'QVCI': binary, with the time of capture as 'YYYY.MM.DD.hh.mm.ss'."""
    c.add("other", f"{label} camera records")
    if re.search(rb"(19|20)\d\d[.:/-]\d\d[.:/-]\d\d", data):
        c.add("timestamp", f"{label} date of capture")


def flashpix(c: Collector, payloads: list[bytes], label: str) -> None:
    """FlashPix extensions split over APP2 'FPXR' segments (Kodak, HP, Digita cameras): a
    'screen nail' (a preview image), audio annotations (a voice note) and their descriptions."""
    c.add("other", f"{label} FlashPix extensions")
    joined = b"".join(payloads)
    text = joined.replace(b"\x00", b"").lower()
    if b"screen nail" in text or b"screennail" in text:
        c.add("thumbnail", f"{label} FlashPix screen nail (a preview image)")
    if b"audio" in text:
        c.add("comment", f"{label} FlashPix audio annotation (a voice note)")
    if b"description" in text or b"for lcd" in text:
        c.add("comment", f"{label} FlashPix extension description")


# Canon's CIFF heap (CRW files; in a JPEG's APP0 'II\x1a\0\0\0HEAPJPGM' on PowerShot cameras):
# tag id (low 14 bits) -> (kind, ExifTool's name).
_CIFF = {0x080A: ("device_model", "CanonRawMakeModel"), 0x080B: ("software", "CanonFirmwareVersion"),
         0x0810: ("owner_name", "OwnerName"), 0x0805: ("comment", "UserComment"), 0x0815: ("comment", "CanonFileDescription"),
         0x0816: ("comment", "OriginalFileName"), 0x0817: ("comment", "ThumbnailFileName"), 0x180E: ("timestamp", "TimeStamp"),
         0x183B: ("serial_number", "SerialNumber"), 0x2007: ("thumbnail", "JpgFromRaw"), 0x2008: ("thumbnail", "ThumbnailImage")}


def ciff(c: Collector, data: bytes, label: str) -> None:
    c.add("other", f"{label} Canon CIFF records")
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 14:
        return
    header = struct.unpack_from(order + "I", data, 2)[0]
    _ciff_heap(c, data, header, len(data), order, label, 0)


def _ciff_heap(c: Collector, data: bytes, start: int, end: int, order: str, label: str, depth: int) -> None:
    if depth > 6 or end - start < 6 or end > len(data):
        return
    table = start + struct.unpack_from(order + "I", data, end - 4)[0]
    if not start <= table < end - 2:
        return
    count = struct.unpack_from(order + "H", data, table)[0]
    for i in range(min(count, (end - table - 2) // 10)):
        tag, size, offset = struct.unpack_from(order + "HII", data, table + 2 + 10 * i)
        kind_bits, ident = tag & 0x3800, tag & 0x3FFF
        if tag & 0xC000 == 0x4000:
            value = data[table + 2 + 10 * i + 2 : table + 2 + 10 * i + 10]
        else:
            if start + offset + size > end:
                continue
            value = data[start + offset : start + offset + size]
            if kind_bits in (0x2800, 0x3000):
                _ciff_heap(c, data, start + offset, start + offset + size, order, label, depth + 1)
                continue
        if ident in _CIFF and value.strip(b"\x00 "):
            kind, name = _CIFF[ident]
            shown = value.split(b"\x00")[0] if kind_bits == 0x0800 else None
            c.add(kind, f"{label} {name}", shown)


def infisense(c: Collector, data: bytes, label: str) -> None:
    """InfiRay thermal cameras (APP9 'infisense'): sensor serial numbers and firmware versions as
    NUL-terminated text among binary calibration data."""
    c.add("other", f"{label} sensor records")
    for run in re.findall(rb"[\x20-\x7e]{6,}", data[9:]):
        text = run.decode("ascii")
        if re.fullmatch(r"\d+(\.\d+){2,}", text):
            c.add("software", f"{label} sensor firmware", text)
        elif re.fullmatch(r"[A-Z0-9]{10,}", text):
            c.add("serial_number", f"{label} sensor serial number", text)


# ------------------------------------------------------------------------------------------
# Extended XMP: APP1 'http://ns.adobe.com/xmp/extension/\0' + GUID (32) + full length (4) +
# offset (4) + a piece of the packet.


def extended_xmp(payloads: list[bytes]) -> list[bytes]:
    packets: dict[bytes, dict[int, bytes]] = {}
    for p in payloads:
        if len(p) < 40:
            continue
        guid = p[:32]
        offset = struct.unpack_from(">I", p, 36)[0]
        packets.setdefault(guid, {})[offset] = p[40:]
    return [b"".join(parts[o] for o in sorted(parts)) for parts in packets.values()]


# ------------------------------------------------------------------------------------------
# IPTC IIM records (0x1C, record, dataset, length, value) wherever they are found whole.


def iim(data: bytes) -> dict[tuple[int, int], Any]:
    out: dict[tuple[int, int], Any] = {}
    pos = data.find(b"\x1c\x02")
    while 0 <= pos and pos + 5 <= len(data) and data[pos] == 0x1C:
        record, dataset, length = data[pos + 1], data[pos + 2], struct.unpack_from(">H", data, pos + 3)[0]
        if length & 0x8000 or pos + 5 + length > len(data):
            break
        value = data[pos + 5 : pos + 5 + length]
        key = (record, dataset)
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
        pos += 5 + length
    return out
