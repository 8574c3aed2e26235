"""load_image: the right decoder for each type, frames stacked as libvips stacks them, and the
Pillow / pillow-heif fallbacks handing over correct pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pillow_heif
import pytest
import pyvips
from PIL import Image, JpegImagePlugin

from tessera.errors import ImageRejected
from tessera.media import decode
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


# JPEGs shrunk by 8 on load go through Pillow's libjpeg-turbo (faster at DC-only decoding).
EIGHTH = ["jpeg/phone_photo_4032x3024_orient6.jpg", "jpeg/phone_photo_jolla.jpg",
          "icc/adobe_rgb_1998_photo.jpg", "gps/nokia_phone_n_e.jpg", "metadata-edge/bad_exif.jpg",
          "orientation/landscape_6.jpg", "orientation/progressive_orient_3.jpg",
          "icc/icc_profile_512k_progressive.jpg", "metadata-edge/iptc.jpg"]


@pytest.mark.parametrize("name", EIGHTH)
def test_jpeg_at_an_eighth_has_libvips_pixels_and_metadata(
        corpus: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = corpus / name
    facts = probe(path)
    opened: list[str] = []
    jpeg_file = decode.JpegImagePlugin.JpegImageFile

    def spy(filename: str) -> JpegImagePlugin.JpegImageFile:
        opened.append(filename)
        return jpeg_file(filename)

    monkeypatch.setattr(decode.JpegImagePlugin, "JpegImageFile", spy)
    ours = load_image(path, facts, shrink=8, access="sequential")
    monkeypatch.undo()
    theirs = pyvips.Image.jpegload(str(path), shrink=8)
    assert opened == [str(path)]  # Pillow decoded it
    assert (ours.width, ours.height, ours.bands, ours.interpretation) == (
        theirs.width, theirs.height, theirs.bands, theirs.interpretation)
    assert (ours - theirs).abs().max() == 0  # the same libjpeg arithmetic, pixel for pixel
    for field in ("icc-profile-data", "exif-data", "xmp-data", "iptc-data", "orientation"):
        assert ours.get_typeof(field) == theirs.get_typeof(field), field
        if theirs.get_typeof(field):
            assert ours.get(field) == theirs.get(field), field


def test_jpeg_at_an_eighth_is_decoded_in_one_decoder_call(
        corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each call gives up the GIL and takes it back, which waits while the worker's event loop
    # runs: 64 KB at a time, this 3.3 MB photo would take about 50.
    path = corpus / "jpeg/phone_photo_4032x3024_orient6.jpg"
    assert path.stat().st_size > 20 * 65536
    calls: list[int] = []
    make_decoder = Image._getdecoder

    class Counting:
        def __init__(self, decoder: object) -> None:
            self._decoder = decoder

        def decode(self, data: bytes) -> tuple[int, int]:
            calls.append(len(data))
            return self._decoder.decode(data)  # type: ignore[attr-defined, no-any-return]

        def __getattr__(self, name: str) -> object:
            return getattr(self._decoder, name)

    monkeypatch.setattr(Image, "_getdecoder", lambda *args: Counting(make_decoder(*args)))
    image = load_image(path, probe(path), shrink=8, access="sequential")
    monkeypatch.undo()
    assert (image - pyvips.Image.jpegload(str(path), shrink=8)).abs().max() == 0
    assert len(calls) == 1


def test_jpeg_at_an_eighth_leaves_cmyk_and_odd_sizes_right(corpus: Path, tmp_path: Path) -> None:
    cmyk = corpus / "jpeg/cmyk_adobe.jpg"
    image = load_image(cmyk, probe(cmyk), shrink=8)
    assert (image.bands, image.interpretation) == (4, "cmyk")  # libvips decodes CMYK itself
    odd = save(quadrants(1001, 803), tmp_path / "odd.jpg", format="JPEG", quality=95)
    image = load_image(odd, probe(odd), shrink=8)
    theirs = pyvips.Image.jpegload(str(odd), shrink=8)
    assert (image.width, image.height) == (theirs.width, theirs.height) == (125, 100)
    assert (image - theirs).abs().max() == 0


def test_jpeg_pillow_refuses_goes_back_to_libvips(tmp_path: Path) -> None:
    # Truncated after the header probe accepted nothing: libvips' verdict stands.
    good = save(quadrants(800, 800), tmp_path / "good.jpg", format="JPEG", quality=90)
    facts = probe(good)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises((ImageRejected, pyvips.Error)):
        load_image(broken, facts, shrink=8).avg()
