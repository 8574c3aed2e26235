"""Probing an uploaded original: what it is, how big, and whether it decodes at all.

Owns the upload gate for pixels: the type comes from magic bytes (tessera.media.sniff), never
from the file name; size and frame count come from the header through the specific decoder;
pixel and frame budgets are enforced before anything is decoded, so a 57-byte BMP declaring
3 158 064 pixels of width costs nothing; finally a strict decode of every frame proves the
file is intact (truncated and corrupt files are refused, with a time limit). It must not
analyse content (tessera.media.metadata does) and it stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
import pyvips
from PIL import AvifImagePlugin, BmpImagePlugin, ImageFile, PngImagePlugin

from tessera.errors import ImageRejected, ImageTooLarge
from tessera.media.decode import (
    deadline,
    harden_libvips,
    pillow_has_alpha,
    pillow_rejection,
    rejection,
    vips_header,
)
from tessera.media.exif import orientation_of, read_embedded
from tessera.media.sniff import HEAD_BYTES, MIME_TYPES, Sniffed, sniff
from tessera.media.svg import inspect_svg, read_svg

# Wall-clock budget for the verifying decode of one file (all frames).
VERIFY_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class Probe:
    """Facts about an accepted original.

    `width` x `height` is one frame as the decoder delivers it, before EXIF orientation
    (for HEIF/AVIF the decoder has already applied irot/imir/clap, so `orientation` is 1
    there); `display_width` x `display_height` is the size once oriented."""

    format: str  # Cloudinary name: jpg, png, gif, webp, avif, heic, tiff, bmp, svg
    mime: str
    width: int
    height: int
    orientation: int
    display_width: int
    display_height: int
    frames: int
    has_alpha: bool


@dataclass(frozen=True, slots=True)
class _Header:
    format: str
    width: int
    height: int
    frames: int
    has_alpha: bool
    vips: pyvips.Image | None = None  # lazy header image, where libvips opens the format
    svg: bytes | None = None  # the inspected SVG document
    pillow: bool = False  # decoded by Pillow (BMP, AVIF sequences)


def probe_file(path: Path, *, max_pixels: int, max_frames: int,
               timeout: float = VERIFY_SECONDS) -> Probe:
    """Identify, measure and verify the image in `path`.

    Raises:
        ImageTooLarge: more than `max_pixels` per frame or `max_frames` frames.
        ImageRejected: empty, not an accepted image type, or damaged.
    """
    harden_libvips()
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    sniffed = sniff(head)
    header = _read_header(path, sniffed, head)
    _check_budget(header.width, header.height, header.frames, max_pixels, max_frames)
    # HEIF/AVIF decoders apply irot/imir themselves; an EXIF Orientation in those files is
    # informational and applying it would rotate twice (heif/iphone_orient6_irot.heic).
    orientation = 1
    if header.format not in ("heic", "avif"):
        orientation = orientation_of(read_embedded(path, header.format, header.vips))
    _verify(path, header, max_pixels=max_pixels, timeout=timeout)
    swapped = orientation >= 5
    return Probe(
        format=header.format,
        mime=MIME_TYPES[header.format],
        width=header.width,
        height=header.height,
        orientation=orientation,
        display_width=header.height if swapped else header.width,
        display_height=header.width if swapped else header.height,
        frames=header.frames,
        has_alpha=header.has_alpha,
    )


def _check_budget(width: int, height: int, frames: int, max_pixels: int,
                  max_frames: int) -> None:
    if width <= 0 or height <= 0 or frames <= 0:
        raise ImageRejected("Invalid image file: the image has no pixels")
    if width * height > max_pixels:
        raise ImageTooLarge(f"Image is too large: {width}x{height} pixels exceeds the limit of "
                            f"{max_pixels} pixels")
    if frames > max_frames:
        raise ImageTooLarge(f"Image has too many frames: {frames} exceeds the limit of "
                            f"{max_frames}")


def _read_header(path: Path, sniffed: Sniffed, head: bytes) -> _Header:
    fmt = sniffed.format
    if fmt == "bmp":
        return _pillow_header(BmpImagePlugin.BmpImageFile, path, fmt)
    if fmt == "avif" and sniffed.sequence:
        # libvips decodes only still AVIF; sequences ("avis" brand) go to libavif via Pillow.
        return _pillow_header(AvifImagePlugin.AvifImageFile, path, fmt)
    svg = None
    if fmt == "svg":
        svg = read_svg(path, compressed=sniffed.compressed)
        inspect_svg(svg)
    try:
        image = vips_header(path, fmt, svg=svg)
        width, height, has_alpha = image.width, image.height, bool(image.hasalpha())
        if fmt in ("heic", "avif"):
            # The brand is only a claim; the coded stream decides (heif/av1_in_heif_brand.heif).
            fmt = "avif" if _field(image, "heif-compression") == "av1" else "heic"
        frames = _frame_count(path, fmt, image, head)
    except pyvips.Error as exc:
        raise rejection(fmt, exc) from exc
    return _Header(fmt, width, height, frames, has_alpha, vips=image, svg=svg)


def _frame_count(path: Path, fmt: str, image: pyvips.Image, head: bytes) -> int:
    if fmt in ("gif", "webp", "tiff", "heic"):
        pages = _field(image, "n-pages")
        return pages if isinstance(pages, int) and pages > 0 else 1
    if fmt == "png" and b"acTL" in head.split(b"IDAT", 1)[0]:
        # libvips decodes only the default image of an APNG; Pillow counts its frames.
        return _pillow_header(PngImagePlugin.PngImageFile, path, fmt).frames
    # A still AVIF is one image. libheif lists the tiles of some grid files as top-level
    # images (avif/grid_1x5.avif reports 6 pages), which are not frames.
    return 1


def _field(image: pyvips.Image, name: str) -> object:
    return image.get(name) if image.get_typeof(name) != 0 else None


def _pillow_header(opener: Callable[[str], ImageFile.ImageFile], path: Path,
                   fmt: str) -> _Header:
    """Size and frames from a Pillow format plugin, constructed directly: `Image.open` would
    guess the format again and apply its own decompression-bomb policy before ours."""
    try:
        with opener(str(path)) as im:
            return _Header(fmt, im.width, im.height, int(getattr(im, "n_frames", 1)),
                           pillow_has_alpha(im), pillow=True)
    except MemoryError:
        raise
    except Exception as exc:  # broad on purpose: Pillow raises many types on hostile input
        raise pillow_rejection(fmt, exc) from exc


def _verify(path: Path, header: _Header, *, max_pixels: int, timeout: float) -> None:
    """Decode every frame strictly; a decoder error or warning refuses the file."""
    fmt = header.format
    if fmt == "heic":
        _verify_heif(path, header, max_pixels)
        return
    if header.pillow:
        opener = BmpImagePlugin.BmpImageFile if fmt == "bmp" else AvifImagePlugin.AvifImageFile
        _verify_pillow(opener, path, fmt, header.frames)
        return
    if fmt == "tiff":
        # Pages of a TIFF may differ in size (tiff/multipage_3.tiff); each has its own budget.
        pages = [vips_header(path, fmt, page=p, access="sequential") for p in range(header.frames)]
    else:
        n = -1 if fmt in ("gif", "webp") else 1
        pages = [vips_header(path, fmt, n=n, access="sequential", svg=header.svg)]
    for page in pages:
        _check_budget(page.width, page.height, 1, max_pixels, 1)
        # A private copy: deadline() sets progress and kill flags, and the loader's image
        # may be shared through the libvips operation cache.
        image = page.copy()
        try:
            with deadline(image, timeout):
                image.avg()
        except pyvips.Error as exc:
            if not (fmt == "jpg" and _RESYNC_WARNING.search(str(exc))):
                raise rejection(fmt, exc) from exc
            _verify_lenient_jpeg(path, timeout)
    if fmt == "png" and header.frames > 1:
        _verify_pillow(PngImagePlugin.PngImageFile, path, fmt, header.frames)


# Junk inside the scan, before a restart marker (RST0-RST7): libjpeg resynchronises at the
# marker and loses one restart interval, by design of the format (metadata-edge/bad_exif.jpg).
# Junk before a header marker (0xdb DQT: malformed/junk_before_soi.jpg, truncated_app14.jpg)
# means the header itself is broken, and stays refused.
_RESYNC_WARNING = re.compile(r"extraneous bytes before marker 0xd[0-7]\b")


def _verify_lenient_jpeg(path: Path, timeout: float) -> None:
    image = vips_header(path, "jpg", access="sequential", fail_on="error").copy()
    try:
        with deadline(image, timeout):
            image.avg()
    except pyvips.Error as exc:
        raise rejection("jpg", exc) from exc


def _verify_pillow(opener: Callable[[str], ImageFile.ImageFile], path: Path, fmt: str,
                   frames: int) -> None:
    try:
        with opener(str(path)) as im:
            for index in range(frames):
                im.seek(index)
                im.load()
    except MemoryError:
        raise
    except Exception as exc:  # broad on purpose: Pillow raises many types on hostile input
        raise pillow_rejection(fmt, exc) from exc


def _verify_heif(path: Path, header: _Header, max_pixels: int) -> None:
    # The libvips wheel's libheif has no HEVC decoder; pillow-heif's has.
    try:
        heif = pillow_heif.open_heif(str(path), convert_hdr_to_8bit=True)
        for index, image in enumerate(heif):
            width, height = image.size
            _check_budget(width, height, 1, max_pixels, 1)
            if index == heif.primary_index and (width, height) != (header.width, header.height):
                raise ImageRejected("Invalid image file: corrupt HEIF",
                                    detail=f"pillow-heif size {width}x{height}")
            _ = image.data  # decodes
    except ImageRejected:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # broad on purpose: pillow-heif raises ValueError, EOFError, ...
        raise pillow_rejection("heic", exc) from exc
