"""Embedded metadata of an original: EXIF, XMP, IPTC, ICC and JFIF, read with maintained
libraries and reduced to plain values.

Owns where each format keeps its metadata (libvips header fields, Pillow's format plugins,
ImageMagick "Raw profile" PNG text chunks) and the readings derived from it: EXIF orientation,
GPS position, capture time. EXIF and IPTC are parsed by Pillow, XMP by defusedxml; nothing
here parses binary structures by hand. Metadata is untrusted and often broken, so every
reader degrades to "absent" instead of failing the upload; turning values into the
exiftool-style strings the API returns is `tessera.media.tags`' job.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.etree.ElementTree import Element

import defusedxml.ElementTree
import pyvips
from PIL import (
    AvifImagePlugin,
    ExifTags,
    Image,
    ImageFile,
    IptcImagePlugin,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_XMP_BYTES = 2 * 1024 * 1024
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XMP_SKIP_NS = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "adobe:ns:meta/",
                "http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2000/xmlns/")
_XMP_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_EXIF_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_XMP_DATE = re.compile(r"^(\d{4})[-:](\d{2})[-:](\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?")
_NO_XMP: dict[str, str] = {}
# PNG text keywords of the PNG specification, by exiftool name; other keys are tool-specific
# (and ImageMagick's "profile" key is an attack vector: security/png_text_profile_etc_passwd.png).
_PNG_TEXT_KEYS = {"title": "Title", "author": "Author", "description": "Description",
                  "copyright": "Copyright", "creation time": "CreationTime",
                  "software": "Software", "disclaimer": "Disclaimer", "warning": "Warning",
                  "source": "Source", "comment": "Comment"}


@dataclass(frozen=True, slots=True)
class Embedded:
    """Metadata blocks found in one file, parsed but not yet formatted."""

    ifd0: dict[int, Any] = field(default_factory=dict)
    exif_ifd: dict[int, Any] = field(default_factory=dict)
    gps_ifd: dict[int, Any] = field(default_factory=dict)
    xmp: dict[str, str] = field(default_factory=dict)
    iptc: dict[tuple[int, int], list[bytes]] = field(default_factory=dict)
    icc: bytes | None = None
    jfif: dict[str, Any] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)  # PNG tEXt/iTXt/zTXt, known keys


def read_embedded(path: Path, fmt: str, header: pyvips.Image | None) -> Embedded:
    """Collect the metadata of `path` (format `fmt`, as sniffed and probed). `header` is the
    file's lazy libvips image where libvips opened it; its fields are read, not its pixels."""
    icc = _blob(header, "icc-profile-data")
    if fmt == "jpg":
        return _quietly(lambda: _from_pillow(JpegImagePlugin.JpegImageFile, path, icc),
                        Embedded(icc=icc), path)
    if fmt == "webp":
        return _quietly(lambda: _from_pillow(WebPImagePlugin.WebPImageFile, path, icc),
                        Embedded(icc=icc), path)
    if fmt == "tiff":
        return _quietly(lambda: _from_pillow(TiffImagePlugin.TiffImageFile, path, icc),
                        Embedded(icc=icc), path)
    if fmt == "png":
        return _safely(lambda: _from_png(path, header, icc), Embedded(icc=icc), path)
    if fmt in ("heic", "avif") and header is not None:
        return Embedded(*_tables(_exif_from_blob(_blob(header, "exif-data"), path), path),
                        xmp=_quietly(lambda: parse_xmp(_blob(header, "xmp-data")), _NO_XMP, path),
                        icc=icc)
    if fmt == "avif":  # image sequences: libvips cannot open them, Pillow's AVIF plugin can
        return _quietly(lambda: _from_pillow(AvifImagePlugin.AvifImageFile, path, icc),
                        Embedded(icc=icc), path)
    return Embedded(icc=icc)


def orientation_of(meta: Embedded) -> int:
    """EXIF Orientation 1..8, else the XMP tiff:Orientation, else 1 (also for invalid 0)."""
    raw: object = meta.ifd0.get(ExifTags.Base.Orientation)
    if raw is None:
        raw = meta.xmp.get("Orientation")
    try:
        value = int(str(raw).strip())
    except ValueError:
        return 1
    return value if 1 <= value <= 8 else 1


def gps_of(meta: Embedded) -> tuple[float, float] | None:
    """Signed decimal degrees from the EXIF GPS IFD; None without both hemisphere Refs, or
    for values that are no position (`metadata-edge/gps_garbage_values.jpg`)."""
    gps = meta.gps_ifd
    latitude = _coordinate(gps.get(ExifTags.GPS.GPSLatitude),
                           gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S", 90.0)
    longitude = _coordinate(gps.get(ExifTags.GPS.GPSLongitude),
                            gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W", 180.0)
    if latitude is None or longitude is None:
        return None
    return latitude, longitude


def _coordinate(value: object, ref: object, positive: str, negative: str,
                limit: float) -> float | None:
    hemisphere = ref.decode("ascii", "replace") if isinstance(ref, bytes) else str(ref or "")
    hemisphere = hemisphere.strip("\x00 ").upper()[:1]
    if hemisphere not in (positive, negative) or not isinstance(value, tuple | list):
        return None
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or any(p != p or p < 0 for p in parts):  # p != p: NaN
        return None
    degrees, minutes, seconds = [*parts, 0.0, 0.0][:3]
    if minutes > 60 or seconds > 60:
        return None
    decimal = degrees + minutes / 60 + seconds / 3600
    if decimal > limit:
        return None
    return -decimal if hemisphere == negative else decimal


def datetime_original_of(meta: Embedded) -> str | None:
    """EXIF DateTimeOriginal as stored ("YYYY:MM:DD HH:MM:SS"), else the XMP copy without its
    time zone; None when neither holds a valid date (`metadata-edge/exif_type_error.jpg` has
    an EXIF sub-IFD Pillow cannot read, and its date only in XMP)."""
    stored = meta.exif_ifd.get(ExifTags.Base.DateTimeOriginal)
    if isinstance(stored, str) and (match := _EXIF_DATE.match(stored.strip())):
        return match.group(0)
    xmp = _XMP_DATE.match(meta.xmp.get("DateTimeOriginal", "").strip())
    if xmp is None:
        return None
    year, month, day, hour, minute, second = xmp.groups()
    return f"{year}:{month}:{day} {hour}:{minute}:{second or '00'}"


def parse_xmp(packet: bytes | None) -> dict[str, str]:
    """Simple XMP properties by exiftool-style name ("Orientation", "CreatorTool", "Title").

    Structures are skipped; list values are joined with ", ". DTDs and entities are refused
    by defusedxml."""
    if not packet or len(packet) > MAX_XMP_BYTES:
        return {}
    text = packet.strip(b"\x00 \r\n\t")
    root = defusedxml.ElementTree.fromstring(text, forbid_dtd=True)
    found: dict[str, str] = {}
    for description in root.iter(f"{_RDF}Description"):
        for key, value in description.attrib.items():
            _add_xmp(found, key, value)
        for prop in description:
            value = _xmp_value(prop)
            if value is not None:
                _add_xmp(found, prop.tag, value)
    return found


def _add_xmp(found: dict[str, str], qualified: str, value: str) -> None:
    namespace, _, local = qualified[1:].partition("}") if qualified.startswith("{") else (
        "", "", qualified)
    if namespace in _XMP_SKIP_NS or not _XMP_KEY.match(local):
        return
    found.setdefault(local[0].upper() + local[1:], value)


def _xmp_value(prop: Element) -> str | None:
    children = list(prop)
    if not children:
        return (prop.text or "").strip() or None
    container = children[0]
    if len(children) == 1 and container.tag in (f"{_RDF}Seq", f"{_RDF}Bag", f"{_RDF}Alt"):
        items = [(li.text or "").strip() for li in container if not list(li)]
        return ", ".join(item for item in items if item) or None
    return None


def _from_pillow(opener: Callable[[str], ImageFile.ImageFile], path: Path,
                 icc: bytes | None) -> Embedded:
    with opener(str(path)) as im:
        # Materialise the IFDs now: for TIFF, Pillow reads sub-IFDs lazily from the open file.
        tables = _tables(_quietly(im.getexif, None, path), path)
        info = im.info
        xmp_packet = info.get("xmp") or info.get("XML:com.adobe.xmp")
        if xmp_packet is None and isinstance(im, TiffImagePlugin.TiffImageFile):
            xmp_packet = im.tag_v2.get(700)  # XMLPacket
        if isinstance(xmp_packet, str):
            xmp_packet = xmp_packet.encode("utf-8")
        packet = xmp_packet if isinstance(xmp_packet, bytes) else None
        xmp: dict[str, str] = _quietly(lambda: parse_xmp(packet), {}, path)
        iptc: dict[tuple[int, int], list[bytes]] = _quietly(lambda: _iptc(im), {}, path)
        jfif: dict[str, Any] = {k: info[k] for k in ("jfif_version", "jfif_unit", "jfif_density")
                                if k in info}
        profile = info.get("icc_profile")
        return Embedded(*tables, xmp=xmp, iptc=iptc, jfif=jfif,
                        icc=icc or (profile if isinstance(profile, bytes) else None))


def _from_png(path: Path, header: pyvips.Image | None, icc: bytes | None) -> Embedded:
    exif_blob = _blob(header, "exif-data")
    xmp_packet = _blob(header, "xmp-data")
    text: dict[str, str] = {}
    # ImageMagick stores profiles as hex text chunks ("Raw profile type exif"); Pillow's own
    # reader rejects the trailing bytes of `png/exif_xmp_icc_rawprofile.png`.
    for name in _fields(header):
        if header is not None and name.startswith("png-comment-"):
            key = name.split("-", 3)[-1].lower()
            if key in ("raw profile type exif", "raw profile type app1") and not exif_blob:
                exif_blob = _raw_profile(str(header.get(name)))
            elif key == "raw profile type xmp" and not xmp_packet:
                xmp_packet = _raw_profile(str(header.get(name)))
            elif key in _PNG_TEXT_KEYS:
                text[_PNG_TEXT_KEYS[key]] = str(header.get(name))
    if not exif_blob and _mentions(path, b"eXIf"):
        # libvips reads no eXIf chunk placed after IDAT; Pillow finds it once it has read
        # the image data (`png/exif_chunk_after_idat.png`). A full decode: kept off the
        # warnings lock.
        exif_blob = _safely(lambda: _png_exif_after_idat(path), None, path)
    return Embedded(*_tables(_exif_from_blob(exif_blob, path), path),
                    xmp=_quietly(lambda: parse_xmp(xmp_packet), _NO_XMP, path), icc=icc,
                    text=text)


def _png_exif_after_idat(path: Path) -> bytes | None:
    with PngImagePlugin.PngImageFile(str(path)) as im:
        im.load()
        found = im.info.get("exif")
        return found if isinstance(found, bytes) else None


def _raw_profile(text: str) -> bytes | None:
    # "\n<name>\n<length>\n<hex lines>"; only the declared length of hex digits counts.
    lines = text.lstrip("\n").split("\n", 2)
    if len(lines) < 3 or not lines[1].strip().isdigit():
        return None
    length = int(lines[1].strip())
    digits = re.sub(r"[^0-9a-fA-F]", "", lines[2].split("\n\n", 1)[0])[: 2 * length]
    if len(digits) < 2 * length:
        return None
    return bytes.fromhex(digits)


def _mentions(path: Path, marker: bytes) -> bool:
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(1 << 20):
            if marker in tail + chunk:
                return True
            tail = chunk[-len(marker):]
    return False


def _exif_from_blob(blob: bytes | None, path: Path) -> Image.Exif | None:
    if not blob:
        return None

    def load() -> Image.Exif:
        exif = Image.Exif()
        exif.load(blob)  # accepts the "Exif\0\0" prefix libvips keeps
        return exif

    return _quietly(load, None, path)


def _tables(exif: Image.Exif | None,
            path: Path) -> tuple[dict[int, Any], dict[int, Any], dict[int, Any]]:
    """IFD0, the EXIF sub-IFD and the GPS IFD as plain dicts; each one that cannot be read
    is empty, so a broken GPS IFD leaves the date readable and the other way round."""
    if exif is None:
        return {}, {}, {}
    ifd0: dict[int, Any] = _quietly(lambda: dict(exif), {}, path)
    exif_ifd: dict[int, Any] = _quietly(lambda: dict(exif.get_ifd(ExifTags.IFD.Exif)), {}, path)
    gps_ifd: dict[int, Any] = _quietly(lambda: dict(exif.get_ifd(ExifTags.IFD.GPSInfo)), {},
                                       path)
    return ifd0, exif_ifd, gps_ifd


def _iptc(im: ImageFile.ImageFile) -> dict[tuple[int, int], list[bytes]]:
    info = IptcImagePlugin.getiptcinfo(im)
    if not info:
        return {}
    return {key: value if isinstance(value, list) else [value] for key, value in info.items()
            if isinstance(key, tuple) and isinstance(value, bytes | list)}


def _blob(header: pyvips.Image | None, name: str) -> bytes | None:
    if header is None or header.get_typeof(name) == 0:
        return None
    value = header.get(name)
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None


def _fields(header: pyvips.Image | None) -> list[str]:
    return [] if header is None else list(header.get_fields())


# warnings.catch_warnings swaps process-wide state and is not thread-safe before Python 3.14;
# two threads interleaving it can leave every later warning recorded into a dead list.
_warnings_lock = threading.RLock()


def _quietly(read: Callable[[], T], default: T, path: Path | None) -> T:
    """Run a metadata reader; any failure means "no such metadata".

    Broken metadata must never fail an upload whose pixels are fine, and the parsers
    (Pillow, defusedxml, expat) raise many exception types on fuzzed input, so this catches
    broadly; it logs what was dropped. Pillow's "Corrupt EXIF data" warnings are recorded
    and logged instead of surfacing (readers take milliseconds, so serialising them on the
    warnings lock costs nothing)."""
    def read_recording_warnings() -> T:
        with _warnings_lock, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = read()
        for warning in caught:
            log.info("event=metadata_warning path=%s warning=%r", path, str(warning.message))
        return result

    return _safely(read_recording_warnings, default, path)


def _safely(read: Callable[[], T], default: T, path: Path | None) -> T:
    """`_quietly` without the warnings capture, for slow readers."""
    try:
        return read()
    except MemoryError:
        raise
    except Exception as exc:  # broad on purpose: see _quietly
        log.info("event=metadata_unreadable path=%s error=%r", path, f"{type(exc).__name__}: {exc}")
        return default
