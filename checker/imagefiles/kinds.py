"""The vocabulary of identifying metadata (SPEC `image.metadata_present`, extended) and the tables
that map each container's tags onto it.

The tables only name tags; the parsing is done by the libraries (Pillow for EXIF, IPTC and PNG
chunks, defusedxml for XMP, PyAV/FFmpeg and mutagen for MP4/MOV/M4A).
"""
from __future__ import annotations

import re

# kind -> what it means, in plain words (shown by `clinimg inspect`).
KINDS: dict[str, str] = {
    "gps": "place of capture (GPS coordinates or place names)",
    "timestamp": "date/time of capture, editing or digitising",
    "device_model": "the device or lens that took it (make, model, computer name)",
    "serial_number": "serial number of the camera body or lens",
    "owner_name": "names of people (owner, artist, author, copyright holder, people tagged)",
    "thumbnail": "embedded images (thumbnails, previews, depth or gain maps) that keep the original picture",
    "software": "software, app or firmware that made or edited it",
    "comment": "free text (descriptions, titles, comments, keywords)",
    "unique_id": "unique identifiers that link it to other files (image, document or content ids)",
    "other": "other metadata clinimg does not classify (vendor maker notes, unknown tags or segments)",
}
# The three of SPEC first, then the extensions in a fixed order.
ORDER = list(KINDS)


def sort_kinds(kinds: set[str] | list[str]) -> list[str]:
    return sorted(set(kinds), key=ORDER.index)


# ----------------------------------------------------------------------------------------------
# By name: what a tag, property or key called NAME holds, for names no table below lists (XMP in
# any namespace, vendor text records, ExifTool's tag names). The tables are tried first.
# Ordered: the first rule whose pattern matches the tag name (without its group) wins.
NAME_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("thumbnail", re.compile(r"(Thumbnail|Preview)(Image|TIFF|PNG|JXL|Video)$|^JpgFromRaw$|^OtherImage$|CoverArt$|^Picture$"
                             r"|^(Depth|Confidence|GainMap|Matte|Portrait|Embedded|Extra)\w*Image$|^ImageData$|^DepthMap\w*$"
                             r"|^EmbeddedVideo\w*$|^MotionPhotoVideo$|^RawThermalImage$|^EmbeddedImage$|^(Main|Thumb)Image$|ScreenNail$")),
    ("serial_number", re.compile(r"Serial(Number|No)?(?!Format)\w*$|SerialNumber$")),
    ("unique_id", re.compile(r"UUID|UniqueID|ImageUID|DocumentID$|InstanceID$|ContentIdentifier$|PhotoIdentifier$"
                             r"|ImageCaptureRe(q|qu)estID$|^Identifier$|Identifier$|TransmissionReference$|^ImageNumber$"
                             r"|BurstID$|MediaGroupID$|^CameraID$|^OwnerID$|^DeviceID$")),
    ("gps", re.compile(r"^GPS(?!VersionID$|DateStamp$|TimeStamp$|DateTime$)|^(City|CityName|Country|CountryCode|CountryName"
                       r"|Country-PrimaryLocation(Name|Code)|Province-State|ProvinceState|State|Sub-location|Sublocation"
                       r"|Location|LocationName|LocationInformation|GPSCoordinates|LocationBody|LocationNote|LocationRole"
                       r"|LocationAccuracyHorizontal)$|^Location(Created|Shown)\w*$|(City|Country|Sublocation|ProvinceState)$")),
    ("timestamp", re.compile(r"Date|TimeCreated|TimeStamp|CreationTime|ModifyTime|ModificationTime|TimeOriginal|TimeDigitized"
                             r"|^SubSecTime|^OffsetTime|^WorldTime|^TimeZone\w*|^When$|HistoryWhen$|^Year$|^LocalTime$|^UTCTime$")),
    ("owner_name", re.compile(r"(Artist|Author|Creator|By-line|OwnerName|Owner|Copyright|CopyrightNotice|Rights|RightsHolder"
                              r"|Credit|Photographer|ImageEditor|PersonInImage\w*|RegionName|Contact|CaptionWriter|Writer-Editor"
                              r"|Contributor|Publisher|AuthorsPosition|Director|Producer|Composer|AlbumArtist|Performer"
                              r"|CreatorContactInfo\w*|Usage\w*Owner|Licensor\w*|CopyrightOwner\w*|ImageCreator\w*|Person\w*Name)$")),
    ("software", re.compile(r"(Software|SoftwareVersion|SoftwareAgent|CreatorTool|Firmware|FirmwareVersion|FirmwareRevision"
                            r"|FirmwareID|Encoder|EncodedBy|EncodingTool|OriginatingProgram|ProgramVersion|AndroidVersion"
                            r"|CameraFirmware|ProcessingSoftware|HistorySoftwareAgent)$")),
    ("device_model", re.compile(r"^(Make|Model|CameraModelName|CameraModel|CameraMake|UniqueCameraModel|LocalizedCameraModel"
                                r"|LensMake|LensModel|Lens|LensID|LensType|HostComputer|CameraType|DeviceManufacturer"
                                r"|DeviceModel|DeviceModelDesc|DeviceMake|ProductName|AndroidManufacturer|AndroidModel"
                                r"|ModelName|Manufacturer|CameraIdentifier|LensModelName|CameraName|\w*ModelID)$")),
    ("comment", re.compile(r"^(Comment|UserComment|ImageDescription|Description|Caption-Abstract|Caption|Title|Headline"
                           r"|Keywords|Subject|ObjectName|XPTitle|XPComment|XPKeywords|XPSubject|SpecialInstructions"
                           r"|Instructions|Label|Notes|DisplayName|Album|Information|Genre|Lyrics|Event|PreservedFileName"
                           r"|OriginalFileName|RawFileName|DocumentName|Synopsis|Grouping|Category|SupplementalCategories)$"
                           r"|(Description|Title|Comment|Caption|Keywords|Headline)$")),
]
# Names that match a rule above but are settings, not identifying data.
NOT_IDENTIFYING_NAMES = re.compile(r"^(HandlerDescription|SampleGroupDescription|DateStampMode|DateDisplayFormat|DateTimeStamp|TimeZoneCity|SerialNumberFormat"
                              r"|GPSVersionID|LensInfo|CopyrightFlag|DateFormat|TimeStampMode|ExifVersion)$")




def kind_by_name(name: str, text: str = "x", binary: bool = False) -> str | None:
    """The kind a tag name implies (e.g. '…SerialNumber' → serial_number, 'ArtworkCreator' →
    owner_name), or None for settings and layout. `text` is the value as text (a date-named
    setting without a digit is not a time); `binary` says the value is data, not text (only then
    is an '…Image' name an embedded picture)."""
    name = name[:1].upper() + name[1:]  # XMP's lowerCamel ('creator') as ExifTool spells it
    if NOT_IDENTIFYING_NAMES.match(name):
        return None
    for kind, pattern in NAME_RULES:
        if pattern.search(name):
            if kind == "timestamp" and not re.search(r"\d", text):
                return None  # a date-named setting ("Off", "Y/M/D"), not a time
            if kind == "thumbnail" and not binary:
                return None
            return kind
    return None


# ----------------------------------------------------------------------------------------------
# EXIF (TIFF tag numbers). IFD0 / IFD1 tags:
EXIF_IFD0: dict[int, str] = {
    0x010D: "comment",  # DocumentName
    0x010E: "comment",  # ImageDescription
    0x010F: "device_model",  # Make
    0x0110: "device_model",  # Model
    0x0131: "software",  # Software
    0x0132: "timestamp",  # DateTime
    0x013B: "owner_name",  # Artist
    0x013C: "device_model",  # HostComputer
    0x02BC: "other",  # XMP packet inside TIFF (classified separately when parseable)
    0x83BB: "other",  # IPTC-NAA
    0x8298: "owner_name",  # Copyright
    0x9C9B: "comment",  # XPTitle
    0x9C9C: "comment",  # XPComment
    0x9C9D: "owner_name",  # XPAuthor
    0x9C9E: "comment",  # XPKeywords
    0x9C9F: "comment",  # XPSubject
    0xC614: "device_model",  # UniqueCameraModel (DNG)
    0xC615: "device_model",  # LocalizedCameraModel (DNG)
    0xC62F: "serial_number",  # CameraSerialNumber (DNG)
    0xA420: "unique_id",  # ImageUniqueID (sometimes in IFD0)
}
# Exif sub-IFD tags:
EXIF_SUB: dict[int, str] = {
    0x9003: "timestamp",  # DateTimeOriginal
    0x9004: "timestamp",  # DateTimeDigitized
    0x9010: "timestamp",  # OffsetTime
    0x9011: "timestamp",  # OffsetTimeOriginal
    0x9012: "timestamp",  # OffsetTimeDigitized
    0x9290: "timestamp",  # SubSecTime
    0x9291: "timestamp",  # SubSecTimeOriginal
    0x9292: "timestamp",  # SubSecTimeDigitized
    0x9286: "comment",  # UserComment
    0x927C: "other",  # MakerNote (vendor data: often serial numbers, owner, times, ids)
    0xA420: "unique_id",  # ImageUniqueID
    0xA430: "owner_name",  # CameraOwnerName
    0xA431: "serial_number",  # BodySerialNumber
    0xA433: "device_model",  # LensMake
    0xA434: "device_model",  # LensModel
    0xA435: "serial_number",  # LensSerialNumber
    0xA436: "comment",  # ImageTitle
    0xA437: "owner_name",  # Photographer
    0xA438: "owner_name",  # ImageEditor
    0xA439: "software",  # CameraFirmware
    0xA43A: "software",  # RAWDevelopingSoftware
    0xA43B: "software",  # ImageEditingSoftware
    0xA43C: "software",  # MetadataEditingSoftware
}
GPS_TIME_TAGS = {0x0007, 0x001D}  # GPSTimeStamp, GPSDateStamp
GPS_VERSION_TAG = 0x0000
ORIENTATION_TAG = 0x0112
# IFD1 tags that mean "a thumbnail image is embedded".
THUMBNAIL_TAGS = {0x0201, 0x0111}  # JPEGInterchangeFormat, StripOffsets

# ----------------------------------------------------------------------------------------------
# XMP: (namespace URI, local name) -> kind. Names in these namespaces not listed are camera
# settings and layout (exposure, resolution, orientation ...) and not identifying.
NS_EXIF = "http://ns.adobe.com/exif/1.0/"
NS_EXIFEX = "http://cipa.jp/exif/1.0/"
NS_TIFF = "http://ns.adobe.com/tiff/1.0/"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
NS_XMPMM = "http://ns.adobe.com/xap/1.0/mm/"
NS_STEVT = "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
NS_STREF = "http://ns.adobe.com/xap/1.0/sType/ResourceRef#"
NS_XMPGIMG = "http://ns.adobe.com/xap/1.0/g/img/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_PS = "http://ns.adobe.com/photoshop/1.0/"
NS_IPTC_CORE = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
NS_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
NS_AUX = "http://ns.adobe.com/exif/1.0/aux/"
NS_MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
NS_XMPRIGHTS = "http://ns.adobe.com/xap/1.0/rights/"
NS_GIMAGE = "http://ns.google.com/photos/1.0/image/"
NS_GDEPTH = "http://ns.google.com/photos/1.0/depthmap/"
NS_GCAMERA = "http://ns.google.com/photos/1.0/camera/"
NS_PDF = "http://ns.adobe.com/pdf/1.3/"
NS_CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_X = "adobe:ns:meta/"

XMP_NAMES: dict[str, dict[str, str]] = {
    NS_EXIF: {
        "GPSTimeStamp": "timestamp", "DateTimeOriginal": "timestamp", "DateTimeDigitized": "timestamp",
        "UserComment": "comment", "ImageUniqueID": "unique_id", "MakerNote": "other",
        "CameraOwnerName": "owner_name", "BodySerialNumber": "serial_number", "LensSerialNumber": "serial_number",
        "LensMake": "device_model", "LensModel": "device_model",
    },
    NS_EXIFEX: {
        "BodySerialNumber": "serial_number", "LensSerialNumber": "serial_number", "CameraOwnerName": "owner_name",
        "LensMake": "device_model", "LensModel": "device_model", "Photographer": "owner_name", "ImageEditor": "owner_name",
        "ImageTitle": "comment", "CameraFirmware": "software", "ImageUniqueID": "unique_id",
    },
    NS_TIFF: {
        "Make": "device_model", "Model": "device_model", "DateTime": "timestamp", "Artist": "owner_name",
        "Copyright": "owner_name", "Software": "software", "ImageDescription": "comment", "HostComputer": "device_model",
    },
    NS_XMP: {
        "CreateDate": "timestamp", "ModifyDate": "timestamp", "MetadataDate": "timestamp", "CreatorTool": "software",
        "Thumbnails": "thumbnail", "Nickname": "comment", "Identifier": "unique_id", "Author": "owner_name",
        "Description": "comment", "Title": "comment",
    },
    NS_XMPGIMG: {"image": "thumbnail"},
    NS_XMPMM: {
        "DocumentID": "unique_id", "InstanceID": "unique_id", "OriginalDocumentID": "unique_id",
        "PreservedFileName": "comment",
    },
    NS_STEVT: {"when": "timestamp", "softwareAgent": "software", "instanceID": "unique_id"},
    NS_STREF: {"documentID": "unique_id", "instanceID": "unique_id", "originalDocumentID": "unique_id"},
    NS_DC: {
        "creator": "owner_name", "rights": "owner_name", "contributor": "owner_name", "publisher": "owner_name",
        "description": "comment", "title": "comment", "subject": "comment", "date": "timestamp", "identifier": "unique_id",
        "source": "comment", "relation": "comment", "coverage": "gps",
    },
    NS_PS: {
        "DateCreated": "timestamp", "City": "gps", "State": "gps", "Country": "gps", "AuthorsPosition": "owner_name",
        "CaptionWriter": "owner_name", "Credit": "owner_name", "Source": "comment", "Headline": "comment",
        "Instructions": "comment", "TransmissionReference": "unique_id", "Category": "comment",
        "SupplementalCategories": "comment",
    },
    NS_IPTC_CORE: {
        "Location": "gps", "CountryCode": "gps", "CreatorContactInfo": "owner_name", "IntellectualGenre": "comment",
        "Scene": "comment", "SubjectCode": "comment",
    },
    NS_IPTC_EXT: {
        "PersonInImage": "owner_name", "PersonInImageWDetails": "owner_name", "LocationCreated": "gps",
        "LocationShown": "gps", "City": "gps", "Sublocation": "gps", "ProvinceState": "gps", "CountryName": "gps",
        "GPSLatitude": "gps", "GPSLongitude": "gps", "DigitalSourceFileType": "comment", "Event": "comment",
    },
    NS_AUX: {
        "SerialNumber": "serial_number", "LensSerialNumber": "serial_number", "OwnerName": "owner_name",
        "Lens": "device_model", "LensID": "device_model", "Firmware": "software", "ImageNumber": "unique_id",
    },
    NS_MWG_RS: {"Name": "owner_name", "Description": "comment"},
    NS_XMPRIGHTS: {"Owner": "owner_name", "UsageTerms": "comment", "WebStatement": "comment"},
    NS_GIMAGE: {"Data": "thumbnail"},
    NS_GDEPTH: {"Data": "thumbnail", "Confidence": "thumbnail"},
    NS_GCAMERA: {"MicroVideo": "other", "MotionPhoto": "other", "MicroVideoOffset": "other", "MotionPhotoPresentationTimestampUs": "other"},
}
# GPS* names in the exif namespace are all place of capture (GPSTimeStamp above is a time).
XMP_GPS_PREFIX_NS = {NS_EXIF, NS_EXIFEX}
# Namespaces whose other names are settings or structure, not identifying.
# IPTC's schemas are about people, places, artwork and rights: a name of theirs no rule knows is
# 'other', never nothing.
XMP_BENIGN_NS = (set(XMP_NAMES) - {NS_IPTC_CORE, NS_IPTC_EXT}) | {
    NS_RDF, NS_X, "http://ns.adobe.com/camera-raw-settings/1.0/", "http://ns.adobe.com/hdr-gain-map/1.0/",
    "http://ns.adobe.com/xap/1.0/sType/Dimensions#", "http://ns.adobe.com/xap/1.0/sType/Area#",
    "http://www.w3.org/XML/1998/namespace", "http://ns.apple.com/HDRGainMap/1.0/", "http://ns.apple.com/pixeldatainfo/1.0/",
    "http://ns.google.com/photos/1.0/container/", "http://ns.google.com/photos/1.0/container/item/",
}
# Google container items describe appended images/videos (found separately as trailing data).

# ----------------------------------------------------------------------------------------------
# IPTC IIM (record 2) dataset numbers, via Pillow's IptcImagePlugin.
IPTC: dict[int, str] = {
    5: "comment",  # ObjectName
    15: "comment", 20: "comment", 25: "comment",  # Category, SupplementalCategory, Keywords
    40: "comment",  # SpecialInstructions
    55: "timestamp", 60: "timestamp", 62: "timestamp", 63: "timestamp",  # Date/Time created, digitised
    65: "software", 70: "software",  # OriginatingProgram, ProgramVersion
    80: "owner_name", 85: "owner_name",  # By-line, By-lineTitle
    90: "gps", 92: "gps", 95: "gps", 100: "gps", 101: "gps",  # City, Sublocation, State, Country code, Country
    103: "unique_id",  # OriginalTransmissionReference
    105: "comment",  # Headline
    110: "owner_name", 115: "owner_name", 116: "owner_name",  # Credit, Source, CopyrightNotice
    118: "owner_name",  # Contact
    120: "comment",  # Caption/Abstract
    122: "owner_name",  # Writer/Editor
}
IPTC_NAMES: dict[int, str] = {
    5: "ObjectName", 15: "Category", 20: "SupplementalCategory", 25: "Keywords", 40: "SpecialInstructions",
    55: "DateCreated", 60: "TimeCreated", 62: "DigitalCreationDate", 63: "DigitalCreationTime",
    65: "OriginatingProgram", 70: "ProgramVersion", 80: "By-line", 85: "By-lineTitle", 90: "City",
    92: "Sub-location", 95: "Province-State", 100: "Country-PrimaryLocationCode", 101: "Country-PrimaryLocationName",
    103: "OriginalTransmissionReference", 105: "Headline", 110: "Credit", 115: "Source", 116: "CopyrightNotice",
    118: "Contact", 120: "Caption-Abstract", 122: "Writer-Editor",
}
PHOTOSHOP_THUMBNAILS = {0x0409, 0x040C}  # Photoshop image resources holding a thumbnail

# ----------------------------------------------------------------------------------------------
# PNG text keywords (lower case) and chunks.
PNG_TEXT: dict[str, str] = {
    "title": "comment", "author": "owner_name", "description": "comment", "copyright": "owner_name",
    "creation time": "timestamp", "software": "software", "disclaimer": "comment", "warning": "comment",
    "source": "device_model", "comment": "comment", "date:create": "timestamp", "date:modify": "timestamp",
    "date:timestamp": "timestamp", "label": "comment", "caption": "comment", "artist": "owner_name",
    "make": "device_model", "model": "device_model", "url": "comment",
}
PNG_BENIGN_TEXT = {"icc", "raw profile type icc", "raw profile type icm", "signature"}
PNG_BENIGN_CHUNKS = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"bKGD", b"hIST",
    b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCV", b"cLLI", b"mDCv", b"cLLi", b"oFFs", b"sCAL", b"pCAL",
}
PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}

# ----------------------------------------------------------------------------------------------
# MP4 / MOV / M4A metadata keys as FFmpeg names them (lower case, language suffix removed).
MEDIA_KEYS: dict[str, str] = {
    "location": "gps", "xyz": "gps",
    "com.apple.quicktime.location.iso6709": "gps", "com.apple.quicktime.location.name": "gps",
    "com.apple.quicktime.location.body": "gps", "com.apple.quicktime.location.note": "gps",
    "com.apple.quicktime.location.role": "gps", "com.apple.quicktime.location.accuracy.horizontal": "gps",
    "com.apple.quicktime.location.date": "timestamp",
    "creation_time": "timestamp", "date": "timestamp", "year": "timestamp", "modification_time": "timestamp",
    "com.apple.quicktime.creationdate": "timestamp", "date-eng": "timestamp", "purchase_date": "timestamp",
    "make": "device_model", "model": "device_model", "com.apple.quicktime.make": "device_model",
    "com.apple.quicktime.model": "device_model", "com.android.manufacturer": "device_model",
    "com.android.model": "device_model", "com.apple.quicktime.camera.identifier": "device_model",
    "com.apple.quicktime.camera.lens_model": "device_model",
    "encoder": "software", "software": "software", "com.apple.quicktime.software": "software",
    "com.android.version": "software", "encoded_by": "software", "tool": "software",
    "artist": "owner_name", "album_artist": "owner_name", "author": "owner_name", "composer": "owner_name",
    "copyright": "owner_name", "performer": "owner_name", "publisher": "owner_name", "owner": "owner_name",
    "com.apple.quicktime.author": "owner_name", "com.apple.quicktime.artist": "owner_name",
    "com.apple.quicktime.copyright": "owner_name", "com.apple.quicktime.publisher": "owner_name",
    "com.apple.quicktime.producer": "owner_name", "com.apple.quicktime.director": "owner_name",
    "title": "comment", "comment": "comment", "description": "comment", "synopsis": "comment", "album": "comment",
    "lyrics": "comment", "keywords": "comment", "genre": "comment", "grouping": "comment", "show": "comment",
    "episode_id": "comment", "network": "comment",
    "com.apple.quicktime.title": "comment", "com.apple.quicktime.description": "comment",
    "com.apple.quicktime.comment": "comment", "com.apple.quicktime.keywords": "comment",
    "com.apple.quicktime.information": "comment", "com.apple.quicktime.displayname": "comment",
    "com.apple.quicktime.content.identifier": "unique_id", "com.apple.photos.originating.signature": "unique_id",
}
# Keys that describe the container or codec, not the patient, the place or the people.
MEDIA_BENIGN = {
    "major_brand", "minor_version", "compatible_brands", "handler_name", "vendor_id", "language", "rotate",
    "duration", "variant_bitrate", "timecode", "com.apple.quicktime.live-photo.auto",
    "com.apple.quicktime.full-frame-rate-playback-intent", "com.apple.quicktime.live-photo.vitality-score",
    "com.apple.quicktime.live-photo.vitality-scoring-version", "gapless_playback", "compilation", "media_type",
    "hd_video", "iTunSMPB".lower(),
}
# Stream-level keys: FFmpeg's stream "encoder" is the codec's compressor name, not the app.
MEDIA_STREAM_BENIGN = MEDIA_BENIGN | {"encoder"}

# iTunes-style ilst atoms read by mutagen.
ILST: dict[str, str] = {
    "\xa9nam": "comment", "\xa9alb": "comment", "\xa9cmt": "comment", "desc": "comment", "ldes": "comment",
    "\xa9des": "comment", "\xa9lyr": "comment", "\xa9gen": "comment", "gnre": "comment", "keyw": "comment",
    "\xa9grp": "comment", "tvsh": "comment", "catg": "comment", "\xa9st3": "comment",
    "\xa9ART": "owner_name", "aART": "owner_name", "\xa9wrt": "owner_name", "cprt": "owner_name", "\xa9aut": "owner_name",
    "ownr": "owner_name", "apID": "owner_name", "\xa9prd": "owner_name", "\xa9dir": "owner_name", "soar": "owner_name",
    "soaa": "owner_name", "soco": "owner_name",
    "\xa9day": "timestamp", "purd": "timestamp",
    "\xa9too": "software", "\xa9swr": "software", "\xa9enc": "software",
    "covr": "thumbnail",
    "\xa9xyz": "gps",
    "\xa9mak": "device_model", "\xa9mod": "device_model",
    "cnID": "unique_id", "atID": "unique_id", "plID": "unique_id", "geID": "unique_id", "sfID": "other",
}
ILST_BENIGN = {"trkn", "disk", "tmpo", "cpil", "pgap", "pcst", "stik", "hdvd", "rtng", "akID", "shwm", "sosn", "sonm", "soal"}
# Data tracks by codec tag.
DATA_TRACKS: dict[str, str] = {"gpmd": "gps", "camm": "gps", "mebx": "other", "tmcd": "other", "text": "comment", "tx3g": "comment"}
