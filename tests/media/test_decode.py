"""load_image: the right decoder for each type, frames stacked as libvips stacks them, and the
Pillow / pillow-heif fallbacks handing over correct pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pillow_heif
import pytest
import pyvips
from PIL import Image

from tessera.errors import ImageRejected
from tessera.media.decode import load_image
from tests.media.images import probe, quadrants, save, solid


def _corners(path: Path) -> list[list[float]]:
    image = load_image(path, probe(path))
    w, h = image.width, image.height
    return [image.getpoint(x, y)[:3] for x, y in ((2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3))]


QUADRANT_CORNERS = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP", "GIF"])
def test_lossless_formats_decode_exactly(tmp_path: Path, fmt: str) -> None:
    options = {"lossless": True} if fmt == "WEBP" else {}
    path = save(quadrants(60, 40), tmp_path / "a.bin", format=fmt, **options)
    assert _corners(path) == QUADRANT_CORNERS


def test_bmp_palette_and_alpha_go_through_pillow(tmp_path: Path) -> None:
    palette = Image.fromarray(quadrants(40, 20)).convert("P")
    palette.save(tmp_path / "p.bmp")
    image = load_image(tmp_path / "p.bmp", probe(tmp_path / "p.bmp"))
    assert (image.width, image.height, image.bands, image.interpretation) == (40, 20, 3, "srgb")
    assert image.getpoint(1, 1) == [255, 0, 0]


def test_heic_decodes_through_pillow_heif(tmp_path: Path) -> None:
    pillow_heif.from_bytes(mode="RGB", size=(64, 48),
                           data=quadrants(64, 48).tobytes()).save(tmp_path / "a.heic",
                                                                  quality=-1)
    found = probe(tmp_path / "a.heic")
    image = load_image(tmp_path / "a.heic", found)
    assert (image.width, image.height, image.bands) == (64, 48, 3)
    for point, expected in zip(((8, 8), (56, 8), (8, 40), (56, 40)), QUADRANT_CORNERS,
                               strict=True):
        assert image.getpoint(*point) == pytest.approx(expected, abs=12)


def test_animated_gif_frames_stack(tmp_path: Path) -> None:
    frames = [Image.fromarray(solid(10, 6, (80 * i, 0, 0))) for i in range(3)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=70)
    found = probe(tmp_path / "a.gif")
    strip = load_image(tmp_path / "a.gif", found, n=-1)
    assert (strip.width, strip.height, strip.get("page-height")) == (10, 18, 6)
    assert load_image(tmp_path / "a.gif", found, page=2).getpoint(0, 0)[0] == 160


def test_apng_frames_come_from_pillow(tmp_path: Path) -> None:
    frames = [Image.fromarray(solid(8, 5, (0, 0, 100 * i))) for i in range(3)]
    frames[0].save(tmp_path / "a.png", save_all=True, append_images=frames[1:], duration=40)
    found = probe(tmp_path / "a.png")
    strip = load_image(tmp_path / "a.png", found, n=-1)
    assert (strip.width, strip.height, strip.get("page-height"), strip.get("n-pages")) == (
        8, 15, 5, 3)
    assert strip.get("delay") == [40, 40, 40]
    assert [strip.getpoint(0, 5 * i)[2] for i in range(3)] == [0, 100, 200]
    assert load_image(tmp_path / "a.png", found).getpoint(0, 0)[2] == 0  # libvips, first


def test_avif_sequence_comes_from_pillow(tmp_path: Path) -> None:
    frames = [Image.fromarray(solid(16, 16, (0, 200 * i, 0))) for i in range(2)]
    frames[0].save(tmp_path / "a.avif", save_all=True, append_images=frames[1:],
                   duration=100, quality=100)
    found = probe(tmp_path / "a.avif")
    assert (found.format, found.frames) == ("avif", 2)
    strip = load_image(tmp_path / "a.avif", found, n=-1)
    assert (strip.width, strip.height) == (16, 32)
    assert strip.getpoint(8, 24)[1] == pytest.approx(200, abs=8)


def test_jpeg_shrink_on_load(tmp_path: Path) -> None:
    path = save(quadrants(800, 400), tmp_path / "a.jpg")
    image = load_image(path, probe(path), shrink=4)
    assert (image.width, image.height) == (200, 100)


def test_a_file_damaged_after_probing_fails_cleanly(tmp_path: Path) -> None:
    # Truncated in place after probing: the load must not reuse a cached image of the old
    # file (that crashed the process with SIGBUS), and the lazy decode fails as an error.
    path = save(np.asarray(Image.effect_mandelbrot((300, 300), (-2, -1.5, 1, 1.5), 80)
                           .convert("RGB")), tmp_path / "a.jpg")
    found = probe(path)
    load_image(path, found).avg()
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(pyvips.Error, match="premature end"):
        load_image(path, found).avg()
    path.write_bytes(b"")
    with pytest.raises(ImageRejected):
        load_image(path, found)
