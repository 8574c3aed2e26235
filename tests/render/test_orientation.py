"""EXIF orientation (§11.10) on the corpus: every orientation file renders at its display size
and upright, matching its orientation-1 sibling's pixels; a_ignore keeps the stored pixels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.render.goldens import as_array
from tests.render.synthetic import BLUE, CORPUS, GREEN, RED, Renderer, Result, close, quadrants

MANIFEST = [entry for entry in json.loads((CORPUS / "manifest.json").read_text())
            if entry["category"] == "orientation" and not entry["expected"]["expected_to_fail"]]
# Siblings that show the same picture upright: the orientation-1 file of each series, or for
# series without one (WebP, AVIF) its first member.
_SERIES = [(r"landscape_\d", "landscape_1.jpg"), (r"portrait_\d", "portrait_1.jpg"),
           (r"tiff_g4_orient_\d", "tiff_g4_orient_1.tif"),
           (r"webp_orient_\d", "webp_orient_2.webp"), (r"avif_irot", "avif_irot0_imir0.avif"),
           (r"progressive_orient_[1-4]", "progressive_orient_1.jpg"),
           (r"progressive_orient_[5-8]", "progressive_orient_5.jpg")]


def _reference(name: str) -> str | None:
    for pattern, sibling in _SERIES:
        if re.match(pattern, name) and name != sibling:
            return sibling
    return None


def _difference(a: np.ndarray, b: np.ndarray) -> float:  # type: ignore[type-arg]
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def _is_upright(out: Result, reference: Result) -> bool:
    """Our render matches the upright sibling better than any turned or mirrored version of
    it does (the series carry different digit labels, so equality is too strict)."""
    mine, theirs = as_array(out.image), as_array(reference.image)
    candidates = [mine[:, ::-1], mine[::-1, :], mine[::-1, ::-1]]
    if mine.shape[0] == mine.shape[1]:
        candidates += [np.rot90(mine, k) for k in (1, 3)]
        candidates += [np.rot90(mine, 1)[:, ::-1], np.rot90(mine, 1)[::-1, :]]
    straight = _difference(mine, theirs)
    return straight < 20 and all(straight < _difference(c, theirs) for c in candidates)


_small: dict[str, Result] = {}


def _render_small(renderer: Renderer, path: Path) -> Result:
    # Upright is judged on a small render (fast, and through shrink-on-load + prescale, the
    # path most requests take); the size check uses the full render.
    if path.name not in _small:
        _small[path.name] = renderer.render(renderer.file(path), "c_scale,w_120", "png")
    return _small[path.name]


@pytest.mark.parametrize("entry", MANIFEST, ids=[Path(e["path"]).name for e in MANIFEST])
def test_corpus_file_renders_at_display_size_and_upright(renderer: Renderer,
                                                         entry: dict) -> None:  # type: ignore[type-arg]
    expected = entry["expected"]
    path = CORPUS / entry["path"]
    out = renderer.render(renderer.file(path), "", "jpg")
    assert out.size == (expected["display_width"], expected["display_height"])
    sibling = _reference(path.name)
    if sibling is None:
        return
    small, reference = _render_small(renderer, path), _render_small(renderer, path.parent / sibling)
    assert small.size == reference.size
    assert _is_upright(small, reference)


def test_quadrants_turn_as_exif_orientation_6_says(renderer: Renderer) -> None:
    import pyvips

    stored = quadrants(200, 100).rot270()  # what a camera held upright-turned would store
    path = renderer.directory / "six.jpg"
    tagged = stored.copy()
    tagged.set_type(pyvips.GValue.gint_type, "orientation", 6)
    tagged.jpegsave(str(path), Q=95, keep="exif")
    source = renderer.file(path)
    assert source.probe.orientation == 6
    out = renderer.render(source, "c_scale,w_100", "png")
    assert out.size == (100, 50)
    assert close(out.at(5, 5), RED, 20) and close(out.at(95, 5), GREEN, 20)
    ignored = renderer.render(source, "a_ignore", "png")
    assert ignored.size == (100, 200)  # stored pixels, unturned
    assert close(ignored.at(5, 195), RED, 20) and close(ignored.at(95, 5), BLUE, 30) is False


def test_phone_photo_matches_libvips_thumbnail(renderer: Renderer) -> None:
    # 4032x3024 stored, EXIF 6: shrink-on-load, prescale in stored orientation, then the turn
    # must give what libvips' own thumbnail (which autorotates) gives.
    import pyvips

    path = CORPUS / "jpeg/phone_photo_4032x3024_orient6.jpg"
    out = renderer.render(renderer.file(path), "c_fit,h_400,w_400", "png")
    assert out.size == (300, 400)
    reference = pyvips.Image.thumbnail(str(path), 400, height=400)
    assert (reference.width, reference.height) == out.size
    assert _difference(as_array(out.image), as_array(reference)) < 4
