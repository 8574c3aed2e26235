"""analyse on synthetic images: colours, palette, hash, transparency, grayscale, faces,
GPS, dates and escaped metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import imagehash
import numpy as np
import pytest
from PIL import ExifTags, Image

from tessera.media.metadata import analyse
from tests.media.corpus import CORPUS_DIR
from tests.media.images import (
    exif_bytes,
    jpeg_with_orientation,
    probe,
    quadrants,
    save,
    solid,
    stored_for,
    textured,
)


def _analyse(path: Path, **options: Any) -> Any:
    return analyse(path, probe(path), **options)


def test_pure_red_is_one_red_colour(tmp_path: Path) -> None:
    result = _analyse(save(solid(64, 48, (255, 0, 0)), tmp_path / "red.png"))
    assert result.colors == [("#FF0000", 100.0)]
    assert result.predominant == {"google": [("red", 100.0)]}
    assert (result.grayscale, result.semi_transparent) == (False, False)
    assert result.illustration_score == 1.0
    assert result.image_metadata["Colorspace"] == "RGB"


def test_colours_are_shares_sorted_descending(tmp_path: Path) -> None:
    pixels = solid(100, 100, (255, 255, 255))
    pixels[:, :25] = (0, 0, 255)  # 25 % blue
    pixels[:, 25:35] = (0, 128, 0)  # 10 % green
    result = _analyse(save(pixels, tmp_path / "a.png"))
    assert result.colors == [("#FFFFFF", 65.0), ("#0000FF", 25.0), ("#008000", 10.0)]
    assert result.predominant["google"] == [("white", 65.0), ("blue", 25.0), ("green", 10.0)]


def test_at_most_32_colours(tmp_path: Path) -> None:
    noise = np.random.default_rng(7).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    result = _analyse(save(noise, tmp_path / "noise.png"))
    assert len(result.colors) == 32
    assert all(c[0].startswith("#") and c[0] == c[0].upper() and len(c[0]) == 7
               for c in result.colors)
    assert [c[1] for c in result.colors] == sorted((c[1] for c in result.colors), reverse=True)
    assert result.illustration_score == 0.0


@pytest.mark.parametrize("rgb,name", [((250, 250, 250), "white"), ((10, 10, 10), "black"),
                                      ((128, 128, 128), "gray"), ((255, 140, 0), "orange"),
                                      ((250, 230, 0), "yellow"), ((0, 128, 128), "teal"),
                                      ((120, 30, 200), "purple"), ((255, 80, 180), "pink"),
                                      ((110, 60, 20), "brown"), ((20, 40, 220), "blue")])
def test_google_palette_names(tmp_path: Path, rgb: tuple[int, int, int], name: str) -> None:
    result = _analyse(save(solid(16, 16, rgb), tmp_path / "a.png"))
    assert result.predominant["google"] == [(name, 100.0)]


def test_real_alpha_is_semi_transparent(tmp_path: Path) -> None:
    alpha = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (64, 1))[..., None]
    translucent = np.dstack([solid(64, 64, (0, 0, 255)), alpha])
    assert _analyse(save(translucent, tmp_path / "a.png")).semi_transparent is True
    opaque = np.dstack([solid(64, 64, (0, 0, 255)), np.full((64, 64, 1), 255, np.uint8)])
    result = _analyse(save(opaque, tmp_path / "b.png"))
    assert result.semi_transparent is False
    assert result.colors == [("#0000FF", 100.0)]


def test_transparent_pixels_have_no_colour(tmp_path: Path) -> None:
    pixels = np.dstack([solid(40, 40, (0, 255, 0)), np.zeros((40, 40, 1), np.uint8)])
    pixels[:20, :, :] = (255, 0, 0, 255)  # top half opaque red, bottom half invisible green
    assert _analyse(save(pixels, tmp_path / "a.png")).colors == [("#FF0000", 100.0)]


def test_grayscale(tmp_path: Path) -> None:
    gray = Image.fromarray(textured(3)[..., 0])
    gray.save(tmp_path / "l.png")
    single = _analyse(tmp_path / "l.png")
    assert single.grayscale is True
    assert single.image_metadata["Colorspace"] == "Gray"
    as_rgb = np.repeat(textured(3)[..., :1], 3, axis=2)
    assert _analyse(save(as_rgb, tmp_path / "rgb.jpg", quality=90)).grayscale is True
    assert _analyse(save(textured(3), tmp_path / "color.png")).grayscale is False


def test_phash_is_stable_under_resizing_and_tells_pictures_apart(tmp_path: Path) -> None:
    original = _analyse(save(textured(11, 512), tmp_path / "a.png")).phash
    small = Image.fromarray(textured(11, 512)).resize((200, 200), Image.Resampling.LANCZOS)
    small.save(tmp_path / "small.jpg", quality=85)
    resized = _analyse(tmp_path / "small.jpg").phash
    other = _analyse(save(textured(12, 512), tmp_path / "b.png")).phash
    assert len(original) == 16 and int(original, 16) >= 0
    assert imagehash.hex_to_hash(original) - imagehash.hex_to_hash(resized) <= 2
    assert imagehash.hex_to_hash(original) - imagehash.hex_to_hash(other) >= 16


@pytest.mark.parametrize("orientation", range(2, 9))
def test_analysis_sees_the_picture_upright(tmp_path: Path, orientation: int) -> None:
    upright = quadrants(160, 96)
    reference = _analyse(jpeg_with_orientation(upright, tmp_path / "1.jpg", 1)).phash
    stored = stored_for(upright, orientation)
    tagged = _analyse(jpeg_with_orientation(stored, tmp_path / "n.jpg", orientation)).phash
    assert imagehash.hex_to_hash(reference) - imagehash.hex_to_hash(tagged) <= 2


def test_faces_in_display_coordinates() -> None:
    path = CORPUS_DIR / "jpeg" / "hopper_baseline.jpg"  # Grace Hopper, 128 x 128
    faces = _analyse(path).faces
    assert len(faces) == 1
    x, y, w, h = faces[0]
    assert 20 <= x <= 50 and 10 <= y <= 40 and 45 <= w <= 75 and w == h
    assert _analyse(path, faces=False).faces == []


def test_faces_follow_the_orientation(tmp_path: Path) -> None:
    portrait = np.asarray(Image.open(CORPUS_DIR / "jpeg" / "hopper_baseline.jpg").convert("RGB"))
    canvas = solid(256, 128, (200, 200, 200))
    canvas[:, 128:] = portrait  # the face in the right half, displayed 256 x 128
    path = jpeg_with_orientation(stored_for(canvas, 6), tmp_path / "six.jpg", 6)
    faces = _analyse(path).faces
    assert len(faces) == 1
    assert faces[0][0] >= 128  # right half of the displayed picture


def test_no_faces_in_a_flat_picture(tmp_path: Path) -> None:
    assert _analyse(save(textured(5), tmp_path / "a.png")).faces == []



def test_gps_and_date_from_exif(tmp_path: Path) -> None:
    gps = {ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (33.0, 51.0, 21.6),
           ExifTags.GPS.GPSLongitudeRef: "W", ExifTags.GPS.GPSLongitude: (70.0, 30.0, 0.0)}
    exif = exif_bytes(make="Acme", gps=gps, date="2021:02:03 04:05:06")
    result = _analyse(save(textured(1), tmp_path / "a.jpg", exif=exif))
    assert result.gps == pytest.approx((-(33 + 51 / 60 + 21.6 / 3600), -70.5), abs=1e-9)
    assert result.datetime_original == "2021:02:03 04:05:06"
    assert result.image_metadata["Make"] == "Acme"
    assert result.image_metadata["GPSLatitudeRef"] == "South"
    assert result.image_metadata["DateTimeOriginal"] == "2021:02:03 04:05:06"


@pytest.mark.parametrize("gps", [
    {ExifTags.GPS.GPSLatitude: (1.0, 0.0, 0.0), ExifTags.GPS.GPSLongitude: (1.0, 0.0, 0.0)},
    {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (95.0, 0.0, 0.0),
     ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (10.0, 0.0, 0.0)},
    {ExifTags.GPS.GPSLatitudeRef: "X", ExifTags.GPS.GPSLatitude: (10.0, 0.0, 0.0),
     ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (10.0, 0.0, 0.0)},
    {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (10.0, 75.0, 0.0),
     ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (10.0, 0.0, 0.0)},
    {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLongitudeRef: "E"},
], ids=["no-refs", "latitude-95", "bad-ref", "minutes-75", "refs-only"])
def test_no_position_from_incomplete_or_impossible_gps(tmp_path: Path,
                                                       gps: dict[int, Any]) -> None:
    exif = exif_bytes(gps=gps, date="not a date")
    result = _analyse(save(textured(1), tmp_path / "a.jpg", exif=exif))
    assert result.gps is None
    assert result.datetime_original is None


def test_metadata_is_plain_escaped_text(tmp_path: Path) -> None:
    exif = exif_bytes(make="<img src=x onerror=alert(1)>\x00\x07Acme & Co")
    result = _analyse(save(textured(1), tmp_path / "a.jpg", exif=exif))
    assert result.image_metadata["Make"] == "&lt;img src=x onerror=alert(1)&gt;Acme &amp; Co"
    assert all(isinstance(k, str) and isinstance(v, str)
               for k, v in result.image_metadata.items())


def test_jfif_header_fields(tmp_path: Path) -> None:
    result = _analyse(save(textured(1), tmp_path / "a.jpg", dpi=(72, 72)))
    metadata = result.image_metadata
    assert (metadata["JFIFVersion"], metadata["ResolutionUnit"]) == ("1.01", "inches")
    assert (metadata["XResolution"], metadata["YResolution"]) == ("72", "72")


def test_icc_profile_description(tmp_path: Path) -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = _analyse(save(textured(1), tmp_path / "a.png", icc_profile=profile))
    assert "sRGB" in result.image_metadata["ProfileDescription"]


def test_illustration_scores_flat_art_above_photos(tmp_path: Path) -> None:
    flat = quadrants(200, 200)
    assert _analyse(save(flat, tmp_path / "flat.png")).illustration_score == 1.0
    photo = CORPUS_DIR / "jpeg" / "phone_photo_jolla.jpg"
    assert _analyse(photo).illustration_score < 0.3
