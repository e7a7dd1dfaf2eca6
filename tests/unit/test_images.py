"""Image files: inspect finds what a clinical image really carries, deidentify removes it and keeps
the pixels, and bad files are one clear error. The corpus is made in tmp_path (tests/images_corpus.py)."""
from __future__ import annotations

import hashlib
import json
import os
import pathlib

import pytest
from PIL import Image

from checker import imagefiles
from checker.errors import CheckerError
from checker.imagefiles import facts, jpeg, kinds, stills
from tests import images_corpus as C

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _wheres(result: imagefiles.Inspection, kind: str) -> list[str]:
    return [f.where for f in result.found if f.kind == kind]


def _sha(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _clean_copy(source: pathlib.Path, name: str | None = None) -> tuple[pathlib.Path, imagefiles.Deidentified]:
    out = source.with_name(name or f"deid_{source.name}")
    before = _sha(source)
    result = imagefiles.deidentify(source, out)
    assert _sha(source) == before, "the input is never changed"
    after = imagefiles.inspect(out, values=True)
    assert after.found == [], after.found
    assert after.format == imagefiles.inspect(source).format
    return out, result


# ---------------------------------------------------------------------------------------------
# vocabulary


def test_schema_enums_are_the_kinds() -> None:
    defs = json.loads((ROOT / "schemas" / "defs.schema.json").read_text())
    image = defs["$defs"]["image"]["properties"]
    assert image["metadata_present"]["items"]["enum"] == kinds.ORDER
    assert image["metadata_claimed"]["items"]["enum"] == kinds.ORDER
    assert kinds.ORDER[:3] == ["gps", "timestamp", "device_model"]  # SPEC's three first


# ---------------------------------------------------------------------------------------------
# JPEG


def test_jpeg_exif_gps_date_device_and_more(tmp_path: pathlib.Path) -> None:
    r = imagefiles.inspect(C.jpeg_full(tmp_path))
    assert (r.format, r.modality, r.width, r.height) == ("JPEG", "photo", 96, 64)
    assert r.kinds == ["gps", "timestamp", "device_model", "serial_number", "owner_name", "software", "comment", "unique_id"]
    assert "EXIF GPSInfo GPSLatitude" in _wheres(r, "gps")
    assert {"EXIF DateTime", "EXIF DateTimeOriginal", "EXIF GPSInfo GPSDateStamp"} <= set(_wheres(r, "timestamp"))
    assert {"EXIF Make", "EXIF Model"} <= set(_wheres(r, "device_model"))
    assert _wheres(r, "serial_number") == ["EXIF BodySerialNumber"]
    assert _wheres(r, "owner_name") == ["EXIF Artist"]
    assert set(_wheres(r, "comment")) == {"EXIF UserComment", "JPEG COM comment"}


def test_values_only_when_asked_and_escaped(tmp_path: pathlib.Path) -> None:
    path = C.jpeg_full(tmp_path)
    hidden = imagefiles.inspect(path)
    assert all(f.value is None for f in hidden.found)
    for canary in C.CANARIES:
        assert canary not in json.dumps(hidden.as_dict())
    shown = imagefiles.inspect(path, values=True)
    assert {"kind": "owner_name", "where": "EXIF Artist", "value": C.CANARY_NAME} in shown.as_dict()["found"]
    # a terminal escape in a tag is shown escaped, never raw
    exif = C.full_exif()
    exif[0x013B] = "Dr \x1b[2J\x07evil"
    hostile = tmp_path / "hostile.jpg"
    C.picture().save(hostile, "JPEG", exif=exif)
    [artist] = [f for f in imagefiles.inspect(hostile, values=True).found if f.where == "EXIF Artist"]
    assert "\x1b" not in artist.value and "\x07" not in artist.value
    assert "\\x1b[2J" in artist.value and "\\x07" in artist.value


def test_jpeg_deidentify_is_lossless_and_keeps_orientation(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_full(tmp_path)
    out, result = _clean_copy(source)
    assert result.removed == imagefiles.inspect(source).kinds
    assert result.method.startswith("lossless")
    with Image.open(source) as a, Image.open(out) as b:
        assert a.tobytes() == b.tobytes(), "decoded pixels identical"
        assert dict(b.getexif()) == {0x0112: 6}, "only the orientation is left"
    src, dst = source.read_bytes(), out.read_bytes()
    scans_in = [src[s:e] for s, e in jpeg.parse(src).scans]
    scans_out = [dst[s:e] for s, e in jpeg.parse(dst).scans]
    assert scans_in == scans_out, "the compressed image data is copied byte for byte"
    assert C.CANARY_NAME.encode() not in dst and C.CANARY_SERIAL.encode() not in dst


def test_progressive_jpeg_lossless(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_full(tmp_path, "progressive.jpg", progressive=True)
    assert len(jpeg.parse(source.read_bytes()).scans) > 1
    out, _ = _clean_copy(source)
    with Image.open(source) as a, Image.open(out) as b:
        assert a.tobytes() == b.tobytes()


def test_exif_thumbnail_found_and_removed(tmp_path: pathlib.Path) -> None:
    import pyexiv2

    source = C.jpeg_thumbnail(tmp_path)
    r = imagefiles.inspect(source)
    assert _wheres(r, "thumbnail") == ["EXIF IFD1 thumbnail"]
    out, _ = _clean_copy(source)
    with pyexiv2.Image(str(out)) as meta:  # an independent reader (exiv2)
        assert meta.read_exif() == {} and meta.read_xmp() == {} and meta.read_iptc() == {}


def test_mpf_preview_found_and_removed(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_mpo(tmp_path)
    r = imagefiles.inspect(source)
    assert r.kinds == ["thumbnail"]
    assert any("MPF" in w for w in _wheres(r, "thumbnail"))
    out, _ = _clean_copy(source)
    layout = jpeg.parse(out.read_bytes())
    assert layout.trailing == 0
    with Image.open(out) as im:
        assert im.format == "JPEG" and getattr(im, "n_frames", 1) == 1


def test_xmp_and_iptc(tmp_path: pathlib.Path) -> None:
    import pyexiv2

    source = C.jpeg_xmp_iptc(tmp_path)
    r = imagefiles.inspect(source)
    assert {"XMP photoshop:City", "XMP exif:GPSLatitude", "IPTC 2:90 City"} <= set(_wheres(r, "gps"))
    assert {"XMP dc:creator", "IPTC 2:80 By-line"} <= set(_wheres(r, "owner_name"))
    assert "XMP xmpMM:DocumentID" in _wheres(r, "unique_id")
    assert "IPTC 2:120 Caption-Abstract" in _wheres(r, "comment")
    assert "XMP xmp:CreateDate" in _wheres(r, "timestamp")
    out, _ = _clean_copy(source)
    with pyexiv2.Image(str(out)) as meta:
        assert meta.read_exif() == {} and meta.read_xmp() == {} and meta.read_iptc() == {} and not meta.read_comment()


def test_appended_video_found_and_removed(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_motion_photo(tmp_path)
    r = imagefiles.inspect(source)
    assert any("appended video" in w for w in _wheres(r, "thumbnail"))
    out, _ = _clean_copy(source)
    assert jpeg.parse(out.read_bytes()).trailing == 0
    assert out.stat().st_size <= (tmp_path / "motion_base.jpg").stat().st_size


def test_hostile_xmp_is_not_expanded(tmp_path: pathlib.Path) -> None:
    from checker.imagefiles import classify
    from checker.imagefiles.found import Collector

    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    c = Collector()
    classify.xmp(c, bomb)
    assert [(f.kind, f.where) for f in c.items] == [("other", "XMP (unreadable packet)")]


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_unreadable_exif_block_is_other(tmp_path: pathlib.Path) -> None:
    from checker.imagefiles import classify
    from checker.imagefiles.found import Collector

    c = Collector()
    classify.exif(c, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    assert [f.kind for f in c.items] == ["other"]


# ---------------------------------------------------------------------------------------------
# PNG, HEIC


def test_png_text_chunks_exif_and_time(tmp_path: pathlib.Path) -> None:
    source = C.png_text(tmp_path)
    r = imagefiles.inspect(source)
    assert r.kinds == ["gps", "timestamp", "device_model", "owner_name", "software", "comment"]
    assert {"PNG tEXt 'Author'", } == set(_wheres(r, "owner_name"))
    assert {"PNG zTXt 'Description'", "PNG iTXt 'Comment'"} == set(_wheres(r, "comment"))
    assert {"PNG tEXt 'Creation Time'", "PNG tIME chunk"} == set(_wheres(r, "timestamp"))
    assert _wheres(r, "gps") == ["PNG eXIf EXIF GPSInfo GPSLatitude"]
    out, result = _clean_copy(source)
    assert "losslessly" in result.method
    with Image.open(source) as a, Image.open(out) as b:
        assert a.mode == b.mode and a.tobytes() == b.tobytes()
        assert not getattr(b, "text", {})


def test_heic_exif_xmp_thumbnail(tmp_path: pathlib.Path) -> None:
    source = C.heic(tmp_path)
    r = imagefiles.inspect(source)
    assert r.format == "HEIF" and r.modality == "photo"
    assert {"gps", "timestamp", "device_model", "serial_number", "owner_name", "thumbnail", "software"} <= set(r.kinds)
    assert "HEIF XMP xmp:CreateDate" in _wheres(r, "timestamp")
    assert "HEIF thumbnail image(s)" in _wheres(r, "thumbnail")
    out, result = _clean_copy(source)
    assert result.method.startswith("lossless"), result.method
    assert "Exif block" in result.method and "XMP packet" in result.method and "thumbnail" in result.method
    with Image.open(source) as a, Image.open(out) as b:
        assert a.size == b.size and a.tobytes() == b.tobytes(), "the coded image is copied, not re-encoded"
    assert out.stat().st_size < source.stat().st_size
    data = out.read_bytes()
    assert C.CANARY_NAME.encode() not in data and C.CANARY_SERIAL.encode() not in data and b"CreatorTool" not in data


def test_heic_fallback_reencodes_within_size_bound(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.imagefiles import heif

    def unsupported(data: bytes) -> tuple[bytes, list[str]]:
        raise heif.Unsupported("an image sequence")

    monkeypatch.setattr(heif, "strip", unsupported)
    source = C.heic(tmp_path)
    out, result = _clean_copy(source)
    assert result.method.startswith("re-encoded") and "an image sequence" in result.method
    assert out.stat().st_size <= stills.HEIF_SIZE_FACTOR * source.stat().st_size
    with Image.open(source) as a, Image.open(out) as b:
        assert a.size == b.size


# ---------------------------------------------------------------------------------------------
# MP4 / MOV / M4A


def _packets(path: pathlib.Path) -> list[tuple[str, bytes]]:
    import av

    with av.open(str(path)) as container:
        streams = [s for s in container.streams if s.type in ("video", "audio") and not (s.disposition & av.stream.Disposition.attached_pic)]
        return [(p.stream.type, bytes(p)) for p in container.demux(*streams) if p.size]


@pytest.mark.parametrize("make, fmt, modality, expected", [
    (C.mp4_tagged, "MP4", "video", {"gps", "timestamp", "device_model", "owner_name", "software"}),
    (C.mov_tagged, "MOV", "video", {"gps", "timestamp", "device_model", "software"}),
    (C.m4a_tagged, "M4A", "audio", {"gps", "timestamp", "owner_name", "thumbnail", "software", "comment"}),
])
def test_media_found_and_remuxed(tmp_path: pathlib.Path, make, fmt: str, modality: str, expected: set[str]) -> None:
    source = make(tmp_path)
    r = imagefiles.inspect(source)
    assert (r.format, r.modality) == (fmt, modality)
    assert set(r.kinds) == expected, r.found
    out, result = _clean_copy(source)
    assert result.method.startswith("remuxed")
    assert _packets(source) == _packets(out), "video and audio copied packet for packet"
    assert imagefiles.inspect(out).modality == modality


def test_mp4_apple_keys_named(tmp_path: pathlib.Path) -> None:
    r = imagefiles.inspect(C.mp4_tagged(tmp_path))
    assert "MP4 metadata 'com.apple.quicktime.location.ISO6709'" in _wheres(r, "gps")
    assert "MP4 metadata 'com.apple.quicktime.author'" in _wheres(r, "owner_name")
    m4a = imagefiles.inspect(C.m4a_tagged(tmp_path))
    assert "M4A ilst '\xa9xyz'" in _wheres(m4a, "gps") and "M4A ilst 'covr'" in _wheres(m4a, "thumbnail")


# ---------------------------------------------------------------------------------------------
# by content, not by name


def test_format_by_content_not_extension(tmp_path: pathlib.Path) -> None:
    disguised = tmp_path / "photo.png"
    disguised.write_bytes(C.jpeg_full(tmp_path).read_bytes())
    r = imagefiles.inspect(disguised)
    assert r.format == "JPEG" and "gps" in r.kinds
    with pytest.raises(CheckerError, match=r"ends in \.png but the input is JPEG"):
        imagefiles.deidentify(disguised, tmp_path / "clean.png")
    out, _ = _clean_copy(disguised, "clean.jpg")
    assert out.exists()


# ---------------------------------------------------------------------------------------------
# deidentify: never the input, never over a file, never a copy that still identifies


def test_deidentify_refuses_existing_output_unless_forced(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_full(tmp_path)
    out = tmp_path / "out.jpg"
    out.write_bytes(b"keep me")
    with pytest.raises(CheckerError, match="already exists"):
        imagefiles.deidentify(source, out)
    assert out.read_bytes() == b"keep me"
    imagefiles.deidentify(source, out, force=True)
    assert imagefiles.inspect(out).found == []
    with pytest.raises(CheckerError, match="is the input file"):
        imagefiles.deidentify(source, source, force=True)
    assert imagefiles.inspect(source).found


def test_deidentify_removes_a_copy_that_still_identifies(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = C.jpeg_full(tmp_path)
    monkeypatch.setattr(stills, "strip_jpeg", lambda path, out, orientation: out.write(path.read_bytes()) and "broken")
    out = tmp_path / "out.jpg"
    with pytest.raises(CheckerError, match="still present after de-identification.*gps") as info:
        imagefiles.deidentify(source, out)
    assert C.CANARY_NAME not in str(info.value)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.jpg"], "no temporary file left behind"


# ---------------------------------------------------------------------------------------------
# bad input: one clear error, never a crash


@pytest.mark.parametrize("make, fraction, message", [
    (C.jpeg_full, 0.5, "truncated JPEG"),
    (C.png_text, 0.6, "truncated"),
    (C.heic, 0.5, "HEIF"),
    (C.mp4_tagged, 0.5, "MP4"),
    (C.m4a_tagged, 0.97, "M4A"),
])
def test_truncated_files(tmp_path: pathlib.Path, make, fraction: float, message: str) -> None:
    cut = C.truncated(make(tmp_path), fraction)
    with pytest.raises(CheckerError, match=message) as info:
        imagefiles.inspect(cut)
    assert str(cut) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(CheckerError):
        imagefiles.deidentify(cut, tmp_path / ("out" + cut.suffix))
    assert not (tmp_path / ("out" + cut.suffix)).exists()


def test_corrupt_jpeg(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "corrupt.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x01garbage")
    with pytest.raises(CheckerError, match="corrupt JPEG"):
        imagefiles.inspect(path)


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"%PDF-1.7\n", "a PDF document is not supported"),
    (b"hello, not an image\n", "not an image, video or audio file"),
    (b"GIF89a" + bytes(20), "a GIF image is not supported"),
])
def test_not_an_image(tmp_path: pathlib.Path, content: bytes, message: str) -> None:
    path = tmp_path / "file.jpg"
    path.write_bytes(content)
    with pytest.raises(CheckerError, match=message):
        imagefiles.inspect(path)


def test_unreadable_paths(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CheckerError, match="cannot read"):
        imagefiles.inspect(tmp_path / "missing.jpg")
    with pytest.raises(CheckerError, match="is a directory"):
        imagefiles.inspect(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CheckerError, match="cannot read"):
        imagefiles.inspect(blocker / "below.jpg")
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(CheckerError, match="not a regular file"):
        imagefiles.inspect(fifo)


@pytest.mark.parametrize("make", [C.png_bomb, C.jpeg_bomb])
def test_decompression_bomb_refused(tmp_path: pathlib.Path, make) -> None:
    path = make(tmp_path)
    with pytest.raises(CheckerError, match="megapixel limit"):
        imagefiles.inspect(path)
    with pytest.raises(CheckerError, match="megapixel limit"):
        imagefiles.deidentify(path, tmp_path / ("out" + path.suffix))


# ---------------------------------------------------------------------------------------------
# into decisions


def test_attach_fills_present_and_keeps_claim(tmp_path: pathlib.Path) -> None:
    path = C.jpeg_full(tmp_path)
    request = {"type": "capture", "image": {"id": "img-1", "metadata_present": ["timestamp"]}}
    out = facts.attach(request, image_file=str(path))
    assert out["image"]["metadata_claimed"] == ["timestamp"]
    assert out["image"]["metadata_present"] == imagefiles.inspect(path).kinds
    assert request["image"] == {"id": "img-1", "metadata_present": ["timestamp"]}, "the input document is not changed"


def test_attach_relative_image_file_and_no_claim(tmp_path: pathlib.Path) -> None:
    C.jpeg_clean(tmp_path)
    request = {"type": "capture", "image": {"id": "img-1", "file": "clean.jpg"}}
    out = facts.attach(request, base_dir=tmp_path)
    assert out["image"]["metadata_present"] == [] and "metadata_claimed" not in out["image"]
    uri = {"type": "capture", "image": {"id": "img-1", "file": (tmp_path / "clean.jpg").as_uri()}}
    assert facts.attach(uri)["image"]["metadata_present"] == []


def test_attach_refuses_remote_and_missing_image(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CheckerError, match="only local files"):
        facts.attach({"type": "capture", "image": {"id": "i", "file": "https://example.org/a.jpg"}})
    with pytest.raises(CheckerError, match="no image object"):
        facts.attach({"type": "consent"}, image_file=str(C.jpeg_clean(tmp_path)))
    assert facts.attach({"type": "consent"}) == {"type": "consent"}
