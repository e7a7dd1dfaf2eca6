"""Image files from real cameras and phones (tests/fixtures/images/real, provenance in its README):
clinimg's own reader finds ≥ 99 % of what an independent reader finds, each vendor block is
classified, and a de-identified copy holds nothing any reader finds. Synthetic structures for
what the corpus lacks (free-text XMP, extended-XMP depth maps, MP4 boxes, reference movies)."""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import struct
import subprocess

import pytest
from PIL import Image

from checker import imagefiles
from checker.errors import CheckerError
from checker.imagefiles import exiftool, heif, jpeg, media, stills
from tests import images_corpus as C
from tests import images_recall as R

REAL = R.REAL
HAVE_EXIFTOOL = R.exiftool_program() is not None
NO_EXIFTOOL = "ExifTool is not installed (make test installs Debian's libimage-exiftool-perl when it runs as root)"


def _found(path: pathlib.Path) -> list[tuple[str, str]]:
    return [(f.kind, f.where) for f in imagefiles.inspect(path).found]


# ---------------------------------------------------------------------------------------------
# recall against an independent reader


@pytest.mark.skipif(not HAVE_EXIFTOOL, reason=NO_EXIFTOOL)
def test_recall_against_exiftool() -> None:
    result = R.measure(R.real_files(), "exiftool")
    assert result.expected > 200 and not result.errors, result.errors
    assert result.ratio >= 0.99, result.line() + "\n" + "\n".join(f"{n}: {k} {t[:4]}" for n, k, t in result.misses)


def test_recall_against_exiv2() -> None:
    pytest.importorskip("pyexiv2", reason="pyexiv2 (exiv2) is not installed: it comes with the test extras")
    result = R.measure(R.real_files(R.EXIV2_MEDIA), "exiv2")
    assert result.expected > 150 and not result.errors, result.errors
    assert result.ratio >= 0.99, result.line() + "\n" + "\n".join(f"{n}: {k} {t[:4]}" for n, k, t in result.misses)


# ---------------------------------------------------------------------------------------------
# each vendor block: what it holds, by name


@pytest.mark.parametrize("name, kind, where", [
    ("Canon.jpg", "serial_number", "EXIF MakerNote (Canon) SerialNumber"),
    ("Canon.jpg", "owner_name", "EXIF MakerNote (Canon) OwnerName"),
    ("Canon.jpg", "software", "EXIF MakerNote (Canon) CanonFirmwareVersion"),
    ("NikonD70.jpg", "serial_number", "EXIF MakerNote (Nikon) SerialNumber"),
    ("NikonD2Hs.jpg", "serial_number", "EXIF MakerNote (Nikon) SerialNumber"),
    ("OlympusE1.jpg", "serial_number", "EXIF MakerNote (Olympus) LensSerialNumber"),
    ("Olympus2.jpg", "serial_number", "EXIF MakerNote (Olympus) InternalSerialNumber"),
    ("Panasonic.jpg", "serial_number", "EXIF MakerNote (Panasonic) InternalSerialNumber"),
    ("Pentax.jpg", "serial_number", "EXIF MakerNote (Pentax) InternalSerialNumber"),
    ("Pentax.jpg", "gps", "EXIF MakerNote (Pentax) HometownCity"),
    ("Casio2.jpg", "gps", "EXIF MakerNote (Casio) HometownCity"),
    ("Ricoh2.jpg", "serial_number", "EXIF MakerNote (Ricoh) InternalSerialNumber"),
    ("Sigma.jpg", "serial_number", "EXIF MakerNote (Sigma) SerialNumber"),
    ("Motorola.jpg", "serial_number", "EXIF MakerNote (Motorola) SerialNumber"),
    ("L_exif_xmp_iptc.heic", "serial_number", "HEIF EXIF MakerNote (Sony) 0x9050 (enciphered camera data with the internal serial number)"),
    ("pug.heic", "unique_id", "HEIF EXIF MakerNote (Apple) ImageCaptureRequestID"),
    ("FLIR.jpg", "serial_number", "FLIR APP1 CameraSerialNumber"),
    ("FLIR.jpg", "timestamp", "FLIR APP1 DateTimeOriginal"),
    ("FLIR.jpg", "thumbnail", "FLIR APP1 raw thermal image"),
    ("GoPro.jpg", "serial_number", "APP6 GoPro CASN"),
    ("GoPro.jpg", "unique_id", "APP6 GoPro MUID"),
    ("InfiRay.jpg", "serial_number", "APP9 InfiRay sensor serial number"),
    ("ExifTool.jpg", "serial_number", "APP12 picture info SerialNumber"),
    ("ExifTool.jpg", "owner_name", "APP12 Ducky Copyright"),
    ("ExifTool.jps", "comment", "APP3 JPS comment"),
    ("CasioQVCI.jpg", "timestamp", "APP1 Casio QVCI date of capture"),
    ("Kodak.jpg", "thumbnail", "APP2 FlashPix screen nail (a preview image)"),
    ("AFCP.jpg", "owner_name", "IPTC after the end of the image 2:80 By-line"),
    ("FotoStation.jpg", "comment", "IPTC after the end of the image 2:120 Caption-Abstract"),
    ("ExtendedXMP.jpg", "owner_name", "XMP extension pdf:Author"),
    ("XMP.jpg", "owner_name", "XMP dc:creator"),  # a UTF-16 packet
    ("L_xmp_latin1.heic", "owner_name", "HEIF XMP dc:creator"),  # a Latin-1 packet
    ("L_xmp.heif", "serial_number", "HEIF XMP aux:SerialNumber"),
    ("QuickTime.mov", "owner_name", "MOV user-data XMP dc:creator"),  # XMP_ box after a QuickTime meta
    ("QuickTime.mov", "device_model", "MOV user-data box 'TAGS'"),
    ("with-gps.mov", "gps", "MOV metadata 'com.apple.quicktime.location.ISO6709'"),
    ("with-gps.mov", "device_model", "MOV metadata 'com.apple.quicktime.model'"),
    ("with-gps.mp4", "gps", "MP4 metadata 'location'"),
    ("xmp480qt.mov", "unique_id", "MOV user-data XMP xmpMM:DocumentID"),
    ("sample.3gp", "timestamp", "3GP metadata 'creation_time'"),
])
def test_vendor_blocks_classified(name: str, kind: str, where: str) -> None:
    assert (kind, where) in _found(REAL / name)


def test_apple_media_group_uuid(tmp_path: pathlib.Path) -> None:
    """An iPhone's maker note (big-endian, offsets from the note): the Live Photo's MediaGroupUUID
    links the still to its video — a unique id, not just 'other'."""
    from PIL import ExifTags

    uuid = b"7A6B3C2D-1E0F-4A5B-8C7D-6E5F4A3B2C1D\x00"
    directory = struct.pack(">H", 1) + struct.pack(">HHII", 0x0011, 2, len(uuid), 14 + 2 + 12 + 4) + b"\x00" * 4
    note = b"Apple iOS\x00" + b"\x00\x01" + b"MM" + directory + uuid
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif.get_ifd(ExifTags.IFD.Exif)[0x927C] = note
    path = tmp_path / "live.jpg"
    C.picture().save(path, "JPEG", exif=exif)
    assert ("unique_id", "EXIF MakerNote (Apple) MediaGroupUUID") in _found(path)


def test_all_zero_ids_are_not_ids() -> None:
    wheres = [w for k, w in _found(REAL / "FLIR.jpg") if k == "unique_id"]
    assert not any("MakerNote" in w for w in wheres), wheres  # FLIR's 0x0007/0x0008 are all zeros


# ---------------------------------------------------------------------------------------------
# free-text XMP: a name is never "no identifying metadata found"


def _jpeg_with_app(tmp_path: pathlib.Path, name: str, *payloads: tuple[int, bytes]) -> pathlib.Path:
    base = C.jpeg_clean(tmp_path, "base_" + name).read_bytes()
    segments = b"".join(b"\xff" + bytes([marker]) + (len(p) + 2).to_bytes(2, "big") + p for marker, p in payloads)
    path = tmp_path / name
    path.write_bytes(base[:2] + segments + base[2:])
    return path


def _xmp(body: str, namespaces: str) -> bytes:
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" {namespaces}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def test_xmp_artwork_caption_and_creator(tmp_path: pathlib.Path) -> None:
    # ExifTool's ArtworkContentDescription / ArtworkCreator: AOContentDescription / AOCreator in the packet
    packet = _xmp(f'<Iptc4xmpExt:ArtworkOrObject><rdf:Bag><rdf:li rdf:parseType="Resource">'
                  f'<Iptc4xmpExt:AOContentDescription><rdf:Alt><rdf:li xml:lang="x-default">{C.CANARY_NOTE}</rdf:li></rdf:Alt>'
                  f'</Iptc4xmpExt:AOContentDescription>'
                  f'<Iptc4xmpExt:AOCreator><rdf:Seq><rdf:li>{C.CANARY_NAME}</rdf:li></rdf:Seq></Iptc4xmpExt:AOCreator>'
                  f'<Iptc4xmpExt:AOStylePeriod><rdf:Bag><rdf:li>modern</rdf:li></rdf:Bag></Iptc4xmpExt:AOStylePeriod>'
                  f'</rdf:li></rdf:Bag></Iptc4xmpExt:ArtworkOrObject>',
                  'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"')
    path = _jpeg_with_app(tmp_path, "artwork.jpg", (0xE1, jpeg.XMP_ID + packet))
    found = _found(path)
    assert ("owner_name", "XMP Iptc4xmpExt:AOCreator") in found
    assert ("comment", "XMP Iptc4xmpExt:AOContentDescription") in found
    assert ("other", "XMP Iptc4xmpExt:AOStylePeriod") in found  # IPTC's people/places schema: never nothing
    from checker.imagefiles import report

    assert "no identifying metadata found" not in report.inspect_text([imagefiles.inspect(path)])


def test_xmp_unknown_namespace_by_name_else_other(tmp_path: pathlib.Path) -> None:
    packet = _xmp(f'<hosp:OwnerName>{C.CANARY_NAME}</hosp:OwnerName><hosp:WardSerialNumber>{C.CANARY_SERIAL}</hosp:WardSerialNumber>'
                  '<hosp:Mood>calm</hosp:Mood>', 'xmlns:hosp="http://example.org/hospital/1.0/"')
    found = _found(_jpeg_with_app(tmp_path, "custom.jpg", (0xE1, jpeg.XMP_ID + packet)))
    assert ("owner_name", "XMP http://example.org/hospital/1.0/:OwnerName") in found
    assert ("serial_number", "XMP http://example.org/hospital/1.0/:WardSerialNumber") in found
    assert ("other", "XMP http://example.org/hospital/1.0/:Mood") in found  # not classifiable: other, never nothing


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-8-sig"])
def test_xmp_packet_encodings(tmp_path: pathlib.Path, codec: str) -> None:
    text = _xmp(f'<dc:creator><rdf:Seq><rdf:li>{C.CANARY_NAME}</rdf:li></rdf:Seq></dc:creator>',
                'xmlns:dc="http://purl.org/dc/elements/1.1/"').decode()
    data = text.encode(codec) if codec != "utf-16-be" else b"\xfe\xff" + text.encode(codec)
    path = _jpeg_with_app(tmp_path, "enc.jpg", (0xE1, jpeg.XMP_ID + data))
    assert ("owner_name", "XMP dc:creator") in _found(path)


def test_broken_xmp_is_still_read_by_name(tmp_path: pathlib.Path) -> None:
    packet = f'<x:xmpmeta><rdf:RDF><rdf:Description><dc:creator>{C.CANARY_NAME}</dc:creator><dc:title>x & y</dc:title>'.encode()
    found = _found(_jpeg_with_app(tmp_path, "broken.jpg", (0xE1, jpeg.XMP_ID + packet)))
    assert ("other", "XMP (unreadable packet)") in found and ("owner_name", "XMP dc:creator") in found


def test_extended_xmp_depth_map_and_photo(tmp_path: pathlib.Path) -> None:
    packet = _xmp('<GDepth:Data>' + "QUJD" * 40000 + '</GDepth:Data><GImage:Data>REVG</GImage:Data>',
                  'xmlns:GDepth="http://ns.google.com/photos/1.0/depthmap/" xmlns:GImage="http://ns.google.com/photos/1.0/image/"')
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    pieces = [packet[i : i + 60000] for i in range(0, len(packet), 60000)]
    assert len(pieces) > 1  # split over several APP1 segments, as cameras do
    segments = [(0xE1, jpeg.XMP_EXT_ID + guid + len(packet).to_bytes(4, "big") + (i * 60000).to_bytes(4, "big") + piece)
                for i, piece in enumerate(pieces)]
    path = _jpeg_with_app(tmp_path, "depth.jpg", *reversed(segments))  # in any order
    found = _found(path)
    assert ("thumbnail", "XMP extension GDepth:Data") in found and ("thumbnail", "XMP extension GImage:Data") in found
    out = tmp_path / "depth-clean.jpg"
    imagefiles.deidentify(path, out)
    assert b"QUJD" not in out.read_bytes()


# ---------------------------------------------------------------------------------------------
# MP4 / MOV boxes anywhere


def _box(name: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body) + 8) + name + body


def _with_moov_children(source: pathlib.Path, extra: bytes, name: str) -> pathlib.Path:
    """The file with boxes appended inside its moov (PyAV writes moov last, so no offset moves)."""
    data = source.read_bytes()
    pos = 0
    while pos < len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"moov":
            assert pos + size == len(data)
            moov = _box(b"moov", data[pos + 8 : pos + size] + extra)
            path = source.with_name(name)
            path.write_bytes(data[:pos] + moov)
            return path
        pos += size
    raise AssertionError("no moov")


def test_mp4_xmp_thmb_and_uuid_boxes(tmp_path: pathlib.Path) -> None:
    xmp = _xmp(f'<dc:creator><rdf:Seq><rdf:li>{C.CANARY_NAME}</rdf:li></rdf:Seq></dc:creator>', 'xmlns:dc="http://purl.org/dc/elements/1.1/"')
    thumb = C.jpeg_clean(tmp_path, "thumb.jpg").read_bytes()
    uuid_xmp = _box(b"uuid", bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC") + xmp.replace(b"dc:creator", b"dc:title"))
    extra = _box(b"udta", _box(b"XMP_", xmp) + _box(b"thmb", thumb)) + _box(b"trak", uuid_xmp)
    path = _with_moov_children(C.mp4_tagged(tmp_path), extra, "boxes.mp4")
    found = _found(path)
    assert ("owner_name", "MP4 user-data XMP dc:creator") in found
    assert ("thumbnail", "MP4 'thmb' box (an embedded picture)") in found
    assert ("comment", "MP4 XMP dc:title") in found  # a uuid box inside a track
    out = tmp_path / "boxes-clean.mp4"
    imagefiles.deidentify(path, out)
    assert C.CANARY_NAME.encode() not in out.read_bytes()


def _reference_movie(tmp_path: pathlib.Path) -> pathlib.Path:
    url = b"file:///Volumes/Clinic/Jane-Canary-Doe/clip.mov\x00"
    rdrf = _box(b"rdrf", b"\x00\x00\x00\x00" + b"url " + struct.pack(">I", len(url)) + url)
    mvhd = _box(b"mvhd", bytes(100))
    moov = _box(b"moov", mvhd + _box(b"rmra", _box(b"rmda", rdrf)) + _box(b"udta", _box(b"\xa9nam", struct.pack(">HH", 5, 0) + b"Title")))
    path = tmp_path / "reference.mov"
    path.write_bytes(_box(b"ftyp", b"qt  \x00\x00\x02\x00qt  ") + moov)
    return path


def test_reference_movie_is_read_not_refused(tmp_path: pathlib.Path) -> None:
    path = _reference_movie(tmp_path)
    r = imagefiles.inspect(path)
    assert r.format == "MOV"
    assert ("other", "MOV reference movie (points to other movie files)") in [(f.kind, f.where) for f in r.found]
    assert ("comment", "MOV reference movie address") in [(f.kind, f.where) for f in r.found]
    with pytest.raises(CheckerError, match="no video or audio track to keep .*reference movie|holds no video or audio data"):
        imagefiles.deidentify(path, tmp_path / "out.mov")
    assert not (tmp_path / "out.mov").exists()


# ---------------------------------------------------------------------------------------------
# MP4 family: any of its names; 3GP rewritten


@pytest.mark.parametrize("suffix", [".m4a", ".m4b", ".mp4", ".mov", ".3gp"])
def test_m4a_accepts_its_family_names(tmp_path: pathlib.Path, suffix: str) -> None:
    source = C.m4a_tagged(tmp_path)
    out = tmp_path / f"clean{suffix}"
    result = imagefiles.deidentify(source, out)
    assert result.format == "M4A" and imagefiles.inspect(out).found == []


def test_still_images_keep_their_names(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CheckerError, match=r"ends in \.mp4 but the input is JPEG.*use \.jpg\)"):
        imagefiles.deidentify(C.jpeg_full(tmp_path), tmp_path / "x.mp4")
    with pytest.raises(CheckerError, match=r"ends in \.jpg but the input is M4A; .*use \.m4a or another name of its family"):
        imagefiles.deidentify(C.m4a_tagged(tmp_path), tmp_path / "x.jpg")


def _phone_3gp(path: pathlib.Path) -> pathlib.Path:
    """A feature phone's clip: H.263 video and AMR-NB speech, 3GPP brands, place and time."""
    import av

    with av.open(str(path), "w", format="3gp") as container:
        container.metadata.update({"creation_time": "2026-11-20T09:00:00Z", "location": "-33.8688+151.2093/"})
        video = container.add_stream("h263", rate=15)
        video.width, video.height, video.pix_fmt = 176, 144, "yuv420p"
        audio = container.add_stream("libopencore_amrnb", rate=8000, layout="mono")
        for i in range(5):
            for packet in video.encode(av.VideoFrame.from_image(Image.new("RGB", (176, 144), (i * 40, 80, 100)))):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        for i in range(10):
            frame = av.AudioFrame(format="s16", layout="mono", samples=160)
            frame.sample_rate, frame.pts = 8000, i * 160
            frame.planes[0].update(bytes(320))
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    return path


def test_3gp_is_rewritten(tmp_path: pathlib.Path) -> None:
    source = _phone_3gp(tmp_path / "phone.3gp")
    r = imagefiles.inspect(source)
    assert r.format == "3GP" and {"gps", "timestamp"} <= set(r.kinds)
    out = tmp_path / "phone-clean.3gp"
    result = imagefiles.deidentify(source, out)
    assert result.method.startswith("remuxed") and imagefiles.inspect(out).found == []
    assert out.read_bytes()[8:11] == b"3gp", "still a 3GP file"


def test_real_3gp_rewritten_packet_for_packet(tmp_path: pathlib.Path) -> None:
    import av

    source, out = REAL / "sample.3gp", tmp_path / "sample-clean.3gp"
    result = imagefiles.deidentify(source, out)
    assert result.format == "3GP" and result.method.startswith("remuxed")

    def payload(path: pathlib.Path, kind: str) -> bytes:
        with av.open(str(path)) as container:
            stream = next(s for s in container.streams if s.type == kind)
            return b"".join(bytes(p) for p in container.demux(stream) if p.size)

    for kind in ("audio", "video"):
        assert payload(source, kind) == payload(out, kind), kind


def test_amr_samples_split_into_frames() -> None:
    """3GP files store several AMR frames per sample; FFmpeg's 3GP writer takes one per packet
    (a phone's sample.3gp was refused: 'input is not a single packet')."""
    from fractions import Fraction

    import av

    frame = bytes([7 << 3 | 0x04]) + bytes(range(31))  # mode 7 (12.2 kbit/s): 32 bytes
    sid = bytes([8 << 3 | 0x04]) + b"\x01\x02\x03\x04\x05"  # comfort noise: 6 bytes
    packet = av.Packet(frame + frame + sid)
    packet.time_base, packet.pts, packet.dts = Fraction(1, 8000), 800, 800
    pieces = media.amr_frames(packet, "amr_nb")
    assert [bytes(p) for p in pieces] == [frame, frame, sid]
    assert [p.dts for p in pieces] == [800, 960, 1120] and [p.pts for p in pieces] == [800, 960, 1120]
    single = av.Packet(frame)
    single.time_base, single.pts, single.dts = Fraction(1, 8000), 0, 0
    assert media.amr_frames(single, "amr_nb") == [single]


def test_a_muxer_that_refuses_is_followed_by_the_next_of_the_family(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = media._remux_with

    def picky(path, fmt, out_path, muxer):  # type: ignore[no-untyped-def]
        if muxer == "3gp":
            raise media._MuxerRefused("codec not currently supported in container")
        return real(path, fmt, out_path, muxer)

    monkeypatch.setattr(media, "_remux_with", picky)
    result = imagefiles.deidentify(_phone_3gp(tmp_path / "p.3gp"), tmp_path / "p-clean.3gp")
    # MP4's writer takes no AMR speech either, so QuickTime's (same family, every codec) does
    assert "written with the MOV box layout, as the 3GP writer refused these tracks (codec not currently supported" in result.method
    assert imagefiles.inspect(tmp_path / "p-clean.3gp").found == []


# ---------------------------------------------------------------------------------------------
# HEIC without re-encoding


def test_iphone_heic_deidentified_without_reencoding(tmp_path: pathlib.Path) -> None:
    source = REAL / "pug.heic"  # iPhone 13 Pro, 12 MP in 48 tiles, Exif, XMP, depth and gain maps
    out = tmp_path / "pug-clean.heic"
    result = imagefiles.deidentify(source, out)
    assert result.method.startswith("lossless") and "depth map" in result.method and "gain map" in result.method
    assert out.stat().st_size <= source.stat().st_size
    assert imagefiles.inspect(out).found == []
    with Image.open(source) as a, Image.open(out) as b:
        assert a.size == b.size == (4032, 3024)
        assert a.tobytes() == b.tobytes(), "pixels identical: the coded tiles are copied"


def test_heic_vendor_box_found_and_left_out(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "vendor.heic"
    path.write_bytes((REAL / "L_xmp.heif").read_bytes() + _box(b"uuid", b"\x11" * 16 + C.CANARY_SERIAL.encode()))
    assert ("other", "HEIF top-level 'uuid' box") in _found(path)
    out = tmp_path / "vendor-clean.heic"
    result = imagefiles.deidentify(path, out)
    assert result.method.startswith("lossless") and "top-level 'uuid' box" in result.method
    assert C.CANARY_SERIAL.encode() not in out.read_bytes()


def test_heif_strip_refuses_what_it_does_not_know(tmp_path: pathlib.Path) -> None:
    data = (REAL / "pug.heic").read_bytes()
    with pytest.raises(heif.Unsupported, match="top-level box 'moov' \\(an image sequence\\)"):
        heif.strip(data + _box(b"moov", b""))
    with pytest.raises(heif.Unsupported):
        heif.strip(data[:5000])


def test_heif_strip_refuses_overlapping_extents() -> None:
    """A crafted file whose every item points at half the file would make the copy explode."""
    data = (REAL / "pug.heic").read_bytes()
    meta = next(b for b in heif.boxes(data) if b.kind == b"meta")
    children = list(heif.boxes(data, meta.body + 4, meta.end))
    iloc = next(c for c in children if c.kind == b"iloc")
    _version, locations = heif._parse_iloc(data[iloc.body : iloc.end])
    crafted = struct.pack(">IBBH", 1 << 24, 0x44, 0x00, len(locations)) + b"".join(
        struct.pack(">HHHHII", loc.item, 0, 0, 1, 0, len(data) // 2) for loc in locations)
    parts = [data[meta.body : meta.body + 4]] + [
        heif._box(b"iloc", crafted) if c.kind == b"iloc" else data[c.start : c.end] for c in children]
    hostile = data[: meta.start] + heif._box(b"meta", b"".join(parts)) + data[meta.end :]
    with pytest.raises(heif.Unsupported, match="overlap"):
        heif.strip(hostile)


# ---------------------------------------------------------------------------------------------
# de-identified copies: nothing left, for any reader


def test_real_files_deidentified_leave_nothing(tmp_path: pathlib.Path) -> None:
    outputs = []
    for source in R.real_files():
        out = tmp_path / source.name
        try:
            imagefiles.deidentify(source, out)
        except CheckerError as exc:
            # ExifTool's MOV/M4A samples carry metadata but no media data: refused, with the reason
            assert source.name in ("QuickTime.mov", "QuickTime.m4a") and "holds no video or audio data" in str(exc), str(exc)
            continue
        assert imagefiles.inspect(out).found == [], source.name
        if source.suffix.lower() in (".jpg", ".jps", ".png") and source.name != "QuickTime.heic":
            with Image.open(source) as a, Image.open(out) as b:
                assert a.tobytes() == b.tobytes(), source.name
        outputs.append(out)
    assert len(outputs) >= 45
    if HAVE_EXIFTOOL:
        leaks = {name: kinds for name, kinds in R.exiftool_kinds(outputs).items() if kinds}
        assert leaks == {}, leaks


# ---------------------------------------------------------------------------------------------
# ExifTool as a second reader


def test_second_reader_adds_only_new_kinds(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = C.jpeg_thumbnail(tmp_path)  # EXIF Make and a thumbnail, no serial number
    monkeypatch.setenv("CLINIMG_EXIFTOOL", sys_exe := shutil.which("true") or "/bin/true")
    monkeypatch.setattr(exiftool, "version", lambda exe: "99.0")
    monkeypatch.setattr(exiftool, "read", lambda path, exe=None: {
        "SourceFile": path, "Reconyx:SerialNumber": "H500-0042", "IFD0:Make": "Apple", "Reconyx:AmbientTemperature": "12 C"})
    r = imagefiles.inspect(path)
    assert r.readers == ["clinimg", "exiftool 99.0"]
    assert [f.where for f in r.found if f.where.startswith("ExifTool")] == ["ExifTool Reconyx:SerialNumber"]
    assert sys_exe


def test_second_reader_failure_is_said_not_fatal(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIMG_EXIFTOOL", shutil.which("false") or "/bin/false")
    r = imagefiles.inspect(C.jpeg_full(tmp_path))
    assert r.readers[0] == "clinimg" and "did not read it" in r.readers[1]
    assert "gps" in r.kinds


def test_second_reader_off(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIMG_EXIFTOOL", "off")
    assert imagefiles.inspect(C.jpeg_clean(tmp_path)).readers == ["clinimg"]


@pytest.mark.skipif(not HAVE_EXIFTOOL, reason=NO_EXIFTOOL)
def test_real_exiftool_through_the_cli(tmp_path: pathlib.Path) -> None:
    from tests.conftest import run_cli

    env_before = os.environ.get("CLINIMG_EXIFTOOL")
    os.environ["CLINIMG_EXIFTOOL"] = ""
    try:
        result = run_cli("inspect", str(REAL / "Canon.jpg"), "--format", "json")
    finally:
        os.environ["CLINIMG_EXIFTOOL"] = env_before if env_before is not None else "off"
    assert result.code == 1, result.err
    doc = json.loads(result.out)["files"][0]
    assert doc["readers"][0] == "clinimg" and doc["readers"][1].startswith("exiftool ")
    assert "serial_number" in doc["metadata_present"]


def test_exiftool_tag_names_map_to_kinds() -> None:
    kind = exiftool.kind_of
    assert kind("Sony", "InternalSerialNumber", "0dff0000f608") == "serial_number"
    assert kind("Apple", "MediaGroupUUID", "9C1A-…") == "unique_id"
    assert kind("XMP-iptcExt", "ArtworkCreator", "Jane") == "owner_name"
    assert kind("XMP-iptcExt", "ArtworkContentDescription", "a wound") == "comment"
    assert kind("GPS", "GPSLatitude", "33 deg") == "gps" and kind("GPS", "GPSDateStamp", "2026:11:20") == "timestamp"
    assert kind("Canon", "DateStampMode", "Off") is None and kind("Canon", "SerialNumberFormat", "Format 2") is None
    assert kind("IFD1", "ThumbnailImage", "(Binary data 28 bytes, use -b option to extract)") == "thumbnail"
    assert kind("ICC_Profile", "ProfileCopyright", "Apple Inc.") is None
    assert kind("Composite", "GPSPosition", "1, 2") is None
    assert kind("ExifIFD", "ExposureTime", "1/250") is None
    assert kind("IFD0", "Make", "") is None


# ---------------------------------------------------------------------------------------------
# damaged vendor blocks: named, never a crash


def test_a_damaged_vendor_block_is_unreadable_other(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.imagefiles import vendor

    def broken(*args: object) -> None:
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(vendor, "flir", broken)
    found = _found(REAL / "FLIR.jpg")
    assert ("other", "FLIR APP1 (unreadable)") in found and ("serial_number", "FLIR APP1 CameraSerialNumber") not in found


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on damaged EXIF tags
def test_mutated_real_files_give_an_answer_or_one_error(tmp_path: pathlib.Path) -> None:
    """Seeded byte flips in the first 4 KiB (where the segments, maker notes and boxes are)."""
    import random

    rng = random.Random(20261130)
    sources = [p for p in R.real_files() if p.stat().st_size < 200_000]
    for i in range(300):
        source = rng.choice(sources)
        data = bytearray(source.read_bytes())
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(min(len(data), 4096))] = rng.randrange(256)
        path = tmp_path / f"m{i}{source.suffix}"
        path.write_bytes(bytes(data))
        for action in (lambda: imagefiles.inspect(path, values=True), lambda: imagefiles.deidentify(path, tmp_path / f"o{i}{source.suffix}")):
            try:
                action()
            except CheckerError as exc:
                assert "\n" not in str(exc)
