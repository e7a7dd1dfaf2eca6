"""What a file really is, from its first bytes (never from its name)."""
from __future__ import annotations

import dataclasses

from ..errors import CheckerError

HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2", b"heif"}
AVIF_BRANDS = {b"avif", b"avis"}
M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"M4R "}
QT_BRANDS = {b"qt  "}
GP3_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gp8", b"3gp9", b"3gg6", b"3gg9", b"3ge6", b"3ge7", b"3ge9", b"3gs7", b"3gs9", b"3gr6", b"3gr9", b"3gt9", b"3gh9", b"3gm9"}
GP2_BRANDS = {b"3g2a", b"3g2b", b"3g2c", b"KDDI"}
QT_FIRST_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclasses.dataclass(frozen=True)
class Format:
    name: str  # JPEG, PNG, HEIF, MP4, MOV, M4A, 3GP, 3G2
    family: str  # "still" or "media"
    extensions: tuple[str, ...]  # the usual file name endings
    muxer: str = ""  # FFmpeg muxer for a remux

    @property
    def modality(self) -> str:
        return "photo" if self.family == "still" else "video"


JPEG = Format("JPEG", "still", (".jpg", ".jpeg", ".jpe", ".jfif"))
PNG = Format("PNG", "still", (".png",))
HEIF = Format("HEIF", "still", (".heic", ".heif", ".hif"))
MP4 = Format("MP4", "media", (".mp4", ".m4v"), "mp4")
MOV = Format("MOV", "media", (".mov", ".qt"), "mov")
M4A = Format("M4A", "media", (".m4a", ".m4b", ".aac"), "ipod")
GP3 = Format("3GP", "media", (".3gp", ".3g2"), "3gp")
GP2 = Format("3G2", "media", (".3g2", ".3gp"), "3g2")
ALL = (JPEG, PNG, HEIF, MP4, MOV, M4A, GP3, GP2)
# One container family (ISO base media / QuickTime): a file of any of these may carry any of
# their names (an iPhone voice memo is MP4 inside, a phone's .3gp often plain MP4 brands).
MP4_FAMILY = (MP4, MOV, M4A, GP3, GP2)
MP4_FAMILY_EXTENSIONS = {ext for f in MP4_FAMILY for ext in f.extensions} | {".m4b", ".m4p", ".m4r"}
SUPPORTED = "JPEG, PNG, HEIC/HEIF, MP4, MOV, M4A, 3GP"

# Other formats, named in the refusal so the user knows what they have.
_OTHER_MAGIC = [
    (0, b"GIF8", "a GIF image"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (0, b"BM", "a BMP image"),
    (0, b"%PDF", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive or office document"),
    (0, b"ID3", "an MP3 audio file"),
    (0, b"OggS", "an Ogg file"),
    (0, b"fLaC", "a FLAC audio file"),
    (0, b"\x1aE\xdf\xa3", "a Matroska/WebM file"),
    (128, b"DICM", "a DICOM file"),
]


def sniff(head: bytes) -> Format:
    """The format of a file from its first 64+ bytes; CheckerError (without the path) if unsupported."""
    if not head:
        raise CheckerError("empty file")
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[4:8] == b"ftyp":
        box = int.from_bytes(head[0:4], "big")
        major = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, min(max(box, 16), len(head)) - 3, 4)}
        brands = {major} | compatible
        if major in AVIF_BRANDS:
            raise CheckerError(f"an AVIF image is not supported (supported: {SUPPORTED})")
        if major in HEIF_BRANDS or (brands & HEIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42", b"qt  "}):
            return HEIF
        if major in QT_BRANDS:
            return MOV
        if major in M4A_BRANDS:
            return M4A
        if major in GP3_BRANDS or (major[:3] == b"3gp"):
            return GP3
        if major in GP2_BRANDS or major[:3] == b"3g2":
            return GP2
        return MP4
    if head[4:8] in QT_FIRST_ATOMS:
        return MOV
    if head[0:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise CheckerError(f"a WebP image is not supported (supported: {SUPPORTED})")
    if head[0:4] == b"RIFF" and head[8:12] == b"WAVE":
        raise CheckerError(f"a WAV audio file is not supported (supported: {SUPPORTED})")
    for offset, magic, what in _OTHER_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            raise CheckerError(f"{what} is not supported (supported: {SUPPORTED})")
    raise CheckerError(f"not an image, video or audio file clinimg can read (supported: {SUPPORTED})")
