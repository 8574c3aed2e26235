"""Angle step (§3.1): quarter turns, arbitrary angles onto a grown canvas, mirrors, lists, and
a_auto_right/left that turn only when the requested orientation differs (case 41)."""

from __future__ import annotations

import pytest

from tests.render.synthetic import BLUE, GREEN, RED, WHITE, YELLOW, Renderer, close, quadrants


@pytest.fixture
def source(renderer: Renderer):  # type: ignore[no-untyped-def]
    return renderer.source(quadrants(200, 100))


@pytest.mark.parametrize(("angle", "size", "top_left", "top_right"), [
    ("90", (100, 200), BLUE, RED),      # clockwise (case 38)
    ("-90", (100, 200), GREEN, YELLOW),
    ("180", (200, 100), YELLOW, BLUE),
    ("hflip", (200, 100), GREEN, RED),  # case 44
    ("vflip", (200, 100), BLUE, YELLOW),
    ("vflip.90", (100, 200), RED, BLUE),  # lists apply left to right (case 45)
])
def test_turns_and_mirrors(renderer: Renderer, source, angle: str, size: tuple[int, int],  # type: ignore[no-untyped-def]
                           top_left: tuple[int, ...], top_right: tuple[int, ...]) -> None:
    out = renderer.render(source, f"a_{angle}")
    assert out.size == size
    assert close(out.at(3, 3), top_left) and close(out.at(size[0] - 4, 3), top_right)


def test_arbitrary_angle_grows_the_canvas_with_clear_or_white_corners(renderer: Renderer,
                                                                      source) -> None:  # type: ignore[no-untyped-def]
    png = renderer.render(source, "a_45")
    assert png.size == (212, 212)  # the rotated bounding box of 200x100
    assert png.image.bands == 4 and png.at(2, 2)[3] == 0 and png.at(106, 106)[3] == 255
    jpg = renderer.render(source, "a_45", "jpg")
    assert close(jpg.at(2, 2), WHITE)
    coloured = renderer.render(source, "a_-20,b_rgb:00ff00", "jpg")  # case 39 with b_
    assert close(coloured.at(1, 1), GREEN, 20)


def test_auto_right_turns_only_when_orientations_differ(renderer: Renderer, source) -> None:  # type: ignore[no-untyped-def]
    portrait = renderer.render(source, "a_auto_right,c_fill,h_400,w_200")  # case 41
    assert portrait.size == (200, 400)
    assert close(portrait.at(5, 5), BLUE)  # turned clockwise before the fill
    left = renderer.render(source, "a_auto_left,c_fill,h_400,w_200")
    assert close(left.at(5, 5), GREEN)
    same = renderer.render(source, "a_auto_right,c_fill,h_100,w_200")
    assert close(same.at(5, 5), RED)


def test_exif_angle_is_the_default_orientation(renderer: Renderer, source) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(source, "a_exif")
    assert out.size == (200, 100) and close(out.at(3, 3), RED)
