"""probe_file and sniff on synthetic files: type by content, budgets before decode, strict
decoding, orientation, and the libvips lock-down."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import pyvips
from PIL import Image

from tessera.errors import ImageRejected, ImageTooLarge
from tessera.media.decode import deadline, harden_libvips
from tessera.media.sniff import sniff
from tests.media.images import (
    jpeg_with_orientation,
    png_declaring,
    probe,
    quadrants,
    save,
    solid,
    stored_for,
    textured,
)


def test_type_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    path = save(solid(30, 20, (9, 9, 9)), tmp_path / "photo.jpg", format="PNG")
    found = probe(path)
    assert (found.format, found.mime, found.width, found.height) == ("png", "image/png", 30, 20)


@pytest.mark.parametrize("fmt,name", [("JPEG", "jpg"), ("PNG", "png"), ("GIF", "gif"),
                                      ("WEBP", "webp"), ("TIFF", "tiff"), ("BMP", "bmp"),
                                      ("AVIF", "avif")])
def test_each_accepted_format_is_probed(tmp_path: Path, fmt: str, name: str) -> None:
    path = save(textured(1, 64), tmp_path / "image.bin", format=fmt)
    found = probe(path)
    assert (found.format, found.width, found.height, found.frames) == (name, 64, 64, 1)
    assert (found.orientation, found.display_width, found.display_height) == (1, 64, 64)
    assert found.has_alpha is False


def test_heic_is_probed_through_pillow_heif(tmp_path: Path) -> None:
    import pillow_heif

    pillow_heif.from_bytes(mode="RGB", size=(48, 32),
                           data=quadrants(48, 32).tobytes()).save(tmp_path / "a.heic")
    found = probe(tmp_path / "a.heic")
    assert (found.format, found.mime, found.width, found.height) == ("heic", "image/heic", 48, 32)


@pytest.mark.parametrize("head,message", [
    (b"", "Empty file"),
    (b"%PDF-1.7\n", "Unsupported file type: PDF"),
    (b"%!PS-Adobe-3.0\n", "Unsupported file type: PostScript"),
    (b"PK\x03\x04rest", "Unsupported file type: ZIP"),
    (b"AT&TFORM\x00\x00", "Unsupported file type: DjVu"),
    (b"<!DOCTYPE html><html></html>", "Unsupported file type: HTML"),
    (b"<?xml version='1.0'?><html/>", "Unsupported file type: HTML"),
    (b"<?xml version='1.0'?><note/>", "Unsupported file type: XML"),
    (b"push graphic-context\nviewbox 0 0 10 10\n", "Unsupported file type: MVG"),
    (b"hello, world\n", "Unsupported file type: text"),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "Unsupported file type: video"),
    (b"\x00\x01\x02\x03\xfe\xff", "Unsupported file type"),
    (gzip.compress(b"{\"json\": true}"), "Unsupported file type: gzip"),
])
def test_sniff_refuses_what_is_not_an_image(head: bytes, message: str) -> None:
    with pytest.raises(ImageRejected) as refused:
        sniff(head)
    assert refused.value.message == message


def test_sniff_finds_svg_after_a_long_prolog() -> None:
    prolog = b"<?xml version='1.0'?>\n" + b"<!-- comment -->\n" * 500
    doctype = b"<!DOCTYPE svg [ <!-- > inside the subset --> ]>"
    assert sniff(prolog + doctype + b"<svg xmlns='http://www.w3.org/2000/svg'/>").format == "svg"
    assert sniff(gzip.compress(b"<svg/>")).compressed is True


def test_sniff_is_linear_on_a_hostile_prolog() -> None:
    # Thousands of unterminated comments: a backtracking regex would take minutes here.
    with pytest.raises(ImageRejected):
        sniff(b"<!--" * 16000)


def test_pixel_bomb_is_refused_from_the_header(tmp_path: Path) -> None:
    path = png_declaring(tmp_path / "bomb.png", 60000, 60000)
    with pytest.raises(ImageTooLarge) as refused:
        probe(path)
    assert "60000x60000" in refused.value.message
    assert refused.value.status == 400


def test_pixel_limit_is_inclusive(tmp_path: Path) -> None:
    path = save(solid(10, 10, (1, 2, 3)), tmp_path / "a.png")
    assert probe(path, max_pixels=100).width == 10
    with pytest.raises(ImageTooLarge):
        probe(path, max_pixels=99)


def test_frame_limit(tmp_path: Path) -> None:
    frames = [Image.fromarray(solid(8, 8, (40 * i, 0, 0))) for i in range(5)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=50)
    assert probe(tmp_path / "a.gif").frames == 5
    with pytest.raises(ImageTooLarge) as refused:
        probe(tmp_path / "a.gif", max_frames=4)
    assert refused.value.message == "Image has too many frames: 5 exceeds the limit of 4"


def test_apng_frames_are_counted(tmp_path: Path) -> None:
    frames = [Image.fromarray(solid(8, 6, (0, 60 * i, 0))) for i in range(3)]
    frames[0].save(tmp_path / "a.png", save_all=True, append_images=frames[1:], duration=40)
    found = probe(tmp_path / "a.png")
    assert (found.format, found.frames, found.width, found.height) == ("png", 3, 8, 6)


@pytest.mark.parametrize("fmt,label", [("JPEG", "JPEG"), ("PNG", "PNG"), ("WEBP", "WebP")])
def test_truncated_file_is_refused(tmp_path: Path, fmt: str, label: str) -> None:
    whole = save(textured(2, 200), tmp_path / "whole", format=fmt).read_bytes()
    (tmp_path / "cut").write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(ImageRejected) as refused:
        probe(tmp_path / "cut")
    assert refused.value.message.startswith("Invalid image file: ")
    assert label in refused.value.message


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_the_display_size(tmp_path: Path, orientation: int) -> None:
    stored = stored_for(quadrants(120, 80), orientation)
    found = probe(jpeg_with_orientation(stored, tmp_path / "a.jpg", orientation))
    assert found.orientation == orientation
    assert (found.width, found.height) == (stored.shape[1], stored.shape[0])
    assert (found.display_width, found.display_height) == (120, 80)


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_invalid_orientation_counts_as_1(tmp_path: Path, value: int) -> None:
    from tests.media.images import exif_bytes

    path = save(solid(30, 10, (5, 5, 5)), tmp_path / "a.jpg", exif=exif_bytes(orientation=value))
    found = probe(path)
    assert (found.orientation, found.display_width, found.display_height) == (1, 30, 10)


def test_alpha_is_reported(tmp_path: Path) -> None:
    pixels = np.dstack([solid(4, 4, (1, 2, 3)), np.full((4, 4, 1), 128, np.uint8)])
    assert probe(save(pixels, tmp_path / "a.png")).has_alpha is True
    assert probe(save(pixels[..., :3], tmp_path / "b.png")).has_alpha is False


def test_untrusted_and_unlisted_loaders_are_blocked(tmp_path: Path) -> None:
    harden_libvips()
    matrix = tmp_path / "m.mat"
    matrix.write_text("2 2\n1 2\n3 4\n")
    with pytest.raises(pyvips.Error, match="blocked"):
        pyvips.Image.matrixload(str(matrix))
    svg = tmp_path / "a.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/>")
    with pytest.raises(pyvips.Error, match="blocked"):
        pyvips.Image.svgload(str(svg))  # only from an inspected buffer
    with pytest.raises(pyvips.Error):  # nothing can guess its way to a blocked loader
        pyvips.Image.new_from_file(str(matrix)).avg()
    assert pyvips.Image.pngload(str(save(solid(2, 2, (1, 1, 1)), tmp_path / "ok.png"))).avg() == 1


def test_deadline_kills_a_long_computation() -> None:
    image = pyvips.Image.black(20000, 20000).copy()
    with pytest.raises(ImageRejected) as refused, deadline(image, 0.0):
        image.avg()
    assert refused.value.message == "Invalid image file: decoding took too long"
