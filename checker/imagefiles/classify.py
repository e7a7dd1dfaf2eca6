"""Map EXIF, XMP and IPTC contents onto the kinds. Parsing is the libraries': Pillow's Exif and
IptcImagePlugin, defusedxml's ElementTree (no entity expansion, no external DTDs)."""
from __future__ import annotations

import re
import struct
from typing import Any

from PIL import ExifTags, Image

from . import kinds as K
from . import makernotes
from .found import Collector

_XMP_PREFIX = {
    K.NS_EXIF: "exif", K.NS_EXIFEX: "exifEX", K.NS_TIFF: "tiff", K.NS_XMP: "xmp", K.NS_XMPMM: "xmpMM",
    K.NS_STEVT: "stEvt", K.NS_STREF: "stRef", K.NS_XMPGIMG: "xmpGImg", K.NS_DC: "dc", K.NS_PS: "photoshop",
    K.NS_IPTC_CORE: "Iptc4xmpCore", K.NS_IPTC_EXT: "Iptc4xmpExt", K.NS_AUX: "aux", K.NS_MWG_RS: "mwg-rs",
    K.NS_XMPRIGHTS: "xmpRights", K.NS_GIMAGE: "GImage", K.NS_GDEPTH: "GDepth", K.NS_GCAMERA: "GCamera",
    K.NS_PDF: "pdf", K.NS_CRS: "crs",
}


def _tag_name(table: dict[int, str], tag: int) -> str:
    return table.get(tag) or f"tag 0x{tag:04X}"


def exif(c: Collector, data: bytes, label: str = "EXIF") -> int | None:
    """Classify an EXIF block (TIFF structure, with or without the 'Exif\\0\\0' prefix).

    Returns the orientation tag (1–8) when there is one, so a stripped copy can keep it.
    """
    ex = Image.Exif()
    try:
        ex.load(bytes(data))
        ifd0 = {tag: ex.get(tag) for tag in list(ex)}
    except Exception:  # a corrupt block is still metadata: named, and stripped by deidentify
        c.add("other", f"{label} (unreadable block)")
        return None
    if not ifd0 and len(bytes(data).removeprefix(b"Exif\x00\x00")) > 8:
        c.add("other", f"{label} (unreadable block)")  # a header and nothing Pillow could read
        return None
    orientation = ifd0.get(K.ORIENTATION_TAG)
    for tag, value in ifd0.items():
        # a tag of the Exif directory written into IFD0 (some cameras and editors do) is still itself
        kind = K.EXIF_IFD0.get(tag) or (K.EXIF_SUB.get(tag) if tag != 0x927C else "other")
        if tag == 0x02BC and value:
            xmp(c, value if isinstance(value, bytes) else str(value).encode(), f"{label} XMP")
            continue
        if kind and _present(value):
            c.add(kind, f"{label} {_tag_name(ExifTags.TAGS, tag)}", value)
    for ifd_tag, table, name in ((ExifTags.IFD.Exif, K.EXIF_SUB, "Exif"), (ExifTags.IFD.GPSInfo, None, "GPS")):
        try:
            sub = ex.get_ifd(ifd_tag) if ifd_tag in ifd0 else {}
        except Exception:
            c.add("other", f"{label} {name} IFD (unreadable)")
            continue
        for tag, value in (sub or {}).items():
            if table is None:  # GPS
                if tag == K.GPS_VERSION_TAG or not _present(value):
                    continue
                where = f"{label} GPSInfo {_tag_name(ExifTags.GPSTAGS, tag)}"
                c.add("timestamp" if tag in K.GPS_TIME_TAGS else "gps", where, value)
            else:
                if tag == 0x927C:
                    continue  # the maker note: named below, with what its maker's tables say it holds
                kind = table.get(tag)
                if kind and _present(value):
                    c.add(kind, f"{label} {_tag_name(ExifTags.TAGS, tag)}", value)
    make = ifd0.get(0x010F)
    tiff = bytes(data).removeprefix(b"Exif\x00\x00")
    try:
        makernotes.classify(c, tiff, label, make.strip("\x00 ") if isinstance(make, str) else "")
    except (struct.error, ValueError, IndexError):
        c.add("other", f"{label} MakerNote (unreadable)")
    try:
        ifd1 = ex.get_ifd(ExifTags.IFD.IFD1)
    except Exception:
        ifd1 = {}
        c.add("other", f"{label} IFD1 (unreadable)")
    if ifd1:
        if any(tag in ifd1 for tag in K.THUMBNAIL_TAGS):
            length = ifd1.get(0x0202)
            c.add("thumbnail", f"{label} IFD1 thumbnail", f"<{length} bytes>" if length else None)
        for tag, value in ifd1.items():
            kind = K.EXIF_IFD0.get(tag)
            if kind and _present(value):
                c.add(kind, f"{label} IFD1 {_tag_name(ExifTags.TAGS, tag)}", value)
    return orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (bytes, bytearray)):
        return bool(bytes(value).strip(b"\x00 "))
    if isinstance(value, str):
        return bool(value.strip("\x00 "))
    if isinstance(value, (tuple, list, dict)):
        return len(value) > 0
    return True


def xmp_text(data: bytes | str) -> str:
    """An XMP packet as text, whatever it was written in: UTF-8, UTF-16 or UTF-32 (with or without
    a byte-order mark, as the XMP spec allows), or Latin-1 from old writers."""
    if isinstance(data, str):
        return data
    raw = bytes(data)
    for bom, codec in ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xfe\xff", "utf-16-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xef\xbb\xbf", "utf-8")):
        if raw.startswith(bom):
            return raw[len(bom):].decode(codec, "replace")
    if len(raw) >= 4:
        # '<' in the first code unit of each width (the packet starts with '<?xpacket' or '<x:')
        if raw[:4] == b"\x00\x00\x00<":
            return raw.decode("utf-32-be", "replace")
        if raw[:4] == b"<\x00\x00\x00":
            return raw.decode("utf-32-le", "replace")
        if raw[:2] == b"\x00<":
            return raw.decode("utf-16-be", "replace")
        if raw[:2] == b"<\x00":
            return raw.decode("utf-16-le", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# For a packet no XML parser accepts: 'prefix:Name>value<' and 'prefix:Name="value"'.
_LOOSE_ELEMENT = re.compile(r"<([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)[^>]*>([^<]+)<")
_LOOSE_ATTRIBUTE = re.compile(r"\s([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)\s*=\s*[\"']([^\"']*)[\"']")


def xmp(c: Collector, data: bytes | str, label: str = "XMP") -> None:
    """Classify an XMP packet by its properties' namespaces and names (any encoding)."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    text = xmp_text(data).strip("\x00 \t\r\n\ufeff")
    if not text:
        return
    text = _XML_DECLARATION.sub("", text, count=1)  # the encoding it names is no longer true
    try:
        root = DET.fromstring(text.encode("utf-8", "replace"))
    except DefusedXmlException:
        c.add("other", f"{label} (unreadable packet)")
        return
    except (ParseError, ValueError, UnicodeError):
        _xmp_loose(c, text, label)
        return
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ns, local = _split(el.tag)
        if ns is not None and ns not in (K.NS_RDF, K.NS_X) and _has_content(el):
            _xmp_property(c, label, ns, local, " ".join(t.strip() for t in el.itertext() if t.strip()))
        for key, value in el.attrib.items():
            ans, alocal = _split(key)
            if ans is None or ans in (K.NS_RDF, K.NS_X, "http://www.w3.org/XML/1998/namespace") or not value.strip():
                continue
            _xmp_property(c, label, ans, alocal, value)


def _xmp_loose(c: Collector, text: str, label: str) -> None:
    """A packet that is not well-formed XML (cut off, or a writer's bad escaping): its properties
    are still found by name, and the packet itself is named, never passed over."""
    c.add("other", f"{label} (unreadable packet)")
    if "<!ENTITY" in text or "<!DOCTYPE" in text:
        return  # never read entity tricks, even loosely
    for prefix, local, value in [*_LOOSE_ELEMENT.findall(text), *_LOOSE_ATTRIBUTE.findall(text)]:
        if prefix in ("rdf", "x", "xml", "xmlns") or not value.strip():
            continue
        kind = K.kind_by_name(local, value)
        if kind is not None:
            c.add(kind, f"{label} {prefix}:{local}", value)


def _split(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


def _has_content(el: Any) -> bool:
    return bool((el.text or "").strip()) or len(el) > 0 or any(v.strip() for v in el.attrib.values())


def _xmp_property(c: Collector, label: str, ns: str, local: str, value: str) -> None:
    kind = K.XMP_NAMES.get(ns, {}).get(local)
    if kind is None and ns in K.XMP_GPS_PREFIX_NS and local.startswith("GPS") and local != "GPSVersionID":
        kind = "gps"
    if kind is None:
        # Any namespace, listed or not: a name says what it holds (Iptc4xmpExt:ArtworkCreator,
        # a vendor's 'OwnerName', a custom schema's 'SerialNumber').
        kind = K.kind_by_name(local, value)
    if kind is None and ns not in K.XMP_BENIGN_NS:
        kind = "other"
    if kind is None:
        return
    prefix = _XMP_PREFIX.get(ns, ns)
    c.add(kind, f"{label} {prefix}:{local}", value)


def iptc(c: Collector, info: dict[tuple[int, int], Any], label: str = "IPTC") -> None:
    for (record, dataset), value in sorted(info.items()):
        if record != 2 or not _present(value if not isinstance(value, list) else b"".join(value)):
            continue
        if dataset in (0, 10):  # record version, urgency
            continue
        kind = K.IPTC.get(dataset, "other")
        name = K.IPTC_NAMES.get(dataset)
        c.add(kind, f"{label} 2:{dataset}" + (f" {name}" if name else ""), value if not isinstance(value, list) else b"; ".join(value))
