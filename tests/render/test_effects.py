"""Effect step (§7): each effect checked for what it must do to pixels, and pinned by a golden
of Pillow's `hopper` test image (corpus jpeg/hopper_baseline.jpg, 128x128) rendered to PNG.
Tolerances are mean absolute differences on 0-255; 1.5 absorbs libvips/lcms rounding drift."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.errors import GrammarError
from tessera.render.pipeline import Source
from tests.render.goldens import Goldens, as_array
from tests.render.synthetic import CORPUS, Renderer, flat

# effect text → tolerance
CASES = {
    "e_grayscale": 1.5, "e_blackwhite": 3.0, "e_sepia": 1.5, "e_sepia:30": 1.5,
    "e_blur": 1.5, "e_blur:300": 1.5, "e_blur:2000": 1.5, "e_pixelate:8": 1.5,
    "e_sharpen": 1.5, "e_sharpen:400": 1.5, "e_unsharp_mask": 1.5,
    "e_brightness:30": 1.5, "e_brightness:-50": 1.5, "e_contrast:50": 1.5,
    "e_contrast:-50": 1.5, "e_saturation:-50": 1.5, "e_saturation:80": 1.5,
    "e_negate": 1.5, "e_gamma:50": 1.5, "e_hue:40": 1.5, "e_red:50": 1.5, "e_blue:-50": 1.5,
    "co_rgb:2060ff,e_colorize:60": 1.5, "e_vignette:60": 1.5, "e_auto_contrast": 1.5,
    "e_auto_color": 1.5, "e_auto_brightness": 1.5, "e_improve": 1.5,
    "e_blur_region:800,h_40,w_60,x_30,y_40": 1.5, "e_pixelate_region:6,g_south,h_40,w_128": 1.5,
}


@pytest.fixture
def hopper(renderer: Renderer) -> Source:
    return renderer.file(CORPUS / "jpeg/hopper_baseline.jpg")


@pytest.mark.parametrize("text", list(CASES))
def test_effect_matches_its_golden(renderer: Renderer, goldens: Goldens, hopper: Source,
                                   text: str) -> None:
    out = renderer.render(hopper, text, "png")
    assert out.size == (128, 128)
    name = text.replace(",", "-").replace(":", "_")
    goldens.check(f"effects/{name}", out.image, CASES[text])


def _array(renderer: Renderer, source: Source, text: str) -> np.ndarray:  # type: ignore[type-arg]
    return as_array(renderer.render(source, text, "png").image)[:, :, :3].astype(np.int16)


def test_effects_do_what_their_names_say(renderer: Renderer, hopper: Source) -> None:
    plain = _array(renderer, hopper, "c_scale,w_128")
    grey = _array(renderer, hopper, "e_grayscale")
    assert np.abs(grey[:, :, 0] - grey[:, :, 2]).max() <= 1
    negated = _array(renderer, hopper, "e_negate")
    assert np.abs(negated + plain - 255).max() <= 1
    assert _array(renderer, hopper, "e_blur:300").std() < plain.std()
    assert _array(renderer, hopper, "e_brightness:30").mean() > plain.mean() + 10
    assert _array(renderer, hopper, "e_contrast:50").std() > plain.std()
    bw = _array(renderer, hopper, "e_blackwhite")
    assert set(np.unique(bw)) <= {0, 255}
    blocks = _array(renderer, hopper, "e_pixelate:8")
    assert (blocks[8:16, 8:16] == blocks[8, 8]).all()


def test_face_effects_touch_only_the_faces(renderer: Renderer) -> None:
    image = flat(100, 100, (200, 200, 200))
    noisy = image.draw_rect([0, 0, 0], 20, 20, 4, 4, fill=True).draw_rect([0, 0, 0], 80, 80, 4,
                                                                          4, fill=True)
    source = renderer.source(noisy, faces=((10, 10, 30, 30),))
    out = _array(renderer, source, "e_pixelate_faces:10")
    assert out[81, 81, 0] == 0  # outside the face: untouched
    assert 0 < out[21, 21, 0] < 200  # inside: averaged


def test_alpha_is_left_alone_by_colour_effects(renderer: Renderer) -> None:
    source = renderer.source(flat(20, 20, (255, 0, 0, 128)))
    out = renderer.render(source, "e_grayscale", "png")
    assert out.at(10, 10)[3] == 128


@pytest.mark.parametrize("text", ["e_blur:5000", "e_sepia:abc", "e_negate:5", "e_cartoonify",
                                  "e_multiply"])
def test_bad_or_unsupported_effects_are_refused(renderer: Renderer, hopper: Source,
                                                text: str) -> None:
    with pytest.raises(GrammarError):
        renderer.render(hopper, text)
