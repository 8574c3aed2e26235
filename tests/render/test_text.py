"""Text layers (§4.3, §11.12): Roboto from the font-roboto package at the size in pixels,
colour from co_, styles, wrapping with c_fit,w_, DPR, decoded text, and refusals."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.errors import GrammarError
from tessera.render.pipeline import ClientHints, Source
from tests.render.goldens import Goldens, as_array
from tests.render.synthetic import RED, WHITE, Renderer, Result, close, flat


@pytest.fixture
def page(renderer: Renderer) -> Source:
    return renderer.source(flat(400, 200, WHITE))


def ink(out: Result, threshold: int = 128) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom) of the dark pixels."""
    grey = as_array(out.image)[:, :, :3].mean(axis=2)
    ys, xs = np.nonzero(grey < threshold)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def test_text_is_drawn_at_the_gravity(renderer: Renderer, page: Source) -> None:
    out = renderer.render(page, "g_south,l_text:Arial_20:Hello%20World")  # case 54
    left, top, right, bottom = ink(out)
    assert out.size == (400, 200)
    assert bottom >= 190 and 80 < left < 200 < right < 320
    assert 10 <= bottom - top <= 25  # 20-px text


def test_colour_and_offsets(renderer: Renderer, page: Source) -> None:
    out = renderer.render(page, "co_rgb:ff0000,g_north_west,l_text:Roboto_40_bold:Hi,x_10,y_20")
    grey = as_array(out.image)[:, :, :3]
    reds = np.argwhere((grey[:, :, 0] > 200) & (grey[:, :, 1] < 60))
    assert len(reds) > 50
    assert reds[:, 1].min() >= 10 and reds[:, 0].min() >= 20
    assert close(tuple(grey[reds[0][0], reds[0][1]]), RED, 60)


def test_size_and_dpr_scale_the_text(renderer: Renderer, page: Source) -> None:
    small = ink(renderer.render(page, "l_text:Arial_20:Size"))
    large = ink(renderer.render(page, "dpr_2.0,l_text:Arial_20:Size"))
    assert 1.8 < (large[2] - large[0]) / (small[2] - small[0]) < 2.2


def test_styles_change_the_rendering(renderer: Renderer, page: Source) -> None:
    renders = {style: as_array(renderer.render(page, f"l_text:Arial_30{style}:Styled").image)
               for style in ("", "_bold", "_italic", "_underline", "_letter_spacing_10")}
    plain = renders.pop("")
    for style, image in renders.items():
        assert np.abs(image.astype(int) - plain.astype(int)).mean() > 0.2, style
    bold_ink = (renders["_bold"][:, :, 0] < 128).sum()
    assert bold_ink > (plain[:, :, 0] < 128).sum() * 1.2


def test_fit_width_wraps_lines(renderer: Renderer, page: Source) -> None:
    one = ink(renderer.render(page, "l_text:Arial_20:one%20two%20three%20four"))
    wrapped = ink(renderer.render(page, "c_fit,l_text:Arial_20:one%20two%20three%20four,w_60"))
    assert wrapped[2] - wrapped[0] <= 60 < one[2] - one[0]
    assert wrapped[3] - wrapped[1] > 2 * (one[3] - one[1])


def test_text_is_decoded_twice(renderer: Renderer, page: Source) -> None:
    # case 56: `a%252Cb%252Fc%20100%25%20d` is the text "a,b/c 100% d"
    out = renderer.render(page, "l_text:Arial_30:a%252Cb%252Fc%20100%25%20d")
    same = renderer.render(page, "l_text:Arial_30:a%2Cb%2Fc%20100%25%20d")
    assert np.array_equal(as_array(out.image), as_array(same.image))


def test_background_box_and_png_transparency(renderer: Renderer) -> None:
    base = renderer.source(flat(200, 100, (0, 0, 255)))
    boxed = renderer.render(base, "b_white,co_black,l_text:Arial_30:Box")
    assert close(boxed.at(100, 50), WHITE) or close(boxed.at(100, 50), (0, 0, 0), 80)
    assert close(boxed.at(2, 2), (0, 0, 255))


def test_text_refusals(renderer: Renderer, page: Source) -> None:
    with pytest.raises(GrammarError):
        renderer.render(page, "l_text:sample_text_style:Stylish%20text")  # saved styles
    with pytest.raises(GrammarError):
        renderer.render(page, "l_text:Arial_5000:Huge")


def test_text_golden(renderer: Renderer, goldens: Goldens) -> None:
    base = renderer.source(flat(320, 120, (240, 240, 230)))
    out = renderer.render(base, "co_rgb:1a3c8c,g_center,l_text:Roboto_32_bold_italic_underline:"
                                "Tessera%20%C3%A9t%C3%A9", "png",
                          hints=ClientHints())
    goldens.check("text/bold_italic_underline", out.image, 3.0)  # font rasterisers drift
