"""Content sniffing: what an uploaded file really is, from its first bytes.

Owns the mapping from magic bytes to a Cloudinary format name, and the precise public refusal
for everything that is not an image we accept (PDF, PostScript, DjVu, ZIP, Office, HTML, MVG,
text ...). It must never look at a file name or extension, and never decode anything: a file
named `.jpg` that holds PostScript must be refused here, before any decoder sees it
(corpus `security/postscript_named_jpg.jpg`).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from tessera.errors import ImageRejected

# Enough to see past an XML prolog (declaration, comments, DOCTYPE) to an SVG root element.
HEAD_BYTES = 64 * 1024

MIME_TYPES: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "heic": "image/heic",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "svg": "image/svg+xml",
}

# Public names used in messages ("Invalid image file: truncated JPEG").
LABELS: dict[str, str] = {
    "jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WebP", "avif": "AVIF",
    "heic": "HEIF", "tiff": "TIFF", "bmp": "BMP", "svg": "SVG",
}

_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                          b"msf1", b"mif2", b"miaf"})
# BITMAPCOREHEADER .. BITMAPV5HEADER: the DIB header sizes a real BMP can start with.
_BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

# Formats we recognise but refuse, by leading signature.
_FOREIGN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"%!PS", "PostScript"),
    (b"\xc5\xd0\xd3\xc6", "PostScript"),  # DOS EPS binary header
    (b"AT&TFORM", "DjVu"),
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"8BPS", "Photoshop"),
    (b"\x08\xf2\xa6\xb6", "VIPS"),
    (b"\xb6\xa6\xf2\x08", "VIPS"),
    (b"v/1\x01", "OpenEXR"),
    (b"#?RADIANCE", "Radiance HDR"),
    (b"qoif", "QOI"),
    (b"SIMPLE  =", "FITS"),
    (b"\x7fELF", "executable"),
    (b"MZ", "executable"),
)

# ImageMagick Vector Graphics scripts (ImageTragick) start with drawing primitives.
_MVG_START = re.compile(rb"^\s*(push\s+graphic-context|viewbox\s+\d)", re.IGNORECASE)
_TAG_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_HTML_START = re.compile(rb"\s*(<!doctype\s+html|<(html|head|body|script)[\s>])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the leading bytes say. `format` is a Cloudinary name; for ISOBMFF files it is the
    brand's guess, which the probe corrects from the coded stream (an AV1 image in a
    HEIC-branded file is AVIF)."""

    format: str
    compressed: bool = False  # gzip-wrapped SVG (svgz)
    sequence: bool = False  # AVIF image sequence ("avis" brand)


def sniff(head: bytes) -> Sniffed:
    """Identify the file type from its first bytes (`HEAD_BYTES` is enough).

    Raises:
        ImageRejected: empty, or not an image type Tessera accepts.
    """
    if not head:
        raise ImageRejected("Empty file")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("webp")
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Sniffed("tiff")
    if head[4:8] == b"ftyp":
        return _sniff_isobmff(head)
    if head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in (
            _BMP_DIB_SIZES):
        return Sniffed("bmp")
    if head[:2] == b"\x1f\x8b":
        return _sniff_gzip(head)
    for signature, name in _FOREIGN_SIGNATURES:
        if head.startswith(signature):
            raise ImageRejected(f"Unsupported file type: {name}")
    return _sniff_text(head, compressed=False)


def _sniff_isobmff(head: bytes) -> Sniffed:
    box_size = int.from_bytes(head[:4], "big")
    brands_end = min(box_size if box_size >= 16 else 16, len(head))
    major = head[8:12]
    compatible = {head[i:i + 4] for i in range(16, brands_end - 3, 4)}
    brands = compatible | {major}
    sequence = b"avis" in brands
    if brands & _AVIF_BRANDS:
        return Sniffed("avif", sequence=sequence)
    if brands & _HEIF_BRANDS:
        return Sniffed("heic")
    if brands & {b"qt  ", b"isom", b"iso2", b"mp41", b"mp42", b"M4V ", b"3gp4", b"3gp5"}:
        raise ImageRejected("Unsupported file type: video")
    raise ImageRejected("Unsupported file type")


def _sniff_gzip(head: bytes) -> Sniffed:
    # Only gzip-wrapped SVG is an image; look at the first decompressed bytes, bounded so a
    # small head cannot expand into a large buffer here.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        inner = inflater.decompress(head, HEAD_BYTES)
    except zlib.error:
        raise ImageRejected("Invalid image file: corrupt SVGZ") from None
    try:
        sniffed = _sniff_text(inner, compressed=True)
    except ImageRejected:
        raise ImageRejected("Unsupported file type: gzip") from None
    return sniffed


def _sniff_text(head: bytes, *, compressed: bool) -> Sniffed:
    body = head.removeprefix(b"\xef\xbb\xbf")
    if _MVG_START.match(body):
        raise ImageRejected("Unsupported file type: MVG")
    root = _xml_root_name(body)
    if root is not None:
        name = root.decode("ascii", "replace").lower()
        if name == "svg" or name.endswith(":svg"):
            return Sniffed("svg", compressed=compressed)
        if name == "html":
            raise ImageRejected("Unsupported file type: HTML")
        raise ImageRejected("Unsupported file type: XML")
    if _HTML_START.match(body):
        raise ImageRejected("Unsupported file type: HTML")
    if _looks_like_text(body):
        raise ImageRejected("Unsupported file type: text")
    raise ImageRejected("Unsupported file type")


def _xml_root_name(body: bytes) -> bytes | None:
    """Name of the first element after the XML prolog, or None if there is none in `body`.

    A linear scan rather than one regex: a regex with nested repetition over 64 KiB of
    attacker-chosen prolog can backtrack for minutes."""
    i, end = 0, len(body)
    while i < end:
        if body[i] in b" \t\r\n":
            i += 1
        elif body.startswith(b"<?", i):
            i = _after(body, b"?>", i + 2)
        elif body.startswith(b"<!--", i):
            i = _after(body, b"-->", i + 4)
        elif body[i:i + 9].upper() == b"<!DOCTYPE":
            subset, close = body.find(b"[", i), body.find(b">", i)
            if 0 <= subset < close:
                close = body.find(b">", _after(body, b"]", subset))
            i = close + 1 if close >= 0 else end
        else:
            tag = _TAG_NAME.match(body, i)
            return tag.group(1) if tag else None
    return None


def _after(body: bytes, marker: bytes, start: int) -> int:
    found = body.find(marker, start)
    return found + len(marker) if found >= 0 else len(body)


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if not sample or b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample boundary is still text.
        if exc.start < len(sample) - 4:
            return False
    printable = sum(1 for b in sample if b >= 0x20 or b in b"\t\r\n")
    return printable / len(sample) > 0.95
