"""Camera makers' maker notes (EXIF tag 0x927C): the serial numbers, owner names, ids and firmware
they carry, by maker. No Python library reads these (Pillow hands the block over as bytes), so
this walks their TIFF-style directories itself — framing only, every offset bounds-checked — and
names the entries the makers' own tag tables (as documented by ExifTool) say are identifying.
Everything else in a maker note stays 'other' (it is removed by deidentify all the same).
"""
from __future__ import annotations

import re
import struct
from typing import Iterator

from .found import Collector

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_MAX_ENTRIES = 1000
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$")


class Entry:
    __slots__ = ("tag", "type", "count", "value")

    def __init__(self, tag: int, type_: int, count: int, value: bytes) -> None:
        self.tag, self.type, self.count, self.value = tag, type_, count, value

    def text(self) -> str:
        if self.type in (2, 7, 1):
            raw = self.value.split(b"\x00", 1)[0] if self.type == 2 else self.value.rstrip(b"\x00")
            return raw.decode("latin-1").strip()
        return ""

    def ints(self, order: str) -> list[int]:
        size = _TYPE_SIZES.get(self.type, 1)
        fmt = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}.get(self.type)
        if fmt is None:
            return []
        n = len(self.value) // size
        return list(struct.unpack(f"{order}{n}{fmt}", self.value[: n * size]))


def ifd(data: bytes, offset: int, base: int, order: str, lenient: bool = False) -> list[Entry]:
    """The entries of one directory at `offset`; value offsets are relative to `base`.
    An impossible directory gives [] (never an exception, never a read out of bounds); `lenient`
    reads as many entries as fit (a maker whose count field is not a count)."""
    if offset < 0 or offset + 2 > len(data):
        return []
    (count,) = struct.unpack_from(order + "H", data, offset)
    if lenient:
        count = min(count, (len(data) - offset - 2) // 12)
    if count == 0 or count > _MAX_ENTRIES or offset + 2 + 12 * count > len(data):
        return []
    out = []
    for i in range(count):
        tag, type_, n, raw = struct.unpack_from(order + "HHI4s", data, offset + 2 + 12 * i)
        size = _TYPE_SIZES.get(type_)
        if size is None:
            continue
        length = size * n
        if length <= 4:
            value = raw[:length]
        else:
            (pointer,) = struct.unpack(order + "I", raw)
            start = base + pointer
            if start < 0 or start + length > len(data) or length > 1 << 20:
                continue
            value = data[start : start + length]
        out.append(Entry(tag, type_, n, value))
    return out


def _tiff_order(tiff: bytes, at: int = 0) -> str | None:
    head = tiff[at : at + 2]
    return "<" if head == b"II" else ">" if head == b"MM" else None


def find(tiff: bytes) -> tuple[int, int, str] | None:
    """(offset, length, byte order) of the maker note inside a TIFF-structured EXIF block."""
    order = _tiff_order(tiff)
    if order is None or len(tiff) < 8:
        return None
    (first,) = struct.unpack_from(order + "I", tiff, 4)
    for entry in ifd(tiff, first, 0, order):
        if entry.tag == 0x8769 and entry.type in (4, 13) and entry.value:
            (exif_ifd,) = struct.unpack(order + "I", entry.value[:4])
            for sub in _raw_entries(tiff, exif_ifd, order):
                tag, type_, n, pointer = sub
                if tag == 0x927C and n > 4:
                    return (pointer, n, order) if pointer + n <= len(tiff) else None
    return None


def _raw_entries(data: bytes, offset: int, order: str) -> Iterator[tuple[int, int, int, int]]:
    if offset + 2 > len(data):
        return
    (count,) = struct.unpack_from(order + "H", data, offset)
    if count > _MAX_ENTRIES or offset + 2 + 12 * count > len(data):
        return
    for i in range(count):
        yield struct.unpack_from(order + "HHII", data, offset + 2 + 12 * i)


# Per maker: tag -> (kind, ExifTool's name for it). Sub-directories are listed in _SUBDIRS.
_TAGS: dict[str, dict[int, tuple[str, str]]] = {
    "Canon": {0x0007: ("software", "CanonFirmwareVersion"), 0x0009: ("owner_name", "OwnerName"),
              0x000C: ("serial_number", "SerialNumber"), 0x0096: ("serial_number", "InternalSerialNumber"),
              0x0028: ("unique_id", "ImageUniqueID"), 0x0095: ("device_model", "LensModel"),
              0x0006: ("device_model", "ImageType")},
    "Nikon": {0x001D: ("serial_number", "SerialNumber"), 0x00A0: ("serial_number", "SerialNumber"),
              0x0095: ("other", "NoiseReduction"), 0x0084: ("device_model", "Lens")},
    "Olympus": {0x0209: ("unique_id", "CameraID"), 0x0404: ("serial_number", "SerialNumber"),
                0x0207: ("device_model", "CameraType"), 0x0101: ("serial_number", "SerialNumber"),
                0x0102: ("serial_number", "InternalSerialNumber"), 0x0104: ("software", "BodyFirmwareVersion"),
                0x0202: ("serial_number", "LensSerialNumber"), 0x0204: ("software", "LensFirmwareVersion"),
                0x0302: ("serial_number", "ExtenderSerialNumber"), 0x1003: ("serial_number", "FlashSerialNumber"),
                0x0201: ("device_model", "LensType"), 0x0203: ("device_model", "LensModel"),
                0x101A: ("serial_number", "SerialNumber")},
    "Panasonic": {0x0002: ("software", "FirmwareVersion"), 0x0025: ("serial_number", "InternalSerialNumber"),
                  0x0051: ("device_model", "LensType"), 0x0052: ("serial_number", "LensSerialNumber"),
                  0x0054: ("serial_number", "AccessorySerialNumber"), 0x0066: ("owner_name", "BabyName"),
                  0x0067: ("gps", "Location"), 0x0069: ("gps", "City"), 0x006B: ("gps", "Country"),
                  0x006D: ("gps", "State"), 0x006F: ("gps", "City2"), 0x0071: ("gps", "Landmark"),
                  0x0065: ("comment", "Title"), 0x0068: ("comment", "Text"), 0x0061: ("owner_name", "FaceRecInfo")},
    "Pentax": {0x0229: ("serial_number", "SerialNumber"), 0x0023: ("gps", "HometownCity"),
               0x0024: ("gps", "DestinationCity"), 0x0027: ("software", "DSPFirmwareVersion"),
               0x0028: ("software", "CPUFirmwareVersion")},
    "Ricoh": {0x0002: ("software", "FirmwareVersion"), 0x0005: ("serial_number", "InternalSerialNumber")},
    "Sigma": {0x0002: ("serial_number", "SerialNumber"), 0x0017: ("software", "Firmware")},
    "Fujifilm": {0x0010: ("serial_number", "InternalSerialNumber")},
    "Casio": {0x3006: ("gps", "HometownCity"), 0x2001: ("timestamp", "FirmwareDate"), 0x3000: ("other", "RecordMode")},
    "Samsung": {0xA002: ("serial_number", "SerialNumber"), 0xA001: ("software", "FirmwareName"),
                0xA003: ("device_model", "LensType"), 0xA004: ("software", "LensFirmware"),
                0xA008: ("serial_number", "LensSerialNumber"), 0x0043: ("timestamp", "CameraTemperature")},
    "Sony": {0xB020: ("other", "CreativeStyle")},
    "Motorola": {0x5501: ("serial_number", "SerialNumber"), 0x6420: ("software", "CustomRendered")},
    "Leica": {0x0303: ("device_model", "LensModel"), 0x0305: ("serial_number", "SerialNumber"),
              0x0320: ("software", "FirmwareVersion")},
    "Apple": {0x000B: ("unique_id", "BurstUUID"), 0x0011: ("unique_id", "MediaGroupUUID"),
              0x0020: ("unique_id", "ImageCaptureRequestID"), 0x002B: ("unique_id", "PhotoIdentifier"),
              0x0015: ("unique_id", "ImageUniqueID")},
    "DJI": {},
    "Google": {},
    "Minolta": {},
    "Kyocera": {},
    "Other": {},
}
# Olympus sub-directories (Equipment, CameraSettings …) hold the serials of body, lens, extender.
_SUBDIRS = {"Olympus": {0x2010, 0x2020, 0x2030, 0x2040, 0x2050}}
# Entries never worth naming (a numeric setting that happens to share a table slot).
_SKIP_VALUES = {"", "0", "00000000", "n/a", "none"}


def _vendor(note: bytes, make: str) -> tuple[str, int, str]:
    """(maker, where the directory starts in the note, 'tiff' | 'note' — what its offsets are
    relative to: the EXIF TIFF header or the note itself)."""
    m = make.lower()
    if note.startswith(b"Nikon\x00\x02"):
        return "Nikon", 18, "nikon"  # its own TIFF header at +10
    if note.startswith(b"Nikon\x00\x01"):
        return "Nikon", 8, "tiff"
    if note.startswith(b"OLYMPUS\x00") or note.startswith(b"OM SYSTEM\x00"):
        return "Olympus", 12 if note.startswith(b"OLYMPUS") else 16, "note"
    if note.startswith((b"OLYMP\x00", b"EPSON\x00", b"MINOL\x00", b"CAMER\x00")):
        return "Olympus", 8, "tiff"
    if note.startswith(b"Panasonic\x00"):
        return "Panasonic", 12, "tiff"
    if note.startswith(b"AOC\x00"):
        return "Pentax", 6, "pentax"
    if note.startswith(b"PENTAX \x00"):
        return "Pentax", 10, "note"
    if note.startswith(b"MOT\x00"):
        return "Motorola", 8, "tiff"
    if note.startswith((b"Ricoh", b"RICOH")) and not note.startswith(b"RICOH\x00II"):
        return "Ricoh", 8, "tiff"
    if note.startswith((b"SIGMA\x00", b"FOVEON\x00")):
        return "Sigma", 10, "tiff"
    if note.startswith(b"FUJIFILM") or note.startswith(b"GENERALE"):
        return "Fujifilm", struct.unpack_from("<I", note, 8)[0] if len(note) >= 12 else 12, "fuji"
    if note.startswith((b"SONY DSC \x00", b"SONY CAM \x00", b"SONY MOBILE\x00", b"\x00\x00SONY PIC\x00", b"SONY PI\x00", b"PREMI\x00")):
        return "Sony", 12, "tiff"
    if note.startswith(b"Apple iOS\x00"):
        return "Apple", 14, "note"
    if note.startswith(b"QVC\x00"):
        return "Casio", 6, "tiff"
    if note.startswith(b"LEICA\x00"):
        return "Leica", 8, "tiff"
    if note.startswith(b"SAMSUNG") or m.startswith("samsung"):
        return "Samsung", 0, "tiff"
    for name in ("canon", "nikon", "sony", "casio", "motorola", "samsung", "pentax", "asahi", "minolta", "konica", "kyocera"):
        if m.startswith(name):
            return {"asahi": "Pentax", "konica": "Minolta"}.get(name, name.capitalize()), 0, "tiff"
    return "Other", 0, "tiff"


def classify(c: Collector, tiff: bytes, label: str, make: str) -> bool:
    """Name the identifying entries of the maker note in `tiff` (an EXIF block without the
    'Exif\\0\\0' prefix). True when a maker note was found (named 'other' as a whole as well)."""
    found = find(tiff)
    if found is None:
        return False
    start, length, order = found
    note = tiff[start : start + length]
    if note.startswith((b"Rv", b"Rev")) and make.lower().startswith("ricoh"):
        # old Ricoh cameras: 'Rv0103;Rg80;…' text, the firmware revision first
        c.add("other", f"{label} MakerNote (Ricoh)")
        c.add("software", f"{label} MakerNote (Ricoh) FirmwareVersion", note[:6])
        return True
    vendor, at, relative = _vendor(note, make)
    where = f"{label} MakerNote ({vendor if vendor != 'Other' else (make or 'unknown maker')[:30]})"
    c.add("other", where)
    data, base, dir_offset = tiff, 0, start + at
    if relative == "note":
        data, base, dir_offset = note, 0, at
        if vendor == "Apple":
            order = ">" if note[12:14] == b"MM" else "<"
        elif vendor == "Pentax" and note[4:6] in (b"II", b"MM"):
            order = _tiff_order(note, 4) or order
        elif vendor == "Olympus":
            order = _tiff_order(note, at - 4) or order
    elif relative == "nikon":
        sub_order = _tiff_order(note, 10)
        if sub_order is None:
            return True
        order = sub_order
        data, base = note[10:], 0
        (dir_offset,) = struct.unpack_from(order + "I", data, 4)
    elif relative == "pentax":  # 'AOC\0' + its own byte order; offsets from the EXIF header
        order = _tiff_order(note, 4) or order
    elif relative == "fuji":
        data, base, dir_offset, order = note, 0, at, "<"
    order = _plausible_order(data, dir_offset, order)
    if relative == "tiff":
        base = _fixed_base(data, dir_offset, base, order, start, start + length)
    entries = ifd(data, dir_offset, base, order, lenient=vendor == "Motorola")
    if not entries and vendor in ("Other", "Sony", "Samsung", "Motorola", "Kyocera", "Minolta"):
        return True
    tags = _TAGS.get(vendor, {})
    for entry in entries:
        _entry(c, where, vendor, tags, entry, order)
        if entry.tag in _SUBDIRS.get(vendor, ()) and entry.type in (4, 13, 7):
            if entry.type == 7 and len(entry.value) > 6:
                sub = ifd_from_bytes(entry.value, order)
            else:
                (pointer,) = struct.unpack(order + "I", entry.value[:4])
                sub = ifd(data, base + pointer, base, order)
            for child in sub:
                _entry(c, where, vendor, tags, child, order)
    return True


def _plausible_order(data: bytes, offset: int, order: str) -> str:
    """A maker note keeps the byte order its camera wrote, even when an editor rewrote the EXIF
    around it in the other one: the entry count tells (a few dozen entries, not thousands)."""
    if offset + 2 > len(data):
        return order
    for candidate in (order, "<" if order == ">" else ">"):
        (count,) = struct.unpack_from(candidate + "H", data, offset)
        if 0 < count <= 512 and offset + 2 + 12 * count <= len(data):
            return candidate
    return order


def _fixed_base(data: bytes, dir_offset: int, base: int, order: str, note_start: int, note_end: int) -> int:
    """The base its value offsets really count from. An editor that moved the maker note without
    rewriting it (GIMP, many others) leaves them pointing at the old place; the values follow the
    directory, so the smallest offset should land just after it (ExifTool's FixBase idea). The
    shifted base is taken only when it makes more of the text entries readable text."""
    raw = list(_raw_entries(data, dir_offset, order))
    pointers = [pointer for _tag, type_, n, pointer in raw if _TYPE_SIZES.get(type_, 0) * n > 4]
    if not pointers:
        return base
    directory_end = dir_offset + 2 + 12 * len(raw)
    lowest = min(pointers) + base
    if lowest in (directory_end, directory_end + 4):
        return base

    def readable(candidate: int) -> int:
        score = 0
        for _tag, type_, n, pointer in raw:
            if type_ == 2 and n > 4:
                start = candidate + pointer
                text = data[start : start + n].split(b"\x00", 1)[0] if 0 <= start and start + n <= len(data) else b""
                score += len(text) >= 2 and all(32 <= ch < 127 for ch in text)
        return score

    best, best_score = base, readable(base)
    for expected in (directory_end + 4, directory_end):  # after the next-directory link, or without one
        shifted = base + expected - lowest
        if all(note_start <= p + shifted < note_end for p in pointers) and readable(shifted) > best_score:
            best, best_score = shifted, readable(shifted)
    return best


def ifd_from_bytes(block: bytes, order: str) -> list[Entry]:
    """A sub-directory stored inline as bytes (offsets relative to the block)."""
    return ifd(block, 0, 0, order)


def _entry(c: Collector, where: str, vendor: str, tags: dict[int, tuple[str, str]], entry: Entry, order: str) -> None:
    text = entry.text()
    named = tags.get(entry.tag)
    if vendor == "Pentax" and entry.tag == 0x0215:  # CameraInfo: int32u[5], [4] = InternalSerialNumber
        values = list(struct.unpack_from(order + "5I", entry.value)) if len(entry.value) >= 20 else []
        if len(values) > 4 and values[4]:
            c.add("serial_number", f"{where} InternalSerialNumber", values[4])
        return
    if vendor == "Sony" and entry.tag in (0x9050, 0x940C):
        # Enciphered camera data; ExifTool deciphers the body's internal serial number from it.
        c.add("serial_number", f"{where} 0x{entry.tag:04X} (enciphered camera data with the internal serial number)")
        return
    if named is not None:
        kind, name = named
        if kind == "other":
            return
        if entry.type in (2, 7, 1):
            if text.lower() in _SKIP_VALUES or not text.strip("\x00 "):
                return
            c.add(kind, f"{where} {name}", text)
        else:
            values = entry.ints(order)
            if any(values):
                c.add(kind, f"{where} {name}", values if len(values) > 1 else values[0])
        return
    # Not in the table: a UUID-shaped or 'SerialNumber' text is still what it looks like.
    if entry.type == 2 and _UUID.match(text) and text.strip("0-"):
        c.add("unique_id", f"{where} 0x{entry.tag:04X}", text)
