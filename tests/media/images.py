"""Synthetic images for the media tests, written with pyvips, Pillow and pillow-heif."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pyvips
from PIL import ExifTags, Image

from tessera.media.probe import Probe, probe_file
from tests.media.corpus import MAX_FRAMES, MAX_PIXELS


def probe(path: Path, **limits: int) -> Probe:
    return probe_file(path, max_pixels=limits.get("max_pixels", MAX_PIXELS),
                      max_frames=limits.get("max_frames", MAX_FRAMES))


def solid(width: int, height: int, color: tuple[int, ...]) -> np.ndarray[Any, Any]:
    return np.full((height, width, len(color)), color, dtype=np.uint8)


def quadrants(width: int = 120, height: int = 80) -> np.ndarray[Any, Any]:
    """Red, green / blue, white quadrants: any rotation or mirror shows."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    h, w = height // 2, width // 2
    pixels[:h, :w] = (255, 0, 0)
    pixels[:h, w:] = (0, 255, 0)
    pixels[h:, :w] = (0, 0, 255)
    pixels[h:, w:] = (255, 255, 255)
    return pixels


def textured(seed: int, size: int = 256) -> np.ndarray[Any, Any]:
    """A smooth random picture (upsampled noise), different for every seed."""
    coarse = np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(image)


def save(pixels: np.ndarray[Any, Any], path: Path, **options: Any) -> Path:
    Image.fromarray(pixels).save(path, **options)
    return path


def jpeg_with_orientation(pixels: np.ndarray[Any, Any], path: Path, orientation: int) -> Path:
    image = pyvips.Image.new_from_array(pixels, interpretation="srgb").copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    image.jpegsave(str(path), Q=95)
    return path


def stored_for(pixels: np.ndarray[Any, Any], orientation: int) -> np.ndarray[Any, Any]:
    """The stored pixels that display as `pixels` under EXIF `orientation`."""
    inverse = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1],
               4: lambda a: a[::-1], 5: lambda a: a.transpose(1, 0, 2),
               6: lambda a: np.rot90(a, 1), 7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
               8: lambda a: np.rot90(a, -1)}
    return np.ascontiguousarray(inverse[orientation](pixels))


def exif_bytes(*, make: str | None = None, gps: dict[int, Any] | None = None,
               date: str | None = None, orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    if make is not None:
        exif[ExifTags.Base.Make] = make
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if date is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = date
    if gps is not None:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(gps)
    return exif.tobytes()


def png_declaring(path: Path, width: int, height: int) -> Path:
    """A valid PNG header declaring width x height, with one tiny IDAT: a pixel bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    return path
