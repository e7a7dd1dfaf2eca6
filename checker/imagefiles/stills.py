"""JPEG, PNG and HEIC/HEIF: what they carry (Pillow, pillow-heif; pixels never decoded) and a
copy without it."""
from __future__ import annotations

import contextlib
import io
import mmap
import pathlib
import struct
import warnings
from typing import IO, Any, Iterator

from PIL import Image, ImageOps, IptcImagePlugin, PngImagePlugin, UnidentifiedImageError
from PIL import MpoImagePlugin  # noqa: F401  JPEGs with an MPF segment (phones' previews) open as MPO: it must be registered

from ..errors import CheckerError
from . import classify, heif, jpeg, vendor
from . import kinds as K
from .found import Collector

# The limit is enforced explicitly (see pixel_limit); the warning below it is noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# Pillow warns ("Corrupt EXIF data …") on damaged tags; those tags are reported as found or not.
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.(TiffImagePlugin|Image|JpegImagePlugin|PngImagePlugin)")

# Re-encoding (only when the container cannot be rewritten): the first of these qualities whose
# output is within HEIF_SIZE_FACTOR × the input is kept.
# x265's 'ultrafast' preset: ~5 s for 12 megapixels on a loaded 2-core machine ('medium' takes 25 s
# and more); at quality 70 an iPhone photo comes out at ~1.1× its size.
HEIF_QUALITIES = (70, 55, 40)
HEIF_SIZE_FACTOR = 1.3
HEIF_ENCODER = {"preset": "ultrafast"}
_HEIF_ALPHA_AUX = tuple(urn.decode() for urn in heif.ALPHA_URNS)  # the same alpha planes heif.strip keeps
_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener(thumbnails=True, depth_images=True, aux_images=True)
        _heif_registered = True


def pixel_limit() -> int:
    """Pillow's DecompressionBombError threshold (2 × Image.MAX_IMAGE_PIXELS)."""
    limit = Image.MAX_IMAGE_PIXELS
    return int(limit * 2) if limit else 2 * 89_478_485


def _check_pixels(width: int, height: int) -> None:
    limit = pixel_limit()
    if width * height > limit:
        raise CheckerError(
            f"refused: {width}×{height} pixels ({width * height / 1e6:.0f} megapixels) is over the "
            f"{limit / 1e6:.0f}-megapixel limit (a possible decompression bomb); nothing was decoded"
        )


@contextlib.contextmanager
def open_still(path: pathlib.Path, formats: list[str]) -> Iterator[Image.Image]:
    """Pillow's header-only open, as the sniffed format only, with library errors as one line."""
    if "HEIF" in formats:
        _register_heif()
    try:
        with Image.open(path, formats=formats) as im:
            _check_pixels(*im.size)
            yield im
    except CheckerError:
        raise
    except Image.DecompressionBombError:
        raise CheckerError(f"refused: over the {pixel_limit() / 1e6:.0f}-megapixel limit (a possible decompression bomb); nothing was decoded") from None
    except UnidentifiedImageError:
        raise CheckerError(f"corrupt {formats[0]} file (the image header cannot be read)") from None
    except MemoryError:
        raise CheckerError(f"refused: the {formats[0]} file needs too much memory to read") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, ZeroDivisionError, RuntimeError) as exc:
        raise CheckerError(f"corrupt or truncated {formats[0]} file ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).split("\n")[0][:120]
    if not text or "/" in text or "\\" in text:  # never echo a path or file content
        return type(exc).__name__
    return text


# ----------------------------------------------------------------------------------------------
# JPEG


def inspect_jpeg(path: pathlib.Path, c: Collector) -> dict[str, Any]:
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        layout = jpeg.parse(mm)
        try:
            with open_still(path, ["JPEG"]) as im:  # Pillow's JPEG opener also adopts MPO files
                size = im.size
                photoshop = dict(im.info.get("photoshop") or {})
                try:
                    iptc_info = IptcImagePlugin.getiptcinfo(im) or {}
                except Exception:
                    iptc_info = None
        except CheckerError as exc:
            if "header cannot be read" not in str(exc):
                raise
            # Pillow gives up on some damaged segments (a malformed MPF index) that the segment
            # walk read whole: the size from the frame header, IPTC from the Photoshop block.
            size, photoshop, iptc_info = _jpeg_without_pillow(layout, c)
        orientation = None
        segments = list(jpeg.iter_app(layout))
        flir = [seg.payload for seg in segments if seg.marker == jpeg.APP1 and seg.payload.startswith(b"FLIR\x00")]
        if flir:
            _guarded(c, "FLIR APP1", vendor.flir, c, vendor.flir_join(flir))
        extended = [seg.payload[len(jpeg.XMP_EXT_ID):] for seg in segments
                    if seg.marker == jpeg.APP1 and seg.payload.startswith(jpeg.XMP_EXT_ID)]
        for packet in _guarded(c, "XMP extension", vendor.extended_xmp, extended) or []:
            # Google's depth maps and original photos (GDepth:Data, GImage:Data) live here.
            c.add("other", "XMP extension (extended XMP)")
            classify.xmp(c, packet, "XMP extension")
        fpxr = [seg.payload for seg in segments if seg.marker == jpeg.APP2 and seg.payload.startswith(b"FPXR\x00")]
        if fpxr:
            _guarded(c, "APP2 FlashPix", vendor.flashpix, c, fpxr, "APP2")
        for seg in segments:
            p = seg.payload
            where = seg.name + (" (after the first scan)" if seg.after_scan else "")
            if seg.marker == jpeg.COM:
                if p.strip(b"\x00 "):
                    c.add("comment", f"JPEG COM comment{'' if not seg.after_scan else ' (after the first scan)'}", p)
            elif seg.marker == jpeg.APP0:
                if p.startswith(jpeg.JFIF_ID):
                    if len(p) > 14:
                        c.add("thumbnail", f"{where} JFIF thumbnail")
                elif p.startswith(jpeg.JFXX_ID):
                    c.add("thumbnail", f"{where} JFXX thumbnail")
                elif p[6:14] == b"HEAPJPGM":
                    _guarded(c, f"{where} Canon CIFF", vendor.ciff, c, p, f"{where}")
                else:
                    c.add("other", f"{where} segment")
            elif seg.marker == jpeg.APP1 and p.startswith(jpeg.EXIF_ID):
                o = classify.exif(c, p, "EXIF")
                orientation = orientation or o
            elif seg.marker == jpeg.APP1 and p.startswith(jpeg.XMP_ID):
                classify.xmp(c, p[len(jpeg.XMP_ID) :], "XMP")
            elif seg.marker == jpeg.APP1 and (p.startswith(jpeg.XMP_EXT_ID) or p.startswith(b"FLIR\x00")):
                continue  # read above, all pieces together
            elif seg.marker == jpeg.APP1 and (p.startswith(b"<?xpacket") or p.startswith(b"<x:xmpmeta")):
                classify.xmp(c, p, f"{where} XMP (without its identifier)")
            elif seg.marker == 0xE6 and p.startswith(b"GoPro\x00"):
                c.add("other", f"{where} GoPro GPMF")
                _guarded(c, f"{where} GoPro", vendor.gpmf, c, p[6:], f"{where} GoPro")
            elif seg.marker == 0xEC and b"[picture info]" in p[:64]:
                _guarded(c, f"{where} picture info", vendor.picture_info, c, p, f"{where} picture info")
            elif seg.marker == 0xEC and p.startswith(b"Ducky"):
                c.add("other", f"{where} Ducky (Photoshop 'Save for Web')")
                _guarded(c, f"{where} Ducky", vendor.ducky, c, p, f"{where} Ducky")
            elif seg.marker == 0xE9 and p.startswith(b"infisense"):
                _guarded(c, f"{where} InfiRay", vendor.infisense, c, p, f"{where} InfiRay")
            elif seg.marker == jpeg.APP2 and p.startswith(b"FPXR\x00"):
                continue  # read above, all pieces together
            elif seg.marker == 0xE3 and p.startswith(b"_JPSJPS_"):
                _guarded(c, f"{where} JPS", vendor.jps, c, p, f"{where} JPS")
            elif seg.marker == jpeg.APP1 and p.startswith(b"QVCI\x00"):
                _guarded(c, f"{where} Casio QVCI", vendor.casio_qvci, c, p, f"{where} Casio QVCI")
            elif seg.marker == jpeg.APP2 and p.startswith(jpeg.ICC_ID):
                continue  # colour profile
            elif seg.marker == jpeg.APP2 and p.startswith(jpeg.MPF_ID):
                c.add("thumbnail", f"{where} MPF (Multi-Picture Format: embedded preview or secondary images)")
            elif seg.marker == jpeg.APP14 and p.startswith(jpeg.ADOBE_ID):
                continue  # colour transform
            elif seg.marker == jpeg.APP13 and p.startswith(jpeg.PHOTOSHOP_ID) and not seg.after_scan:
                if any(k in photoshop for k in K.PHOTOSHOP_THUMBNAILS):
                    c.add("thumbnail", "Photoshop IRB thumbnail")
                if iptc_info is None:
                    c.add("other", "IPTC (unreadable)")
                elif iptc_info:
                    classify.iptc(c, iptc_info, "IPTC")
                elif not photoshop:
                    c.add("other", f"{where} Photoshop segment")
            else:
                c.add("other", f"{where} segment")
        if layout.trailing:
            tail = bytes(mm[layout.eoi : layout.eoi + 12])
            if tail[:3] == b"\xff\xd8\xff":
                c.add("thumbnail", "JPEG data after the end of the image (an appended image)")
            elif tail[4:8] == b"ftyp":
                c.add("thumbnail", "data after the end of the image (an appended video, e.g. a motion photo)")
            elif layout.trailing > 16 or tail.strip(b"\x00"):
                c.add("other", f"data after the end of the image ({layout.trailing} bytes)")
            if layout.trailing <= 1 << 24:
                # AFCP and FotoStation keep IPTC records in a trailer
                trailer_iptc = _guarded(c, "data after the end of the image", vendor.iim, bytes(mm[layout.eoi :]))
                if trailer_iptc:
                    classify.iptc(c, trailer_iptc, "IPTC after the end of the image")
    return {"size": size, "orientation": orientation}


def _jpeg_without_pillow(layout: jpeg.Layout, c: Collector) -> tuple[tuple[int, int], dict[int, bytes], dict[tuple[int, int], Any]]:
    frame = next((seg for seg in layout.segments if 0xC0 <= seg.marker <= 0xCF and seg.marker not in (0xC4, 0xC8, 0xCC)), None)
    if frame is None or len(frame.payload) < 5:
        raise CheckerError("corrupt JPEG file (no frame header)")
    height, width = struct.unpack_from(">HH", frame.payload, 1)
    _check_pixels(width, height)
    iptc_info: dict[tuple[int, int], Any] = {}
    for seg in layout.segments:
        if seg.marker == jpeg.APP13 and seg.payload.startswith(jpeg.PHOTOSHOP_ID):
            iptc_info.update(_guarded(c, "APP13 Photoshop", vendor.iim, seg.payload) or {})
    return (width, height), {}, iptc_info


def _guarded(c: Collector, where: str, read: Any, *args: Any) -> Any:
    """A vendor block read by clinimg's own walker: damage in it is that block 'unreadable'
    (still metadata, still removed by deidentify), never a crash of the whole inspection."""
    try:
        return read(*args)
    except (struct.error, ValueError, IndexError, KeyError, UnicodeError, OverflowError, RecursionError):
        c.add("other", f"{where} (unreadable)")
        return None


def strip_jpeg(path: pathlib.Path, out: IO[bytes], orientation: int | None) -> str:
    data = path.read_bytes()
    exif = None
    if orientation and orientation != 1:
        minimal = Image.Exif()
        minimal[K.ORIENTATION_TAG] = orientation
        exif = minimal.tobytes()
    clean, _dropped = jpeg.stripped(data, exif)
    out.write(clean)
    note = "lossless: metadata segments removed, the compressed image data copied unchanged (not re-encoded)"
    if exif:
        note += "; the orientation flag is kept so the image still displays the right way up"
    return note


# ----------------------------------------------------------------------------------------------
# PNG


def inspect_png(path: pathlib.Path, c: Collector) -> dict[str, Any]:
    with open_still(path, ["PNG"]) as im:
        size = im.size
        frames = getattr(im, "n_frames", 1)
    orientation = None
    with open(path, "rb") as fh:
        fh.seek(8)
        stream = PngImagePlugin.PngStream(fh)
        file_size = path.stat().st_size
        seen_iend = False
        while True:
            try:
                cid, pos, length = stream.read()
            except (SyntaxError, ValueError) as exc:
                raise CheckerError(f"corrupt PNG file ({_reason(exc)})") from None
            except Exception:
                raise CheckerError("truncated PNG file (a chunk header is cut off, no end chunk)") from None
            if pos + length + 4 > file_size:
                raise CheckerError("truncated PNG file (a chunk is cut off, no end chunk)")
            if cid == b"IEND":
                seen_iend = True
                break
            text_chunk = cid in K.PNG_TEXT_CHUNKS or cid in (b"eXIf", b"zxIf")
            if not text_chunk:
                if cid not in K.PNG_BENIGN_CHUNKS:
                    c.add("timestamp" if cid == b"tIME" else "other", f"PNG {cid.decode('latin-1')} chunk")
                fh.seek(length + 4, 1)  # data and CRC, unread
                continue
            before = dict(stream.im_text)
            try:
                data = stream.call(cid, pos, length)
                stream.crc(cid, data)
            except (ValueError, SyntaxError, OSError, EOFError) as exc:
                c.add("other", f"PNG {cid.decode('latin-1')} chunk (unreadable: {_reason(exc)})")
                fh.seek(pos + length + 4)
                continue
            if cid == b"eXIf" or cid == b"zxIf":
                exif_data = stream.im_info.get("exif")
                if exif_data:
                    orientation = classify.exif(c, exif_data, "PNG eXIf EXIF") or orientation
                continue
            for key, value in stream.im_text.items():
                if before.get(key) is value:
                    continue
                _png_text(c, cid.decode("latin-1"), key, value)
        if not seen_iend:  # pragma: no cover - the loop only ends at IEND
            raise CheckerError("truncated PNG file (no end chunk)")
        if fh.tell() < file_size - 8:
            c.add("other", f"PNG data after the end chunk ({file_size - fh.tell()} bytes)")
    return {"size": size, "orientation": orientation, "frames": frames}


def _png_text(c: Collector, chunk: str, key: str, value: Any) -> None:
    lowered = key.lower().strip()
    where = f"PNG {chunk} '{key[:40]}'"
    text = str(value)
    if lowered == "xml:com.adobe.xmp":
        classify.xmp(c, text, f"PNG {chunk} XMP")
        return
    if lowered.startswith("raw profile type "):
        profile = lowered[len("raw profile type ") :]
        if profile in ("icc", "icm"):
            return
        raw = _imagemagick_profile(text)
        if raw is None:
            c.add("other", where)
        elif profile in ("exif", "app1") and raw[:6] == b"Exif\x00\x00":
            classify.exif(c, raw, f"{where} EXIF")
        elif profile == "exif":
            classify.exif(c, b"Exif\x00\x00" + raw, f"{where} EXIF")
        elif profile in ("xmp", "app1"):
            classify.xmp(c, raw, f"{where} XMP")
        else:
            c.add("other", where)
        return
    if lowered.startswith("exif:"):
        kind = _exif_name_kind(key[5:])
        if kind:
            c.add(kind, where, value)
        return
    if lowered in K.PNG_BENIGN_TEXT:
        return
    if not text.strip("\x00 "):
        return
    c.add(K.PNG_TEXT.get(lowered, "other"), where, value)


def _imagemagick_profile(text: str) -> bytes | None:
    """ImageMagick's 'Raw profile type X' text: a name line, a length line, then hex."""
    lines = text.strip().split("\n", 2)
    if len(lines) < 3:
        return None
    try:
        return bytes.fromhex("".join(lines[2].split()))
    except ValueError:
        return None


def _exif_name_kind(name: str) -> str | None:
    from PIL import ExifTags

    if name.startswith("GPS"):
        return None if name == "GPSVersionID" else ("timestamp" if name in ("GPSTimeStamp", "GPSDateStamp") else "gps")
    for tag, tag_name in ExifTags.TAGS.items():
        if tag_name == name:
            return K.EXIF_IFD0.get(tag) or K.EXIF_SUB.get(tag)
    return None


def strip_png(path: pathlib.Path, out: IO[bytes], orientation: int | None) -> str:
    with open_still(path, ["PNG"]) as im:
        if getattr(im, "n_frames", 1) > 1:
            raise CheckerError("an animated PNG cannot be de-identified (only still images are supported)")
        try:
            im.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CheckerError(f"corrupt or truncated PNG file ({_reason(exc)})") from None
        params: dict[str, Any] = {}
        for key in ("transparency", "icc_profile", "dpi"):
            if im.info.get(key) is not None:
                params[key] = im.info[key]
        clean = _upright(im, orientation)
    clean.info = {}
    clean.save(out, "PNG", **params)
    note = "re-encoded losslessly (PNG): the pixels are identical, only the metadata chunks are gone"
    if orientation and orientation != 1:
        note += "; the image was turned the right way up (its orientation flag is gone with the EXIF)"
    return note


def _upright(im: Image.Image, orientation: int | None) -> Image.Image:
    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}.get(orientation or 1)
    return im.transpose(method) if method is not None else im.copy()


# ----------------------------------------------------------------------------------------------
# HEIC / HEIF


def inspect_heif(path: pathlib.Path, c: Collector) -> dict[str, Any]:
    import pillow_heif

    with open_still(path, ["HEIF"]) as im:
        size = im.size
    try:
        heif_file = pillow_heif.open_heif(path, convert_hdr_to_8bit=False)
        images = list(heif_file)
    except (ValueError, RuntimeError, OSError, EOFError, SyntaxError) as exc:
        raise CheckerError(f"corrupt or truncated HEIF file ({_reason(exc)})") from None
    if len(images) > 1:
        c.add("thumbnail", f"HEIF {len(images) - 1} more image(s) besides the primary one")
    for number, image in enumerate(images):
        label = "HEIF" if len(images) == 1 else f"HEIF image {number + 1}"
        info = image.info
        if info.get("exif"):
            classify.exif(c, info["exif"], f"{label} EXIF")
        if info.get("xmp"):
            classify.xmp(c, info["xmp"], f"{label} XMP")
        for block in info.get("metadata") or []:
            kind = (block.get("type") or "") if isinstance(block, dict) else ""
            content = (block.get("content_type") or "") if isinstance(block, dict) else ""
            if kind.lower() == "iptc":
                c.add("other", f"{label} IPTC metadata item")
            else:
                c.add("other", f"{label} metadata item '{(kind or content)[:40]}'")
        if info.get("thumbnails"):
            c.add("thumbnail", f"{label} thumbnail image(s)")
        if info.get("depth_images"):
            c.add("thumbnail", f"{label} depth map(s)")
        for urn in (info.get("aux") or {}):
            if urn not in _HEIF_ALPHA_AUX:
                c.add("thumbnail", f"{label} auxiliary image '{str(urn)[:60]}'")
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for kind, where in heif.extras(mm):  # the box headers are read where they lie, not the whole file
            c.add(kind, where)
    return {"size": size, "orientation": None}


def strip_heif(path: pathlib.Path, out: IO[bytes], orientation: int | None) -> str:
    """Without re-encoding where the structure allows (heif.strip: the primary image's coded bytes
    copied, every other item left out); otherwise re-encoded no larger than 1.3× the input."""
    data = path.read_bytes()
    try:
        clean, left_out = heif.strip(data)
    except heif.Unsupported as exc:
        return _reencode_heif(path, out, len(data), str(exc))
    out.write(clean)
    note = "lossless: the coded image is copied unchanged (not re-encoded); metadata items removed from the HEIF container"
    if left_out:
        note += " (" + ", ".join(left_out) + ")"
    return note


def _reencode_heif(path: pathlib.Path, out: IO[bytes], input_size: int, why: str) -> str:
    with open_still(path, ["HEIF"]) as im:
        try:
            im.load()
        except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as exc:
            raise CheckerError(f"corrupt or truncated HEIF file ({_reason(exc)})") from None
        params: dict[str, Any] = {}
        if im.info.get("icc_profile"):
            params["icc_profile"] = im.info["icc_profile"]
        if im.info.get("chroma"):
            params["chroma"] = im.info["chroma"]
        clean = im.copy()  # pillow-heif decodes upright (its transforms applied)
    clean.info = {}
    # The highest quality whose file is within 1.3× the input (phones encode at about 50–80).
    for quality in HEIF_QUALITIES:
        buf = io.BytesIO()
        clean.save(buf, "HEIF", quality=quality, exif=None, xmp=None, enc_params=HEIF_ENCODER, **params)
        if buf.tell() <= HEIF_SIZE_FACTOR * input_size:
            break
    out.write(buf.getvalue())
    return (f"re-encoded (HEIC at quality {quality}; {why}, so the metadata could not be cut out of the container): "
            "the pixels may differ slightly from the original; only the primary image is kept")
