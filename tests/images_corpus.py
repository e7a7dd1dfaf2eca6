"""Test corpus for the image-file features, made on the fly with the same libraries clinimg reads
them with (Pillow, pillow-heif, PyAV, mutagen) plus piexif (EXIF thumbnails) and pyexiv2 (IPTC/XMP).
No binary files are committed.

Every identifying value is a canary string, so tests can prove values are never printed by default.
"""
from __future__ import annotations

import io
import pathlib

from PIL import ExifTags, Image, PngImagePlugin

CANARY_NAME = "Jane-Canary-Doe"
CANARY_SERIAL = "SN-CANARY-4471"
CANARY_PLACE = "Canaryville"
CANARY_NOTE = "bed-4-canary"
CANARIES = [CANARY_NAME, CANARY_SERIAL, CANARY_PLACE, CANARY_NOTE, "151.2093", "33.8688"]


def picture(size: tuple[int, int] = (96, 64)) -> Image.Image:
    """A deterministic picture with detail (so a re-encode would show)."""
    return Image.effect_mandelbrot(size, (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB").point(lambda v: (v * 7) % 256)


def full_exif(orientation: int | None = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 15 Pro"  # Model
    exif[0x0131] = "17.1.2"  # Software
    exif[0x0132] = "2026:11:20 09:00:00"  # DateTime
    exif[0x013B] = CANARY_NAME  # Artist
    if orientation:
        exif[0x0112] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[0x9003] = "2026:11:20 09:00:00"  # DateTimeOriginal
    sub[0xA431] = CANARY_SERIAL  # BodySerialNumber
    sub[0xA420] = "5f1c0c2e9a0b4d7e"  # ImageUniqueID
    sub[0x9286] = b"ASCII\x00\x00\x00" + CANARY_NOTE.encode()  # UserComment
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1] = "S"
    gps[2] = (33.0, 52.0, 7.68)  # 33.8688 S
    gps[3] = "E"
    gps[4] = (151.0, 12.0, 33.48)
    gps[0x1D] = "2026:11:20"  # GPSDateStamp
    return exif


def jpeg_full(directory: pathlib.Path, name: str = "full.jpg", progressive: bool = False) -> pathlib.Path:
    path = directory / name
    picture().save(path, "JPEG", exif=full_exif(), comment=CANARY_NOTE.encode(), quality=90, progressive=progressive)
    return path


def jpeg_clean(directory: pathlib.Path, name: str = "clean.jpg") -> pathlib.Path:
    path = directory / name
    picture().save(path, "JPEG", quality=90)
    return path


def jpeg_thumbnail(directory: pathlib.Path) -> pathlib.Path:
    """An EXIF IFD1 thumbnail: the uncropped picture survives a crop of the main image."""
    import piexif

    thumb = io.BytesIO()
    picture((32, 21)).save(thumb, "JPEG")
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"Canon"}, "Exif": {}, "GPS": {},
                        "1st": {piexif.ImageIFD.Compression: 6}, "thumbnail": thumb.getvalue()})
    path = directory / "thumb.jpg"
    picture().crop((10, 10, 60, 50)).save(path, "JPEG", exif=exif, quality=90)
    return path


def jpeg_mpo(directory: pathlib.Path) -> pathlib.Path:
    """Multi-Picture Format: a second full image after the first, as phones store previews."""
    path = directory / "preview.jpg"
    picture().save(path, "MPO", save_all=True, append_images=[picture((48, 32))])
    return path


def jpeg_xmp_iptc(directory: pathlib.Path) -> pathlib.Path:
    import pyexiv2

    path = jpeg_clean(directory, "xmp_iptc.jpg")
    with pyexiv2.Image(str(path)) as meta:
        meta.modify_iptc({"Iptc.Application2.City": CANARY_PLACE, "Iptc.Application2.Byline": [CANARY_NAME],
                          "Iptc.Application2.Caption": CANARY_NOTE})
        meta.modify_xmp({"Xmp.dc.creator": [CANARY_NAME], "Xmp.photoshop.City": CANARY_PLACE,
                         "Xmp.xmp.CreateDate": "2026-11-20T09:00:00", "Xmp.xmpMM.DocumentID": "xmp.did:canary",
                         "Xmp.exif.GPSLatitude": "33,52.128S", "Xmp.tiff.Orientation": "1"})
    return path


def jpeg_motion_photo(directory: pathlib.Path) -> pathlib.Path:
    """A JPEG with a video appended after its end-of-image marker (as motion photos do)."""
    video = mp4_tagged(directory)
    path = directory / "motion.jpg"
    path.write_bytes(jpeg_clean(directory, "motion_base.jpg").read_bytes() + video.read_bytes())
    return path


def png_text(directory: pathlib.Path) -> pathlib.Path:
    path = directory / "chunks.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", CANARY_NAME)
    info.add_text("Description", CANARY_NOTE, zip=True)
    info.add_itxt("Comment", CANARY_NOTE)
    info.add_text("Creation Time", "2026-11-20T09:00:00")
    info.add_text("Software", "Camera+ 4.2")
    info.add(b"tIME", bytes([0x07, 0xEA, 11, 20, 9, 0, 0]))
    exif = Image.Exif()
    exif[0x010F] = "samsung"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[2] = (33.0, 52.0, 7.68)
    picture().convert("RGBA").save(path, "PNG", pnginfo=info, exif=exif)
    return path


def heic(directory: pathlib.Path) -> pathlib.Path:
    import pillow_heif

    pillow_heif.register_heif_opener()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="2026-11-20T09:00:00"'
           b' xmp:CreatorTool="Camera"/></rdf:RDF></x:xmpmeta>')
    path = directory / "photo.heic"
    picture().save(path, "HEIF", exif=full_exif(orientation=None).tobytes(), xmp=xmp, quality=90, thumbnails=[32])
    return path


def _video(path: pathlib.Path, fmt: str, metadata: dict[str, str], options: dict[str, str] | None = None,
           video: bool = True, audio: bool = False) -> pathlib.Path:
    import av

    with av.open(str(path), "w", format=fmt, options=options or {}) as container:
        container.metadata.update(metadata)
        vs = as_ = None
        if video:
            vs = container.add_stream("mpeg4", rate=10)
            vs.width, vs.height, vs.pix_fmt = 32, 32, "yuv420p"
        if audio:
            as_ = container.add_stream("aac", rate=8000, layout="mono")
        if vs is not None:
            for i in range(5):
                frame = av.VideoFrame.from_image(Image.new("RGB", (32, 32), (i * 40, 80, 160 - i * 20)))
                for packet in vs.encode(frame):
                    container.mux(packet)
            for packet in vs.encode():
                container.mux(packet)
        if as_ is not None:
            for i in range(4):
                frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
                frame.sample_rate = 8000
                frame.planes[0].update(bytes(4096))
                frame.pts = i * 1024
                for packet in as_.encode(frame):
                    container.mux(packet)
            for packet in as_.encode():
                container.mux(packet)
    return path


def mp4_tagged(directory: pathlib.Path) -> pathlib.Path:
    """iPhone-style keys (com.apple.quicktime.*), location and creation time."""
    return _video(directory / "clip.mp4", "mp4", {
        "creation_time": "2026-11-20T09:00:00Z",
        "com.apple.quicktime.location.ISO6709": "-33.8688+151.2093+020.000/",
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.model": "iPhone 15 Pro",
        "com.apple.quicktime.software": "17.1.2",
        "com.apple.quicktime.author": CANARY_NAME,
    }, options={"movflags": "use_metadata_tags"})


def mov_tagged(directory: pathlib.Path) -> pathlib.Path:
    """QuickTime udta atoms: ©xyz location, ©mak/©mod, creation time in the movie header."""
    return _video(directory / "clip.mov", "mov", {
        "creation_time": "2026-11-20T09:00:00Z", "location": "-33.8688+151.2093/", "make": "Apple", "model": "iPhone 15 Pro",
    }, audio=True)


def m4a_tagged(directory: pathlib.Path) -> pathlib.Path:
    """A voice memo: AAC audio, iTunes-style tags added with mutagen (title, date, tool, artist, art, place)."""
    from mutagen.mp4 import MP4, MP4Cover

    path = _video(directory / "memo.m4a", "ipod", {}, video=False, audio=True)
    tagged = MP4(str(path))
    art = io.BytesIO()
    picture((16, 16)).save(art, "JPEG")
    tagged.tags["\xa9nam"] = [CANARY_PLACE + " Street"]
    tagged.tags["\xa9day"] = ["2026-11-20T09:00:00Z"]
    tagged.tags["\xa9too"] = ["com.apple.VoiceMemos (iPhone 15 Pro)"]
    tagged.tags["\xa9ART"] = [CANARY_NAME]
    tagged.tags["\xa9xyz"] = ["-33.8688+151.2093/"]
    tagged.tags["covr"] = [MP4Cover(art.getvalue(), imageformat=MP4Cover.FORMAT_JPEG)]
    tagged.save()
    return path


def png_bomb(directory: pathlib.Path) -> pathlib.Path:
    """200 megapixels in a few kilobytes (bilevel, so making it costs 25 MB, not 600)."""
    path = directory / "bomb.png"
    Image.new("1", (20000, 10000)).save(path, "PNG")
    return path


def jpeg_bomb(directory: pathlib.Path) -> pathlib.Path:
    """A small JPEG whose frame header claims 20000×10000 pixels."""
    data = bytearray(jpeg_clean(directory, "bomb_base.jpg").read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = (10000).to_bytes(2, "big") + (20000).to_bytes(2, "big")
    path = directory / "bomb.jpg"
    path.write_bytes(bytes(data))
    return path


def truncated(source: pathlib.Path, fraction: float = 0.5, name: str | None = None) -> pathlib.Path:
    data = source.read_bytes()
    path = source.with_name(name or f"truncated_{source.name}")
    path.write_bytes(data[: int(len(data) * fraction)])
    return path
