"""MP4, MOV and M4A: what they carry (PyAV/FFmpeg for container and track metadata, mutagen for the
box tree and iTunes-style tags; nothing is decoded) and a copy without it (a remux: the video and
audio packets are copied, not re-encoded)."""
from __future__ import annotations

import pathlib
import re
from typing import Any

from ..errors import CheckerError
from . import kinds as K
from .detect import Format
from .found import Collector

_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2"
_LANG_SUFFIX = re.compile(r"-[a-z]{3}$")


def _reason(exc: BaseException) -> str:
    text = str(exc).split("\n")[0]
    text = re.sub(r":\s*'[^']*'$", "", text)  # FFmpeg appends the path
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    return text[:120] if text and "/" not in text else type(exc).__name__


def _check_boxes(path: pathlib.Path, fmt: Format) -> None:
    """The top-level box tree must be whole (mutagen's reader) and hold a movie header."""
    from mutagen.mp4 import Atoms

    size = path.stat().st_size
    try:
        with open(path, "rb") as fh:
            atoms = Atoms(fh)
    except Exception as exc:  # mutagen's AtomError and struct errors
        raise CheckerError(f"corrupt or truncated {fmt.name} file ({_reason(exc)})") from None
    if not atoms.atoms:
        raise CheckerError(f"corrupt {fmt.name} file (no boxes)")
    last = atoms.atoms[-1]
    if last.offset + last.length > size:
        raise CheckerError(f"truncated {fmt.name} file (the last box is cut off)")
    if not any(a.name == b"moov" for a in atoms.atoms):
        raise CheckerError(f"truncated or unfinished {fmt.name} file (no movie header box 'moov')")


class Box:
    """One ISO-BMFF/QuickTime box: name, where its body starts and ends, its parent's name."""

    __slots__ = ("name", "body", "end", "parent")

    def __init__(self, name: bytes, body: int, end: int, parent: bytes) -> None:
        self.name, self.body, self.end, self.parent = name, body, end, parent


_CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf", b"udta", b"meta", b"rmra", b"rmda", b"edts", b"dinf",
                    b"mvex", b"moof", b"traf", b"tref"}


def walk_boxes(fh: Any, start: int, end: int, parent: bytes = b"", depth: int = 0) -> Any:
    """Every box below `start`..`end` (containers opened, at most 12 deep), framing only. A QuickTime
    'meta' has no version field where an MP4 'meta' has one: told apart by what follows."""
    pos = start
    while pos + 8 <= end and depth < 12:
        fh.seek(pos)
        head = fh.read(16)
        if len(head) < 8:
            return
        size, name = int.from_bytes(head[:4], "big"), head[4:8]
        header = 8
        if size == 1 and len(head) >= 16:
            size, header = int.from_bytes(head[8:16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        box = Box(name, pos + header, pos + size, parent)
        yield box
        if name in _CONTAINER_BOXES:
            inner = box.body
            if name == b"meta":
                fh.seek(inner)
                peek = fh.read(8)
                if peek[4:8] not in (b"hdlr", b"keys", b"ilst", b"iinf", b"pitm"):
                    inner += 4  # MP4 full box: version and flags
            yield from walk_boxes(fh, inner, box.end, name, depth + 1)
        pos += size


def _boxes(path: pathlib.Path, fmt: Format, c: Collector) -> None:
    """Boxes FFmpeg does not expose: user-data boxes other than the ©-named ones and the metadata
    box (FFmpeg and mutagen read those), XMP wherever it is ('uuid' boxes at any level, 'XMP_' in
    user data), thumbnails ('thmb', 'PRVW'), and the pointers of a reference movie ('rmra')."""
    from . import classify

    size = path.stat().st_size

    def read(box: Box) -> bytes:
        if box.end - box.body > _BOX_READ_LIMIT:
            return b""
        fh.seek(box.body)
        return fh.read(box.end - box.body)

    with open(path, "rb") as fh:
        for box in walk_boxes(fh, 0, size):
            name = box.name
            if name == b"uuid":
                data = read(box)
                if data[:16] == _XMP_UUID:
                    classify.xmp(c, data[16:], f"{fmt.name} XMP")
                else:
                    c.add("other", f"{fmt.name} uuid box")
            elif name in _THUMBNAIL_BOXES and box.parent != b"ilst":
                c.add("thumbnail", f"{fmt.name} '{name.decode('latin-1')}' box (an embedded picture)", f"<{box.end - box.body} bytes>")
            elif name == b"rmra":
                c.add("other", f"{fmt.name} reference movie (points to other movie files)")
            elif name == b"rdrf":
                for url in re.findall(rb"[\x20-\x7e]{6,}", read(box)):
                    c.add("comment", f"{fmt.name} reference movie address", url)
            elif box.parent == b"udta":
                if name == b"meta" or name[:1] == b"\xa9" or name in _UDTA_BENIGN:
                    continue
                if name == b"XMP_":
                    classify.xmp(c, read(box), f"{fmt.name} user-data XMP")
                    continue
                c.add(_UDTA.get(name, "other"), f"{fmt.name} user-data box '{name.decode('latin-1')}'")


_BOX_READ_LIMIT = 16 << 20
_THUMBNAIL_BOXES = {b"thmb", b"PRVW", b"THMB", b"CNTH"}
_XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
_UDTA_BENIGN = {b"hnti", b"hinf", b"name", b"ptv ", b"tsel", b"kind", b"AllF", b"SelO", b"WLOC", b"free", b"skip"}
_UDTA = {b"FIRM": "software", b"CAME": "unique_id", b"MUID": "unique_id", b"LENS": "device_model",
         b"smta": "other", b"SDLN": "software", b"Xtra": "other", b"GPMF": "other", b"auth": "owner_name",
         b"cprt": "owner_name", b"titl": "comment", b"dscp": "comment", b"loci": "gps", b"date": "timestamp",
         b"albm": "comment", b"kywd": "comment", b"perf": "owner_name", b"gnre": "comment", b"yrrc": "timestamp",
         b"rtng": "other", b"clsf": "other",
         # vendor 'TAGS' (Pentax, Kodak, Sanyo …) start with the camera's make and model
         b"TAGS": "device_model", b"manu": "device_model", b"modl": "device_model", b"CNCV": "software",
         b"CNMN": "device_model", b"CNFV": "software"}


def _is_reference(path: pathlib.Path) -> bool:
    with open(path, "rb") as fh:
        return any(box.name == b"rmra" for box in walk_boxes(fh, 0, path.stat().st_size))


def _open(path: pathlib.Path, fmt: Format) -> Any:
    import av

    try:
        return av.open(str(path), format=_FORMATS, metadata_errors="replace")
    except av.FFmpegError as exc:
        raise CheckerError(f"corrupt or truncated {fmt.name} file ({_reason(exc)})") from None
    except (OSError, ValueError, EOFError) as exc:
        raise CheckerError(f"corrupt or truncated {fmt.name} file ({_reason(exc)})") from None


def _is_attached_pic(stream: Any) -> bool:
    import av

    try:
        return bool(stream.disposition & av.stream.Disposition.attached_pic)
    except Exception:  # pragma: no cover - older PyAV
        return False


def _codec_tag(stream: Any) -> str:
    for attr in ("codec_tag",):
        value = getattr(stream, attr, None)
        if isinstance(value, str) and value:
            return value
    ctx = getattr(stream, "codec_context", None)
    value = getattr(ctx, "codec_tag", None) if ctx is not None else None
    return value if isinstance(value, str) else ""


def inspect_media(path: pathlib.Path, fmt: Format, c: Collector) -> dict[str, Any]:
    _check_boxes(path, fmt)
    try:
        container = _open(path, fmt)
    except CheckerError as exc:
        if not _is_reference(path):
            raise
        # A reference movie (only pointers to other files) has no tracks FFmpeg can open; its
        # metadata boxes are whole and are read all the same.
        c.add("other", f"{fmt.name} movie whose tracks FFmpeg cannot open ({str(exc).rpartition('(')[2].rstrip(')')})")
        _ilst(path, fmt, c)
        _boxes(path, fmt, c)
        return {"modality": "video"}
    try:
        has_video = has_audio = False
        for key, value in dict(container.metadata).items():
            _media_key(c, key, value, f"{fmt.name} metadata", K.MEDIA_BENIGN)
        for stream in container.streams:
            label = f"{fmt.name} {stream.type} track {stream.index + 1}"
            if stream.type == "video" and _is_attached_pic(stream):
                c.add("thumbnail", f"{fmt.name} cover art / attached picture (track {stream.index + 1})")
                continue
            if stream.type == "video":
                has_video = True
            elif stream.type == "audio":
                has_audio = True
            elif stream.type == "subtitle":
                c.add("comment", f"{label} (subtitle text)")
            else:
                tag = _codec_tag(stream).strip()
                kind = K.DATA_TRACKS.get(tag, "other")
                if tag == "tmcd":
                    timecode = str(dict(stream.metadata).get("timecode", ""))
                    if not re.fullmatch(r"00[:;]00[:;]00[:;]00", timecode):
                        c.add("timestamp", f"{label} timecode", timecode)
                    continue
                c.add(kind, f"{label} (timed metadata{', ' + tag if tag else ''})")
            for key, value in dict(stream.metadata).items():
                _media_key(c, key, value, label, K.MEDIA_STREAM_BENIGN)
        try:
            chapters = container.chapters() if hasattr(container, "chapters") else []
        except Exception:
            chapters = []
        if chapters:
            c.add("comment", f"{fmt.name} chapters ({len(chapters)})")
    finally:
        container.close()
    _ilst(path, fmt, c)
    _boxes(path, fmt, c)
    modality = "video" if has_video else ("audio" if has_audio else "video")
    return {"modality": modality}


def _media_key(c: Collector, key: str, value: Any, label: str, benign: set[str]) -> None:
    name = _LANG_SUFFIX.sub("", str(key).lower())
    if name in benign or not str(value).strip("\x00 "):
        return
    kind = K.MEDIA_KEYS.get(name)
    if kind is None and name.startswith("com.apple.quicktime.location"):
        kind = "gps"
    c.add(kind or "other", f"{label} '{str(key)[:60]}'", value)


def _ilst(path: pathlib.Path, fmt: Format, c: Collector) -> None:
    """iTunes-style tags (moov/udta/meta/ilst) through mutagen: a second reader for the atoms."""
    from mutagen.mp4 import MP4

    try:
        tags = MP4(str(path)).tags
    except Exception:
        return  # FFmpeg has read the file; mutagen only adds names for ilst atoms
    if not tags:
        return
    for key, value in tags.items():
        if len(key) == 4 and all(ord(ch) < 0x20 for ch in key):
            continue  # mdta keys by index: FFmpeg names them (com.apple.quicktime.*)
        if key in K.ILST_BENIGN:
            continue
        if key.startswith("----:"):
            c.add("other", f"{fmt.name} ilst freeform '{key[5:65]}'", value)
            continue
        kind = K.ILST.get(key, "other")
        shown = value if key != "covr" else f"<{len(value)} picture(s)>"
        c.add(kind, f"{fmt.name} ilst '{key}'", shown)


def remux(path: pathlib.Path, fmt: Format, out_path: pathlib.Path) -> str:
    """Copy the video and audio packets into a new file of the same family. The input's own muxer
    first; a muxer that refuses the codecs (3GP allows only the 3GPP ones) is followed by the
    general MP4, then QuickTime one — the container family and the name stay, the reason is said."""
    import av

    _check_boxes(path, fmt)
    muxers = list(dict.fromkeys([fmt.muxer, "mp4", "mov"]))
    refusals: list[str] = []
    for muxer in muxers:
        try:
            dropped = _remux_with(path, fmt, out_path, muxer)
        except _MuxerRefused as exc:
            refusals.append(f"{muxer}: {exc}")
            continue
        note = "remuxed: the video and audio are copied unchanged (not re-encoded); every metadata box is left out"
        if muxer != fmt.muxer:
            note += f"; written with the {muxer.upper()} box layout, as the {fmt.name} writer refused these tracks ({refusals[0].split(': ', 1)[1]})"
        if dropped:
            note += "; also left out: " + ", ".join(sorted(set(dropped)))
        return note
    del av
    raise CheckerError(f"cannot rewrite the {fmt.name} file: no writer of its family accepts its tracks ({'; '.join(refusals)})")


class _MuxerRefused(Exception):
    pass


# AMR speech (3GPP phones): a sample in the file may hold several 20 ms frames, but FFmpeg's 3GP
# writer takes one frame per packet. Frame sizes by mode (the ToC byte's bits 3–6), header included.
_AMR = {"amr_nb": (8000, 160, (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1)),
        "amrnb": (8000, 160, (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1)),
        "amr_wb": (16000, 320, (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1)),
        "amrwb": (16000, 320, (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1))}


def _codec_name(stream: Any) -> str:
    ctx = getattr(stream, "codec_context", None)
    return str(getattr(ctx, "name", "") or "")


def amr_frames(packet: Any, codec: str) -> list[Any]:
    """One packet per AMR frame, each stamped 20 ms after the one before (copied, not decoded)."""
    import av

    rate, samples, sizes = _AMR[codec]
    data = bytes(packet)
    frames: list[bytes] = []
    pos = 0
    while pos < len(data):
        size = sizes[(data[pos] >> 3) & 0x0F]
        frames.append(data[pos : pos + size])
        pos += size
    if len(frames) <= 1:
        return [packet]
    step = int(round(samples / rate / packet.time_base)) if packet.time_base else samples
    out = []
    for i, frame in enumerate(frames):
        piece = av.Packet(frame)
        piece.time_base = packet.time_base
        piece.pts = None if packet.pts is None else packet.pts + i * step
        piece.dts = packet.dts + i * step
        piece.duration = step
        out.append(piece)
    return out


def _remux_with(path: pathlib.Path, fmt: Format, out_path: pathlib.Path, muxer: str) -> list[str]:
    import av

    source = _open(path, fmt)
    dropped: list[str] = []
    try:
        try:
            target = av.open(str(out_path), "w", format=muxer, options={"fflags": "+bitexact"})
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise CheckerError(f"cannot write the {fmt.name} copy ({_reason(exc)})") from None
        try:
            mapping = {}
            for stream in source.streams:
                if stream.type in ("video", "audio") and not _is_attached_pic(stream):
                    mapping[stream.index] = target.add_stream_from_template(stream)
                else:
                    dropped.append("cover art" if _is_attached_pic(stream) else f"{stream.type} track")
            if not mapping:
                raise CheckerError(f"the {fmt.name} file has no video or audio track to keep (a reference movie only points to other files: de-identify those)")
            copied = 0
            for packet in source.demux(*[source.streams[i] for i in mapping]):
                if packet.dts is None:
                    continue
                out_stream = mapping[packet.stream.index]
                codec = _codec_name(packet.stream)
                for piece in amr_frames(packet, codec) if codec in _AMR else [packet]:
                    piece.stream = out_stream
                    target.mux(piece)
                    copied += 1
            if not copied:
                raise CheckerError(f"the {fmt.name} file holds no video or audio data to copy (its tracks are empty: "
                                   "the media data box is missing or cut off)")
            target.close()
        except CheckerError:
            raise
        except (av.FFmpegError, ValueError, OSError, EOFError) as exc:
            raise _MuxerRefused(_reason(exc)) from None
        finally:
            try:
                target.close()
            except Exception:
                pass
    finally:
        source.close()
    return dropped
