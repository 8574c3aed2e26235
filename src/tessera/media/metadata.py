"""Analysis of an accepted original: what the upload API reports about its content.

Owns `analyse`: embedded metadata (exiftool-style `image_metadata`, GPS position, capture time;
read by tessera.media.exif, formatted by tessera.media.tags) and pixel statistics computed on
one small decoded copy (longest side `ANALYSIS_SIZE`, in display orientation): dominant colours
and Google palette shares, a 64-bit perceptual hash (imagehash), faces (OpenCV's Haar
cascade), transparency, grayscale and an illustration score. It works only on files that
`tessera.media.probe` accepted, and decodes them only through `tessera.media.decode`.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import imagehash
import numpy as np
import pyvips
from PIL import Image

from tessera.media import preview as previews
from tessera.media.decode import vips_header
from tessera.media.exif import datetime_original_of, gps_of, read_embedded
from tessera.media.probe import Probe
from tessera.media.tags import image_metadata

# OpenCV is imported where it is used: its libraries are ~45 MB resident, which a process that
# only delivers images never needs.
if TYPE_CHECKING:
    import cv2

ANALYSIS_SIZE = 512
MAX_COLORS = 32  # as many as Cloudinary lists

Pixels = np.ndarray[Any, np.dtype[np.uint8]]

_COLORSPACES = {"srgb": "RGB", "rgb": "RGB", "rgb16": "RGB", "scrgb": "RGB", "b-w": "Gray",
                "grey16": "Gray", "cmyk": "CMYK", "lab": "Lab", "labs": "Lab"}
_GOOGLE_NAMES = ("red", "orange", "yellow", "green", "teal", "blue", "purple", "pink",
                 "brown", "black", "gray", "white")
# Hue sectors (degrees, upper bounds) of Google's named colours for saturated pixels.
_HUE_SECTORS = ((15, "red"), (45, "orange"), (70, "yellow"), (165, "green"), (195, "teal"),
                (255, "blue"), (290, "purple"), (340, "pink"), (361, "red"))


@dataclass(frozen=True)
class Analysis:
    image_metadata: dict[str, str]
    gps: tuple[float, float] | None
    datetime_original: str | None
    colors: list[tuple[str, float]]
    predominant: dict[str, list[tuple[str, float]]]
    phash: str
    faces: list[tuple[int, int, int, int]]
    semi_transparent: bool
    grayscale: bool
    illustration_score: float


def analyse(path: Path, probe: Probe, *, faces: bool = True,
            preview: Path | None = None) -> Analysis:
    """Metadata and content statistics of the original in `path`, probed as `probe`;
    `preview`, its preview if one was made (a large image's pixels are read from it).

    Raises:
        ImageRejected: the file no longer decodes.
    """
    header = _header(path, probe)
    embedded = read_embedded(path, probe.format, header)
    interpretation = str(header.interpretation) if header is not None else None
    pixels, gray_source = _analysis_pixels(path, probe, preview)
    rgb, alpha = pixels[..., :3], (pixels[..., 3] if pixels.shape[2] == 4 else None)
    visible = rgb.reshape(-1, 3) if alpha is None else rgb[alpha >= 128]
    tags = image_metadata(embedded, colorspace=_COLORSPACES.get(
        interpretation or "", "Gray" if gray_source else "RGB"))
    taken = datetime_original_of(embedded)
    if taken is not None:
        # One spelling per idea: the EXIF form even when the date came from XMP, whose
        # ISO 8601 form ("2010-07-11T13:53:00+02:00") clients do not expect here.
        tags["DateTimeOriginal"] = taken
    return Analysis(
        image_metadata=tags,
        gps=gps_of(embedded),
        datetime_original=taken,
        colors=dominant_colors(visible),
        predominant={"google": google_palette_shares(visible)},
        phash=str(imagehash.phash(Image.fromarray(_on_white(rgb, alpha)))),
        faces=_faces(rgb, probe) if faces else [],
        semi_transparent=bool(alpha is not None and alpha.min() < 255),
        grayscale=gray_source or _looks_gray(visible),
        illustration_score=illustration_score(visible),
    )


def _header(path: Path, probe: Probe) -> pyvips.Image | None:
    if probe.format in ("bmp", "svg"):
        return None  # no embedded metadata libvips could expose
    try:
        return vips_header(path, probe.format)
    except pyvips.Error:
        return None  # AVIF sequences: libvips cannot open them; Pillow reads their metadata


def _analysis_pixels(path: Path, probe: Probe, preview: Path | None) -> tuple[Pixels, bool]:
    """The first frame, at most `ANALYSIS_SIZE` on its longest side, in display orientation,
    as 8-bit sRGB(A); and whether the source is single-channel."""
    # Shrink-on-load decodes a 24 MP JPEG at 1/4 or 1/8 of the size: most of the speed-up.
    shrink = max(1, max(probe.width, probe.height) // ANALYSIS_SIZE)
    image = previews.decode(lambda: path, probe, access="sequential", shrink=shrink,
                            preview=None if preview is None else lambda: preview)
    gray_source = image.interpretation in ("b-w", "grey16")
    # no_rotate: thumbnail_image would apply the orientation tag, and _orient does that below.
    image = image.thumbnail_image(ANALYSIS_SIZE, height=ANALYSIS_SIZE, size="down",
                                  no_rotate=True)
    image = image.copy_memory()  # the rotations below read out of order
    image = _orient(image, probe.orientation)
    image = _to_srgb(image)
    pixels = np.asarray(image.numpy(), dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.shape[2] < 3:
        color = np.repeat(pixels[..., :1], 3, axis=2)
        pixels = np.concatenate([color, pixels[..., 1:2]], axis=2) if pixels.shape[2] == 2 \
            else color
    return np.ascontiguousarray(pixels[..., :4]), gray_source


def _orient(image: pyvips.Image, orientation: int) -> pyvips.Image:
    # EXIF orientation 1-8 as the transform that displays the stored pixels upright.
    if orientation == 2:
        return image.fliphor()
    if orientation == 3:
        return image.rot180()
    if orientation == 4:
        return image.flipver()
    if orientation == 5:
        return image.rot90().fliphor()
    if orientation == 6:
        return image.rot90()
    if orientation == 7:
        return image.rot270().fliphor()
    if orientation == 8:
        return image.rot270()
    return image


def _to_srgb(image: pyvips.Image) -> pyvips.Image:
    if image.get_typeof("icc-profile-data") != 0:
        # The embedded profile defines the colours: CMYK, Adobe RGB, and XYB JPEGs
        # (icc/jpegli_xyb.jpg), which are unrecognisable without it.
        try:
            return image.icc_transform("srgb", embedded=True, intent="perceptual").copy_memory()
        except pyvips.Error:
            pass  # a broken profile: fall back to the interpretation libvips assumes
    if image.interpretation not in ("srgb",):
        image = image.colourspace("srgb")
    return image.cast("uchar") if image.format != "uchar" else image


def _on_white(rgb: Pixels, alpha: Pixels | None) -> Pixels:
    if alpha is None:
        return rgb
    weight = alpha[..., None].astype(np.float32) / 255.0
    flat: Pixels = np.clip(rgb * weight + 255.0 * (1.0 - weight) + 0.5, 0, 255).astype(np.uint8)
    return flat


def dominant_colors(rgb: Pixels) -> list[tuple[str, float]]:
    """Up to `MAX_COLORS` colours as ("#RRGGBB", percent), most frequent first.

    Pixels are grouped into 512 boxes (3 bits per channel) and each box is reported as the
    mean of its pixels, so a flat colour keeps its exact value."""
    total = int(rgb.shape[0])
    if total == 0:
        return []
    boxes = ((rgb[:, 0] >> 5).astype(np.int64) << 6) | ((rgb[:, 1] >> 5).astype(np.int64) << 3) \
        | (rgb[:, 2] >> 5).astype(np.int64)
    counts = np.bincount(boxes, minlength=512)
    sums = [np.bincount(boxes, weights=rgb[:, c], minlength=512) for c in range(3)]
    colors: list[tuple[str, float]] = []
    for box in np.argsort(-counts, kind="stable")[:MAX_COLORS]:
        percent = round(100.0 * float(counts[box]) / total, 1)
        if percent <= 0.0:
            break
        red, green, blue = (int(round(float(s[box]) / float(counts[box]))) for s in sums)
        colors.append((f"#{red:02X}{green:02X}{blue:02X}", percent))
    return colors


def google_palette_shares(rgb: Pixels) -> list[tuple[str, float]]:
    """Share of each of Google's twelve colour names, most frequent first.

    Dark pixels are black, unsaturated ones gray or white, dark orange-red ones brown; the
    rest are named by hue sector (`_HUE_SECTORS`)."""
    total = int(rgb.shape[0])
    if total == 0:
        return []
    import cv2
    hsv = cv2.cvtColor(rgb.reshape(1, -1, 3), cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3)
    hue = hsv[:, 0].astype(np.float32) * (360.0 / 256.0)
    sat = hsv[:, 1].astype(np.float32) / 255.0
    val = hsv[:, 2].astype(np.float32) / 255.0
    names = np.full(total, _GOOGLE_NAMES.index("red"), dtype=np.int64)
    lower = 0.0
    for upper, name in _HUE_SECTORS:
        names[(hue >= lower) & (hue < upper)] = _GOOGLE_NAMES.index(name)
        lower = upper
    names[(hue >= 10) & (hue < 45) & (val < 0.6)] = _GOOGLE_NAMES.index("brown")
    names[(sat < 0.15) & (val <= 0.85)] = _GOOGLE_NAMES.index("gray")
    names[(sat < 0.15) & (val > 0.85)] = _GOOGLE_NAMES.index("white")
    names[val < 0.2] = _GOOGLE_NAMES.index("black")
    counts = np.bincount(names, minlength=len(_GOOGLE_NAMES))
    shares = [(name, round(100.0 * float(counts[i]) / total, 1))
              for i, name in enumerate(_GOOGLE_NAMES)]
    return sorted((s for s in shares if s[1] > 0.0), key=lambda s: -s[1])


def illustration_score(rgb: Pixels) -> float:
    """0 (photo) .. 1 (illustration): how much of the picture its 16 most common colours
    cover, at 4 bits per channel. Drawings and logos are a few flat colours (coverage near 1);
    photos spread over thousands (coverage mostly below 0.4). Cheap, and fooled by flat
    photos such as a clear sky."""
    total = int(rgb.shape[0])
    if total == 0:
        return 0.0
    boxes = ((rgb[:, 0] >> 4).astype(np.int64) << 8) | ((rgb[:, 1] >> 4).astype(np.int64) << 4) \
        | (rgb[:, 2] >> 4).astype(np.int64)
    counts = np.sort(np.bincount(boxes, minlength=4096))[::-1]
    coverage = float(counts[:16].sum()) / total
    return round(min(1.0, max(0.0, (coverage - 0.4) / 0.5)), 2)


def _looks_gray(rgb: Pixels) -> bool:
    # JPEG chroma noise leaves a few levels of spread in gray pictures.
    if rgb.shape[0] == 0:
        return False
    spread = rgb.max(axis=1).astype(np.int16) - rgb.min(axis=1).astype(np.int16)
    return bool(float(np.count_nonzero(spread > 12)) / rgb.shape[0] < 0.005)


_detector_lock = threading.Lock()


@functools.cache
def _face_detector() -> cv2.CascadeClassifier:
    import cv2
    if not hasattr(cv2, "CascadeClassifier"):
        raise RuntimeError("OpenCV without Haar cascades (OpenCV 5 moved them out); "
                           "install opencv-python-headless<5")
    cascades = str(cv2.data.haarcascades)  # type: ignore[attr-defined]  # missing from stubs
    detector = cv2.CascadeClassifier(cascades + "haarcascade_frontalface_default.xml")
    if detector.empty():
        raise RuntimeError("OpenCV's frontal-face Haar cascade did not load")
    return detector


def _faces(rgb: Pixels, probe: Probe) -> list[tuple[int, int, int, int]]:
    """Face boxes (x, y, w, h) in display-orientation pixels of the full image."""
    import cv2
    gray = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY))
    # Coarse scale steps and many neighbours: the defaults (1.1, 3) find faces in the
    # waterfall of orientation/landscape_*.jpg; these settings keep every corpus portrait.
    smallest = max(20, min(gray.shape) // 16)
    with _detector_lock:  # CascadeClassifier is not documented as thread-safe
        found = _face_detector().detectMultiScale(gray, scaleFactor=1.2, minNeighbors=8,
                                                  minSize=(smallest, smallest))
    scale_x = probe.display_width / gray.shape[1]
    scale_y = probe.display_height / gray.shape[0]
    boxes = [(round(x * scale_x), round(y * scale_y), round(w * scale_x), round(h * scale_y))
             for x, y, w, h in (tuple(int(v) for v in box) for box in found)]
    return sorted(boxes)
