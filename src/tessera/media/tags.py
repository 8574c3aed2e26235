"""`image_metadata` as the API returns it: exiftool-style tag names mapped to safe strings.

Owns the naming (Pillow's EXIF names renamed where exiftool differs, IPTC dataset names, XMP
property names), the few print conversions Cloudinary clients see (Orientation
"Rotate 90 CW", ResolutionUnit "inches", GPS as degrees/minutes/seconds), and escaping.
Metadata is attacker-controlled text (`security/xss_in_all_metadata.jpg`), so every value is
decoded defensively, stripped of control characters, bounded in length and HTML-escaped here,
once, at the source: a value can be dropped into JSON or a page without further care, and
nothing downstream ever has to evaluate it.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

from PIL import ExifTags, ImageCms

from tessera.media.exif import Embedded

MAX_TAGS = 500
MAX_VALUE_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Pillow tag name -> exiftool tag name, where they differ.
_RENAMES = {"ISOSpeedRatings": "ISO", "PhotographicSensitivity": "ISO",
            "DateTime": "ModifyDate", "DateTimeDigitized": "CreateDate",
            "ExposureBiasValue": "ExposureCompensation",
            "FocalLengthIn35mmFilm": "FocalLengthIn35mmFormat", "LensSpecification": "LensInfo",
            "BodySerialNumber": "SerialNumber", "CameraOwnerName": "OwnerName"}
# Pointers, binary blobs and TIFF image structure: nothing a person reads.
_SKIP_TAGS = frozenset({
    0x8769, 0x8825, 0xA005, 0x927C, 0xC4A5, 0x02BC, 0x83BB, 0x8649, 0x8773, 0x9101, 0xA300,
    0xA301, 0xA302, 0xEA1C, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0111, 0x0115, 0x0116,
    0x0117, 0x011C, 0x013D, 0x0140, 0x0142, 0x0143, 0x0144, 0x0145, 0x0152, 0x0153, 0x0201,
    0x0202, 0x0211, 0x0212, 0x0214, 0x014A, 0x0150, 0x0151, 0x0155, 0x0156, 0x828D, 0x828E,
})
_TEXT_BYTES = frozenset({0x9000, 0xA000, 0x9286, 0x001B, 0x001C})  # versions, comments
_XP_TAGS = frozenset({0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F})  # UTF-16LE Windows fields
_ORIENTATIONS = {1: "Horizontal (normal)", 2: "Mirror horizontal", 3: "Rotate 180",
                 4: "Mirror vertical", 5: "Mirror horizontal and rotate 270 CW",
                 6: "Rotate 90 CW", 7: "Mirror horizontal and rotate 90 CW", 8: "Rotate 270 CW"}
_RESOLUTION_UNITS = {1: "None", 2: "inches", 3: "cm"}
_REFS = {"N": "North", "S": "South", "E": "East", "W": "West"}
_IPTC_NAMES = {
    5: "ObjectName", 7: "EditStatus", 10: "Urgency", 15: "Category",
    20: "SupplementalCategories", 22: "FixtureIdentifier", 25: "Keywords",
    26: "ContentLocationCode", 27: "ContentLocationName", 30: "ReleaseDate", 35: "ReleaseTime",
    37: "ExpirationDate", 38: "ExpirationTime", 40: "SpecialInstructions", 45: "ReferenceService",
    47: "ReferenceDate", 50: "ReferenceNumber", 55: "DateCreated", 60: "TimeCreated",
    62: "DigitalCreationDate", 63: "DigitalCreationTime", 65: "OriginatingProgram",
    70: "ProgramVersion", 75: "ObjectCycle", 80: "By-line", 85: "By-lineTitle", 90: "City",
    92: "Sub-location", 95: "Province-State", 100: "Country-PrimaryLocationCode",
    101: "Country-PrimaryLocationName", 103: "OriginalTransmissionReference", 105: "Headline",
    110: "Credit", 115: "Source", 116: "CopyrightNotice", 118: "Contact",
    120: "Caption-Abstract", 121: "LocalCaption", 122: "Writer-Editor",
}


def image_metadata(meta: Embedded, *, colorspace: str | None) -> dict[str, str]:
    """All readable tags, later sources overriding earlier ones as exiftool's preferred groups
    do: JFIF < PNG text < XMP < IPTC < EXIF; then Colorspace and the ICC ProfileDescription."""
    found: dict[str, str] = {}
    found.update(_jfif(meta.jfif))
    found.update(meta.text)
    found.update(meta.xmp)
    found.update(_iptc(meta.iptc))
    for table, gps in ((meta.ifd0, False), (meta.exif_ifd, False), (meta.gps_ifd, True)):
        names = ExifTags.GPSTAGS if gps else ExifTags.TAGS
        for tag, value in table.items():
            name = names.get(tag) if isinstance(tag, int) else None
            if name is None or (tag in _SKIP_TAGS and not gps):
                continue
            text = _exif_value(tag, value, gps=gps)
            if text is not None:
                found[_RENAMES.get(name, name)] = text
    if colorspace:
        found["Colorspace"] = colorspace
    description = profile_description(meta.icc)
    if description:
        found["ProfileDescription"] = description
    cleaned = {key: safe_text(value) for key, value in list(found.items())[:MAX_TAGS]}
    return {key: value for key, value in cleaned.items() if value}


def safe_text(value: str) -> str:
    """Printable, bounded, HTML-escaped text."""
    text = _CONTROL.sub("", value).strip()[:MAX_VALUE_CHARS]
    return html.escape(text, quote=True)


def profile_description(icc: bytes | None) -> str | None:
    """The ICC profile's description (`desc` tag) as littlecms reads it."""
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.getProfileDescription(profile).strip() or None
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _jfif(info: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    version = info.get("jfif_version")
    if isinstance(version, tuple) and len(version) == 2:
        found["JFIFVersion"] = f"{int(version[0])}.{int(version[1]):02d}"
    unit, density = info.get("jfif_unit"), info.get("jfif_density")
    if isinstance(unit, int):
        found["ResolutionUnit"] = {0: "None", 1: "inches", 2: "cm"}.get(unit, str(unit))
    if isinstance(density, tuple) and len(density) == 2:
        found["XResolution"], found["YResolution"] = (str(int(d)) for d in density)
    return found


def _iptc(records: dict[tuple[int, int], list[bytes]]) -> dict[str, str]:
    # IPTC text is Latin-1 unless record 1:90 announces UTF-8 (ESC % G).
    utf8 = any(b"\x1b%G" in v for v in records.get((1, 90), []))
    found: dict[str, str] = {}
    for (record, dataset), values in records.items():
        name = _IPTC_NAMES.get(dataset) if record == 2 else None
        if name is None:
            continue
        texts = [_decode(v, "utf-8" if utf8 else "latin-1") for v in values]
        found[name] = ", ".join(t for t in texts if t)
    return found


def _decode(raw: bytes, encoding: str = "utf-8") -> str:
    try:
        return raw.decode(encoding).strip("\x00 ")
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip("\x00 ")


def _exif_value(tag: int, value: Any, *, gps: bool) -> str | None:
    if gps:
        return _gps_value(tag, value)
    if tag == 0x0112 and isinstance(value, int):
        return _ORIENTATIONS.get(value, f"Unknown ({value})")
    if tag == 0x0128 and isinstance(value, int):
        return _RESOLUTION_UNITS.get(value, str(value))
    if tag == 0xA001 and isinstance(value, int):
        return {1: "sRGB", 2: "Adobe RGB", 0xFFFF: "Uncalibrated"}.get(value, str(value))
    if tag == 0x829A:  # ExposureTime: exiftool writes 1/160, not 0.00625
        seconds = _number(value)
        if seconds is not None and 0 < seconds < 1:
            return f"1/{round(1 / seconds)}"
    if tag == 0x829D:  # FNumber
        aperture = _number(value)
        return None if aperture is None else f"{aperture:.1f}"
    if isinstance(value, bytes):
        if tag in _XP_TAGS:
            return value.decode("utf-16-le", "replace").strip("\x00 ")
        if tag == 0x9286:  # UserComment: 8-byte charset prefix, then the text
            prefix, body = value[:8], value[8:]
            return _decode(body, "utf-16" if prefix.startswith(b"UNICODE") else "utf-8")
        return _decode(value) if tag in _TEXT_BYTES else None
    return _plain(value)


def _gps_value(tag: int, value: Any) -> str | None:
    if tag in (1, 3, 0x13, 0x15):  # Latitude/Longitude (and Dest) Ref
        letter = (_plain(value) or "").strip().upper()[:1]
        return _REFS.get(letter, _plain(value))
    if tag in (2, 4, 0x14, 0x16) and isinstance(value, tuple) and len(value) == 3:
        parts = [_number(v) for v in value]
        if all(p is not None for p in parts):
            degrees, minutes, seconds = (float(p) for p in parts if p is not None)
            return f"{degrees:g} deg {minutes:g}' {seconds:.2f}\""
    if tag == 5 and isinstance(value, int | bytes):
        level = value[0] if isinstance(value, bytes) and value else value
        return {0: "Above Sea Level", 1: "Below Sea Level"}.get(int(level), str(level))
    if tag == 6:
        altitude = _number(value)
        return None if altitude is None else f"{altitude:g} m"
    if tag == 0 and isinstance(value, bytes | tuple):
        return ".".join(str(b) for b in value)
    return None if isinstance(value, bytes) else _plain(value)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _plain(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip("\x00 ")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        parts = [_plain(v) for v in value[:64]]
        return " ".join(p for p in parts if p is not None)
    number = _number(value)  # IFDRational and floats
    if number is None:
        return None
    if number.is_integer():
        return str(int(number))
    return format(round(number, 6), "g")
