"""Previews (tessera.media.preview): the 1/8 decode kept at upload stands in for the original's
decode without changing a byte of any derivative."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tessera.media import preview as previews
from tessera.render.pipeline import Source
from tests.render.synthetic import Renderer

# Large photos: orientation 6, a wide panorama, an Adobe RGB profile.
SOURCES = ("jpeg/phone_photo_4032x3024_orient6.jpg", "gps/nokia_phone_n_e.jpg",
           "icc/adobe_rgb_1998_photo.jpg")
# Each decodes these sources at 1/8: fit, fill with saliency, turned and filtered, a layer of
# itself, WebP output.
TRANSFORMATIONS = ("c_fit,h_120,w_120", "c_fill,g_auto,h_90,w_90",
                   "a_90,c_scale,w_100/e_grayscale", "c_fit,w_100/l_self,w_40/fl_layer_apply",
                   "c_limit,w_110/f_webp")
# A CMYK JPEG (100x100), which Pillow's fast 1/8 path hands back to libvips.
CMYK = ("jpeg/cmyk_adobe.jpg", ("c_fit,h_12,w_12", "c_fill,h_10,w_10/e_sepia"))


class Decodes:
    """Counts the decodes of originals (the preview module's only way to an original)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = previews.load_image

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(previews, "load_image", counted)


def with_preview(renderer: Renderer, corpus: Path, name: str, tmp_path: Path) -> Source:
    source = renderer.file(corpus / name)
    out = tmp_path / (Path(name).stem + previews.SUFFIX)
    assert previews.make(source.locate(), source.probe, out)
    return dataclasses.replace(source, preview=lambda: out)


@pytest.mark.parametrize(("name", "transformations"),
                         [*((name, TRANSFORMATIONS) for name in SOURCES), CMYK])
def test_derivatives_from_a_preview_are_the_same_bytes(
        renderer: Renderer, corpus: Path, tmp_path: Path, name: str,
        transformations: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    plain = renderer.file(corpus / name)
    fast = with_preview(renderer, corpus, name, tmp_path)
    decodes = Decodes(monkeypatch)
    for text in transformations:
        ext = "webp" if "f_webp" in text else "jpg"
        layers = {"self": plain}
        expected = renderer.render(plain, text, ext, layers=layers).rendered.data
        before = decodes.count
        got = renderer.render(fast, text, ext, layers={"self": fast}).rendered.data
        assert got == expected, text
        assert decodes.count == before, f"{text}: decoded the original despite the preview"
    # Larger than an eighth: the original is decoded, the preview left alone.
    before = decodes.count
    big = renderer.render(fast, "c_scale,w_0.5", "jpg").rendered.data
    assert decodes.count == before + 1
    assert big == renderer.render(plain, "c_scale,w_0.5", "jpg").rendered.data


def test_a_render_from_the_preview_never_locates_the_original(
        renderer: Renderer, corpus: Path, tmp_path: Path) -> None:
    # Locating a remote original downloads it: a render from the preview must not.
    fast = with_preview(renderer, corpus, SOURCES[0], tmp_path)
    expected = renderer.render(fast, TRANSFORMATIONS[0], "jpg").rendered.data

    def unreachable() -> Path:
        raise AssertionError("the original was located")

    offline = dataclasses.replace(fast, locate=unreachable)
    assert renderer.render(offline, TRANSFORMATIONS[0], "jpg").rendered.data == expected
    with pytest.raises(AssertionError, match="located"):
        renderer.render(offline, "c_scale,w_0.5", "jpg")


def test_derivatives_that_keep_metadata_decode_the_original(
        renderer: Renderer, corpus: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fast = with_preview(renderer, corpus, SOURCES[0], tmp_path)
    decodes = Decodes(monkeypatch)
    kept = renderer.render(fast, "c_fit,w_100/fl_keep_iptc", "jpg")
    assert decodes.count == 1
    assert kept.image.get_typeof("exif-data") != 0


def test_an_unreadable_preview_falls_back_to_the_original(
        renderer: Renderer, corpus: Path, tmp_path: Path) -> None:
    plain = renderer.file(corpus / SOURCES[0])
    broken = tmp_path / "broken.v"
    broken.write_bytes(b"not a vips file")
    missing = tmp_path / "missing.v"
    expected = renderer.render(plain, TRANSFORMATIONS[0], "jpg").rendered.data
    for path in (broken, missing):
        source = dataclasses.replace(plain, preview=lambda p=path: p)  # type: ignore[misc]
        assert renderer.render(source, TRANSFORMATIONS[0], "jpg").rendered.data == expected


def test_which_originals_get_one(renderer: Renderer, corpus: Path, tmp_path: Path) -> None:
    photo = renderer.file(corpus / SOURCES[0]).probe  # 12 MP
    assert previews.wanted(photo)
    assert not previews.wanted(renderer.file(corpus / "icc/adobe_rgb_1998_photo.jpg").probe)
    assert not previews.wanted(dataclasses.replace(photo, format="png"))
    assert not previews.wanted(dataclasses.replace(photo, frames=2))
    # A JPEG too small to decode at 1/8: no preview, no file left.
    tiny = renderer.file(corpus / "metadata-edge/two_exif_segments.jpg")
    out = tmp_path / "tiny.v"
    assert not previews.make(tiny.locate(), tiny.probe, out)
    assert not out.exists()


def test_keys_sit_beside_the_original() -> None:
    assert previews.preview_key("originals/acme/ab/abcdef") == "previews/acme/ab/abcdef.v"

