"""HEIC/HEIF without its metadata, the image itself untouched (ISO/IEC 23008-12 box structure).

A HEIF file is a 'meta' box that lists items — the coded image (often a grid of tiles), its
thumbnails, depth and gain-map images, and the Exif and XMP blocks — with where each item's bytes
are ('iloc'), how items refer to each other ('iref': dimg tiles, thmb thumbnails, cdsc
descriptions, auxl auxiliary images), and their properties ('iprp'); the bytes are in 'mdat'.

``strip(data)`` keeps the primary image, the tiles it is built from and its alpha plane, and
writes a new file with only their bytes: every other item (Exif, XMP, thumbnails, depth maps,
gain maps …) is left out, references to it removed, and the item locations recomputed. The coded
image data is copied byte for byte — nothing is re-encoded, so the pixels are identical and the
file is smaller than before. A structure this does not know (image sequences, items built from
other items' bytes) raises ``Unsupported``; the caller then re-encodes.
"""
from __future__ import annotations

import dataclasses
import mmap
import struct
from typing import Iterator

ALPHA_URNS = (b"urn:mpeg:hevc:2015:auxid:1", b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha")
# Image items built from other images through 'dimg' references.
_DERIVED = {b"grid", b"iden", b"iovl"}
_TOP_LEVEL_KEPT = {b"ftyp", b"meta", b"mdat", b"free", b"skip"}


class Unsupported(Exception):
    """A HEIF structure this module does not rewrite (the message says which)."""


@dataclasses.dataclass
class BoxRef:
    kind: bytes
    start: int  # offset of the box header in its buffer
    body: int  # offset of the body (after the header)
    end: int


def boxes(data: bytes | mmap.mmap, start: int = 0, end: int | None = None) -> Iterator[BoxRef]:
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise Unsupported("a box header is cut off")
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Unsupported(f"box '{kind.decode('latin-1')}' runs past its parent")
        yield BoxRef(kind, pos, pos + header, pos + size)
        pos += size
    if pos != end and data[pos:end].strip(b"\x00"):
        raise Unsupported("bytes after the last box")


def _box(kind: bytes, body: bytes) -> bytes:
    if len(body) + 8 > 0xFFFFFFFF:
        return struct.pack(">I4sQ", 1, kind, len(body) + 16) + body
    return struct.pack(">I4s", len(body) + 8, kind) + body


def _full(version: int, flags: int) -> bytes:
    return struct.pack(">I", (version << 24) | flags)


def _uint(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "big") if size else 0


@dataclasses.dataclass
class Location:
    item: int
    method: int
    reference: int
    base: int
    extents: list[tuple[int, int]]  # (offset, length), base not yet added


def _parse_iloc(body: bytes) -> tuple[int, list[Location]]:
    version = body[0]
    if version > 2:
        raise Unsupported(f"iloc version {version}")
    offset_size, length_size = body[4] >> 4, body[4] & 15
    base_size, index_size = body[5] >> 4, (body[5] & 15) if version in (1, 2) else 0
    pos = 6
    if version < 2:
        count = _uint(body, pos, 2)
        pos += 2
    else:
        count = _uint(body, pos, 4)
        pos += 4
    out = []
    for _ in range(count):
        id_size = 2 if version < 2 else 4
        item = _uint(body, pos, id_size)
        pos += id_size
        method = 0
        if version in (1, 2):
            method = _uint(body, pos, 2) & 15
            pos += 2
        reference = _uint(body, pos, 2)
        base = _uint(body, pos + 2, base_size)
        extent_count = _uint(body, pos + 2 + base_size, 2)
        pos += 4 + base_size
        extents = []
        for _ in range(extent_count):
            pos += index_size
            offset = _uint(body, pos, offset_size)
            length = _uint(body, pos + offset_size, length_size)
            pos += offset_size + length_size
            extents.append((offset, length))
        if pos > len(body):
            raise Unsupported("iloc is cut off")
        out.append(Location(item, method, reference, base, extents))
    return version, out


def _infe_id(body: bytes) -> tuple[int, bytes, bytes]:
    """(item id, item type, content type) of an 'infe' box body."""
    version = body[0]
    if version < 2:
        raise Unsupported(f"infe version {version}")
    id_size = 2 if version == 2 else 4
    item = _uint(body, 4, id_size)
    item_type = body[4 + id_size + 2 : 4 + id_size + 6]
    rest = body[4 + id_size + 6 :]
    _name, _, rest = rest.partition(b"\x00")
    content_type = rest.partition(b"\x00")[0] if item_type == b"mime" else b""
    return item, item_type, content_type


def _parse_iref(body: bytes) -> tuple[int, list[tuple[bytes, int, list[int]]]]:
    version = body[0]
    id_size = 2 if version == 0 else 4
    refs = []
    for ref in boxes(body, 4):
        pos = ref.body
        source = _uint(body, pos, id_size)
        count = _uint(body, pos + id_size, 2)
        pos += id_size + 2
        targets = [_uint(body, pos + i * id_size, id_size) for i in range(count)]
        refs.append((ref.kind, source, targets))
    return version, refs


def _write_iref(version: int, refs: list[tuple[bytes, int, list[int]]]) -> bytes:
    id_size = 2 if version == 0 else 4
    out = [_full(version, 0)]
    for kind, source, targets in refs:
        body = source.to_bytes(id_size, "big") + len(targets).to_bytes(2, "big") + b"".join(t.to_bytes(id_size, "big") for t in targets)
        out.append(_box(kind, body))
    return b"".join(out)


def _parse_ipma(body: bytes) -> list[tuple[int, list[int]]]:
    """(item id, raw association values) per entry; the values keep the 'essential' bit."""
    version, flags = body[0], int.from_bytes(body[1:4], "big")
    count = _uint(body, 4, 4)
    pos = 8
    out = []
    wide = flags & 1
    for _ in range(count):
        id_size = 2 if version < 1 else 4
        item = _uint(body, pos, id_size)
        pos += id_size
        n = body[pos]
        pos += 1
        size = 2 if wide else 1
        values = [_uint(body, pos + i * size, size) for i in range(n)]
        pos += n * size
        out.append((item, values))
    return out


def _write_ipma(header: bytes, entries: list[tuple[int, list[int]]]) -> bytes:
    version, flags = header[0], int.from_bytes(header[1:4], "big")
    id_size = 2 if version < 1 else 4
    size = 2 if flags & 1 else 1
    out = [header[:4], len(entries).to_bytes(4, "big")]
    for item, values in entries:
        out.append(item.to_bytes(id_size, "big") + bytes([len(values)]) + b"".join(v.to_bytes(size, "big") for v in values))
    return b"".join(out)


def _aux_type(prop: bytes) -> bytes:
    return prop[4:].partition(b"\x00")[0]


def strip(data: bytes) -> tuple[bytes, list[str]]:
    """A copy of a HEIF file with only the primary image (and its tiles and alpha plane).
    Returns (bytes, what was left out, in plain words). Raises Unsupported (also for a box too
    damaged to rewrite)."""
    try:
        return _strip(data)
    except (IndexError, struct.error, ValueError, KeyError) as exc:
        raise Unsupported(f"a damaged box ({type(exc).__name__})") from None


def _strip(data: bytes) -> tuple[bytes, list[str]]:
    top = list(boxes(data))
    vendor_boxes = []
    for b in top:
        if b.kind in (b"moov", b"moof"):
            raise Unsupported(f"top-level box '{b.kind.decode('latin-1')}' (an image sequence)")
        if b.kind not in _TOP_LEVEL_KEPT:
            vendor_boxes.append(f"top-level '{b.kind.decode('latin-1')}' box")  # not part of the image: left out
    ftyp = [b for b in top if b.kind == b"ftyp"]
    metas = [b for b in top if b.kind == b"meta"]
    if len(ftyp) != 1 or len(metas) != 1 or top[0].kind != b"ftyp":
        raise Unsupported("not one ftyp and one meta box")
    meta = metas[0]
    children = list(boxes(data, meta.body + 4, meta.end))
    named = {c.kind: c for c in children}
    for needed in (b"pitm", b"iinf", b"iloc", b"iprp"):
        if needed not in named:
            raise Unsupported(f"no '{needed.decode()}' box")

    def body(kind: bytes) -> bytes:
        box = named[kind]
        return data[box.body : box.end]

    pitm = body(b"pitm")
    primary = _uint(pitm, 4, 2 if pitm[0] == 0 else 4)
    iinf = body(b"iinf")
    iinf_version = iinf[0]
    entry_start = 6 if iinf_version == 0 else 8
    infes = {}
    for infe in boxes(iinf, entry_start):
        if infe.kind != b"infe":
            continue
        item, item_type, content_type = _infe_id(iinf[infe.body : infe.end])
        infes[item] = (item_type, content_type, iinf[infe.start : infe.end])
    iref_version, refs = _parse_iref(body(b"iref")) if b"iref" in named else (0, [])
    iprp = body(b"iprp")
    iprp_children = list(boxes(iprp))
    ipco = next((c for c in iprp_children if c.kind == b"ipco"), None)
    ipmas = [c for c in iprp_children if c.kind == b"ipma"]
    if ipco is None or len(ipmas) != 1:
        raise Unsupported("item properties without one ipco and one ipma")
    properties = [iprp[p.start : p.end] for p in boxes(iprp, ipco.body, ipco.end)]
    ipma_body = iprp[ipmas[0].body : ipmas[0].end]
    associations = _parse_ipma(ipma_body)
    wide = int.from_bytes(ipma_body[1:4], "big") & 1
    index_mask = 0x7FFF if wide else 0x7F

    def aux_urn(item: int) -> bytes | None:
        for item_id, values in associations:
            if item_id != item:
                continue
            for v in values:
                index = v & index_mask
                if 0 < index <= len(properties) and properties[index - 1][4:8] == b"auxC":
                    return _aux_type(properties[index - 1][8:])
        return None

    if primary not in infes:
        raise Unsupported("the primary item is not listed")
    keep = {primary}
    changed = True
    while changed:
        changed = False
        for kind, source, targets in refs:
            if kind == b"dimg" and source in keep and infes.get(source, (b"",))[0] in _DERIVED:
                new = set(targets) - keep
            elif kind == b"auxl" and source not in keep and set(targets) & keep and aux_urn(source) in ALPHA_URNS:
                new = {source}
            else:
                continue
            if new:
                keep |= new
                changed = True
    dropped_types: dict[str, int] = {}
    for item, (item_type, content_type, _raw) in infes.items():
        if item not in keep:
            label = _describe(item_type, content_type, item, refs, aux_urn(item))
            dropped_types[label] = dropped_types.get(label, 0) + 1

    iloc_version, locations = _parse_iloc(body(b"iloc"))
    kept_locations = [loc for loc in locations if loc.item in keep]
    if {loc.item for loc in kept_locations} != keep:
        raise Unsupported("an image item without a location")
    for loc in kept_locations:
        if loc.method not in (0, 1) or loc.reference != 0:
            raise Unsupported("an item stored in another item or another file")
        for offset, length in loc.extents:
            if length == 0:
                raise Unsupported("an extent running to the end of the file")

    kept_bytes = sum(length for loc in kept_locations for _offset, length in loc.extents)
    if kept_bytes > len(data):
        # honest files never share bytes between images; a crafted one could make the copy explode
        raise Unsupported("item extents that overlap")
    # idat: only the kept items' bytes; mdat: likewise, in item order.
    idat_src = data[named[b"idat"].body : named[b"idat"].end] if b"idat" in named else b""
    idat_parts: list[bytes] = []
    mdat_parts: list[bytes] = []
    idat_len = mdat_len = 0
    new_extents: dict[int, list[tuple[int, int]]] = {}
    for loc in kept_locations:
        extents = []
        for offset, length in loc.extents:
            start = loc.base + offset
            if loc.method == 1:
                piece = idat_src[start : start + length]
                if len(piece) != length:
                    raise Unsupported("an idat extent out of bounds")
                extents.append((idat_len, length))
                idat_parts.append(piece)
                idat_len += length
            else:
                piece = data[start : start + length]
                if len(piece) != length:
                    raise Unsupported("an extent out of bounds")
                extents.append((mdat_len, length))  # relative to the mdat body until placed
                mdat_parts.append(piece)
                mdat_len += length
        new_extents[loc.item] = extents

    big = mdat_len + 16 + len(data) > 0xFFFFFFFF
    offset_size = 8 if big else 4

    def iloc_body(mdat_body_at: int) -> bytes:
        version = 1 if iloc_version < 2 and max(keep) <= 0xFFFF else 2
        out = [_full(version, 0), bytes([(offset_size << 4) | 4, 0])]
        out.append(len(kept_locations).to_bytes(2 if version < 2 else 4, "big"))
        for loc in kept_locations:
            out.append(loc.item.to_bytes(2 if version < 2 else 4, "big"))
            out.append(loc.method.to_bytes(2, "big") + (0).to_bytes(2, "big"))
            out.append(len(new_extents[loc.item]).to_bytes(2, "big"))
            for offset, length in new_extents[loc.item]:
                absolute = offset if loc.method == 1 else mdat_body_at + offset
                out.append(absolute.to_bytes(offset_size, "big") + length.to_bytes(4, "big"))
        return b"".join(out)

    if any(length > 0xFFFFFFFF for ext in new_extents.values() for _o, length in ext):
        raise Unsupported("an extent over 4 GiB")

    kept_refs = []
    for kind, source, targets in refs:
        if source not in keep:
            continue
        targets = [t for t in targets if t in keep]
        if targets:
            kept_refs.append((kind, source, targets))
    iinf_body = iinf[:4] + (len(keep).to_bytes(2 if iinf_version == 0 else 4, "big")) + b"".join(
        infes[item][2] for item in sorted(infes) if item in keep)
    new_properties = []
    for prop in properties:
        if prop[4:8] == b"udes":  # user description (name, description, tags): emptied
            prop = _box(b"udes", _full(0, 0) + b"\x00\x00\x00\x00")
        new_properties.append(prop)
    new_iprp_parts = []
    for child in iprp_children:
        if child.kind == b"ipco":
            new_iprp_parts.append(_box(b"ipco", b"".join(new_properties)))
        elif child.kind == b"ipma":
            new_iprp_parts.append(_box(b"ipma", _write_ipma(ipma_body, [(i, v) for i, v in associations if i in keep])))
        else:
            new_iprp_parts.append(iprp[child.start : child.end])

    def meta_bytes(mdat_body_at: int) -> bytes:
        parts = [data[meta.body : meta.body + 4]]
        for child in children:
            kind = child.kind
            if kind == b"iinf":
                parts.append(_box(b"iinf", iinf_body))
            elif kind == b"iref":
                if kept_refs:
                    parts.append(_box(b"iref", _write_iref(iref_version, kept_refs)))
            elif kind == b"iloc":
                parts.append(_box(b"iloc", iloc_body(mdat_body_at)))
            elif kind == b"iprp":
                parts.append(_box(b"iprp", b"".join(new_iprp_parts)))
            elif kind == b"idat":
                if idat_parts:
                    parts.append(_box(b"idat", b"".join(idat_parts)))
            elif kind in (b"hdlr", b"pitm", b"dinf"):
                parts.append(data[child.start : child.end])
            elif kind == b"grpl":
                continue  # entity groups (alternatives, bursts) name items that are gone
            else:
                continue  # anything else in meta (vendor boxes, XML boxes) is metadata
        return _box(b"meta", b"".join(parts))

    ftyp_bytes = data[ftyp[0].start : ftyp[0].end]
    mdat_header = 16 if big else 8
    provisional = meta_bytes(0)
    mdat_body_at = len(ftyp_bytes) + len(provisional) + mdat_header
    final_meta = meta_bytes(mdat_body_at)
    if len(final_meta) != len(provisional):  # pragma: no cover - fixed-width offsets
        raise Unsupported("the item locations changed size")
    mdat_body = b"".join(mdat_parts)
    mdat = (struct.pack(">I4sQ", 1, b"mdat", len(mdat_body) + 16) if big else struct.pack(">I4s", len(mdat_body) + 8, b"mdat")) + mdat_body
    left_out = [f"{label} ×{count}" if count > 1 else label for label, count in sorted(dropped_types.items())] + vendor_boxes
    return ftyp_bytes + final_meta + mdat, left_out


_META_KNOWN = {b"hdlr", b"pitm", b"iinf", b"iloc", b"iref", b"iprp", b"idat", b"dinf", b"grpl"}


def extras(data: bytes | mmap.mmap) -> list[tuple[str, str]]:
    """(kind, where) for what pillow-heif does not expose: boxes beside the image structure
    (vendor 'uuid', an image sequence's 'moov', XML in 'meta') and user descriptions ('udes')."""
    out: list[tuple[str, str]] = []
    try:
        for top in boxes(data):
            if top.kind not in _TOP_LEVEL_KEPT:
                out.append(("other", f"HEIF top-level '{top.kind.decode('latin-1')}' box"))
            if top.kind != b"meta":
                continue
            for child in boxes(data, top.body + 4, top.end):
                if child.kind in (b"xml ", b"bxml"):
                    out.append(("other", "HEIF XML box in the metadata"))
                elif child.kind not in _META_KNOWN:
                    out.append(("other", f"HEIF metadata box '{child.kind.decode('latin-1')}'"))
                if child.kind != b"iprp":
                    continue
                for prop in boxes(data, child.body, child.end):
                    if prop.kind != b"ipco":
                        continue
                    for p in boxes(data, prop.body, prop.end):
                        if p.kind == b"udes" and data[p.body + 4 : p.end].strip(b"\x00"):
                            out.append(("comment", "HEIF user description property 'udes'"))
    except Unsupported:
        out.append(("other", "HEIF boxes after the image structure (unreadable)"))
    return out


def _describe(item_type: bytes, content_type: bytes, item: int, refs: list[tuple[bytes, int, list[int]]], urn: bytes | None) -> str:
    if item_type == b"Exif":
        return "Exif block"
    if item_type == b"mime":
        return "XMP packet" if b"rdf+xml" in content_type else f"metadata block ({content_type.decode('latin-1')[:40]})"
    if any(kind == b"thmb" and source == item for kind, source, _t in refs):
        return "thumbnail"
    if urn is not None:
        if b"depth" in urn.lower() or urn == b"urn:mpeg:hevc:2015:auxid:2":
            return "depth map"
        if b"hdrgainmap" in urn.lower() or b"gainmap" in urn.lower():
            return "gain map"
        return "auxiliary image"
    if item_type == b"tmap":
        return "tone-map (HDR gain map) item"
    if item_type in (b"hvc1", b"av01", b"jpeg", b"grid", b"iden", b"iovl", b"unci"):
        return "other image (tile of an image not kept, or a second image)"
    return f"'{item_type.decode('latin-1')}' item"
