"""Encode step (§5, §6): every delivered format decodes, progressive and palette flags, quality,
colour management to sRGB, and metadata: stripped by default, kept only when asked."""

from __future__ import annotations

import pytest
import pyvips

from tessera.render.pipeline import ClientHints
from tests.render.synthetic import CORPUS, RED, Renderer, close, quadrants


@pytest.mark.parametrize(("extension", "loader"), [
    ("jpg", "jpegload_buffer"), ("png", "pngload_buffer"), ("webp", "webpload_buffer"),
    ("avif", "heifload_buffer"), ("gif", "gifload_buffer"),
])
def test_each_format_is_what_it_says(renderer: Renderer, extension: str, loader: str) -> None:
    out = renderer.render(renderer.source(quadrants(64, 32)), "c_scale,w_32", extension)
    assert out.rendered.format == extension
    assert out.image.get("vips-loader") == loader
    assert out.size == (32, 16) and close(out.at(4, 4), RED, 30)


def test_progressive_and_quality(renderer: Renderer) -> None:
    source = renderer.file(CORPUS / "jpeg/hopper_baseline.jpg")
    plain = renderer.render(source, "q_80", "jpg")
    progressive = renderer.render(source, "fl_progressive,q_80", "jpg")
    assert _has(progressive.image, "interlaced") and not _has(plain.image, "interlaced")
    steep = renderer.render(source, "fl_progressive:steep", "jpg")
    off = renderer.render(source, "fl_progressive:none", "jpg")
    assert _has(steep.image, "interlaced") and not _has(off.image, "interlaced")
    assert len(renderer.render(source, "q_20", "jpg").rendered.data) < len(plain.rendered.data)


def test_png8_and_lossy_give_a_palette(renderer: Renderer) -> None:
    source = renderer.source(quadrants(64, 64))
    palette = renderer.render(source, "fl_png8", "png")
    assert palette.image.get("palette") == 1
    assert not _has(renderer.render(source, "fl_png32", "png").image, "palette")


def test_f_auto_transparent_result_becomes_png(renderer: Renderer) -> None:
    source = renderer.source(quadrants(40, 40))
    out = renderer.render(source, "f_auto,r_max", None, hints=ClientHints(accept="*/*"))
    assert out.rendered.format == "png" and out.rendered.mime == "image/png"
    opaque = renderer.render(source, "f_auto", None, hints=ClientHints(accept="*/*"))
    assert opaque.rendered.format == "jpg"


def _has(image: pyvips.Image, field: str) -> bool:
    return image.get_typeof(field) != 0


def test_metadata_is_stripped_unless_kept(renderer: Renderer) -> None:
    source = renderer.file(CORPUS / "gps/nokia_phone_n_e.jpg")
    stripped = renderer.render(source, "c_scale,w_100", "jpg")
    assert not _has(stripped.image, "exif-data") and not _has(stripped.image, "xmp-data")
    assert not _has(stripped.image, "icc-profile-data")
    kept = renderer.render(source, "c_scale,fl_keep_iptc,w_100", "jpg")
    assert _has(kept.image, "exif-data") and _has(kept.image, "icc-profile-data")
    assert "GPS" in " ".join(kept.image.get_fields())


def test_keep_attribution_keeps_only_artist_and_copyright(renderer: Renderer) -> None:
    image = quadrants(40, 40).copy()
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Copyright", "Tessera test")
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Make", "SecretCam")
    source = renderer.source(image, "jpg", keep="exif")
    out = renderer.render(source, "fl_keep_attribution", "jpg")
    fields = {name: str(out.image.get(name)) for name in out.image.get_fields()
              if name.startswith("exif-ifd0")}
    assert any("Tessera test" in value for value in fields.values())
    assert not any("SecretCam" in value for value in fields.values())


def test_wide_gamut_pixels_become_srgb(renderer: Renderer) -> None:
    source = renderer.file(CORPUS / "icc/adobe_rgb_1998_photo.jpg")
    converted = renderer.render(source, "c_scale,w_200", "png")
    assert not _has(converted.image, "icc-profile-data")
    copied = renderer.render(source, "c_scale,cs_copy,w_200", "png")
    assert "Adobe" in str(copied.image.get("icc-profile-data")[:400])
    tagged = renderer.render(source, "c_scale,fl_force_icc,w_200", "png")
    assert "sRGB".encode("utf-16-be") in tagged.image.get("icc-profile-data")
    # Adobe RGB values differ from their sRGB equivalents: converting changed the pixels.
    assert converted.image.avg() != copied.image.avg()


def test_cmyk_jpeg_comes_out_rgb(renderer: Renderer) -> None:
    cmyk = next(CORPUS.glob("jpeg/*cmyk*"))
    out = renderer.render(renderer.file(cmyk), "c_scale,w_64", "jpg")
    assert out.image.bands == 3 and out.image.interpretation == "srgb"
