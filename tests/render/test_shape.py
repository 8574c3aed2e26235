"""Radius, border and opacity steps (§7): corner masks, frames outside the image, alpha."""

from __future__ import annotations

import pytest

from tests.render.goldens import Goldens
from tests.render.synthetic import CORPUS, RED, WHITE, Renderer, close, flat, quadrants


@pytest.fixture
def square(renderer: Renderer):  # type: ignore[no-untyped-def]
    return renderer.source(flat(100, 100, (0, 0, 255)))


def test_radius_clears_the_corners(renderer: Renderer, square) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(square, "r_20")
    assert out.image.bands == 4 and out.at(0, 0)[3] == 0 and out.at(50, 50)[3] == 255
    assert out.at(2, 2)[3] == 0 and out.at(20, 0)[3] == 255


def test_radius_per_corner_and_white_for_jpeg(renderer: Renderer, square) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(square, "r_0:30", "png")  # TL+BR square, TR+BL round (§7)
    assert out.at(0, 0)[3] == 255 and out.at(99, 99)[3] == 255
    assert out.at(99, 0)[3] == 0 and out.at(0, 99)[3] == 0
    jpg = renderer.render(square, "r_20", "jpg")
    assert close(jpg.at(0, 0), WHITE, 25)  # JPEG chroma bleeds a little blue
    coloured = renderer.render(square, "b_red,r_20", "jpg")
    assert close(coloured.at(0, 0), RED, 20)


def test_r_max_is_a_circle_or_an_ellipse(renderer: Renderer) -> None:
    out = renderer.render(renderer.source(quadrants(200, 100)), "r_max")
    assert 0 < out.at(0, 50)[3] < out.at(3, 50)[3] == 255  # touches the sides
    assert out.at(15, 15)[3] == 0 and out.at(100, 50)[3] == 255
    circle = renderer.render(renderer.source(quadrants(100, 100)), "c_fill,h_60,r_max,w_60")
    assert circle.size == (60, 60) and circle.at(5, 5)[3] == 0 and circle.at(30, 1)[3] > 0


def test_border_adds_a_frame_outside(renderer: Renderer, square) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(square, "bo_5px_solid_red", "jpg")  # case 85
    assert out.size == (110, 110)
    assert close(out.at(2, 50), RED, 30) and close(out.at(50, 50), (0, 0, 255), 30)
    rounded = renderer.render(square, "bo_4px_solid_rgb:00ff00,r_20", "png")
    assert rounded.size == (108, 108) and rounded.at(0, 0)[3] == 0
    assert close(rounded.at(54, 1), (0, 255, 0, 255), 30)


def test_opacity_scales_alpha(renderer: Renderer, square) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(square, "o_50", "png")  # case 88
    assert abs(out.at(50, 50)[3] - 128) <= 1
    assert close(renderer.render(square, "o_50", "jpg").at(50, 50), (128, 128, 255), 3)


@pytest.mark.parametrize(("text", "tolerance"), [
    ("c_fill,h_100,r_max,w_100", 1.5), ("r_10:20:30:40", 1.5),
    ("bo_6px_solid_rgb:ffcc00,r_24", 1.5),
    ("a_20,o_70", 1.5), ("c_fill,g_north,h_150,w_150/r_max/a_10,e_sepia", 1.5),  # case 94
])
def test_shapes_match_their_goldens(renderer: Renderer, goldens: Goldens, text: str,
                                    tolerance: float) -> None:
    out = renderer.render(renderer.file(CORPUS / "jpeg/hopper_baseline.jpg"), text, "png")
    goldens.check("shape/" + text.replace(",", "-").replace(":", "_").replace("/", "+"),
                  out.image, tolerance)
