"""Resize, crop and pad steps on pixels: four coloured quadrants show where each cut landed."""

from __future__ import annotations

import pytest

from tests.render.synthetic import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    YELLOW,
    Renderer,
    close,
    flat,
    quadrants,
)


@pytest.fixture
def landscape(renderer: Renderer):  # type: ignore[no-untyped-def]
    return renderer.source(quadrants(400, 200))


@pytest.mark.parametrize(("text", "size"), [
    ("c_scale,w_100", (100, 50)), ("c_scale,h_50,w_300", (300, 50)),
    ("c_fit,h_300,w_300", (300, 150)), ("c_limit,h_1000,w_1000", (400, 200)),
    ("c_mfit,h_800,w_800", (800, 400)), ("c_fill,h_200,w_200", (200, 200)),
    ("c_lfill,h_100,w_800", (400, 100)), ("c_pad,h_300,w_300", (300, 300)),
    ("c_lpad,h_300,w_500", (500, 300)), ("c_mpad,h_100,w_100", (400, 200)),
    ("c_crop,h_80,w_100,x_20,y_30", (100, 80)), ("c_thumb,g_face,h_50,w_50", (50, 50)),
    ("c_fill_pad,g_auto,h_100,w_100", (100, 100)), ("ar_16:9,c_fill,w_320", (320, 180)),
    ("c_scale,w_0.5", (200, 100)), ("c_scale,dpr_2.0,w_100", (200, 100)),
])
def test_every_mode_delivers_its_size(renderer: Renderer, landscape, text: str,  # type: ignore[no-untyped-def]
                                      size: tuple[int, int]) -> None:
    assert renderer.render(landscape, text).size == size


def test_scale_keeps_the_quadrants_in_place(renderer: Renderer, landscape) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(landscape, "c_scale,w_100")
    assert close(out.at(10, 10), RED) and close(out.at(90, 10), GREEN)
    assert close(out.at(10, 40), BLUE) and close(out.at(90, 40), YELLOW)


@pytest.mark.parametrize(("gravity", "left", "right"), [
    ("west", RED, RED), ("east", GREEN, GREEN), ("center", RED, GREEN),
])
def test_fill_gravity_chooses_what_survives(renderer: Renderer, landscape, gravity: str,  # type: ignore[no-untyped-def]
                                            left: tuple[int, ...], right: tuple[int, ...]) -> None:
    out = renderer.render(landscape, f"c_fill,g_{gravity},h_100,w_100")
    assert out.size == (100, 100)
    assert close(out.at(5, 5), left) and close(out.at(94, 5), right)


def test_crop_cuts_unscaled_pixels_at_the_corner(renderer: Renderer, landscape) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(landscape, "c_crop,g_south_east,h_50,w_50")
    assert out.size == (50, 50) and close(out.at(25, 25), YELLOW)
    out = renderer.render(landscape, "c_crop,h_10,w_10,x_195,y_95")  # straddles the centre
    assert close(out.at(0, 0), RED) and close(out.at(9, 9), YELLOW)


def test_pad_places_the_image_by_gravity_on_the_background(renderer: Renderer, landscape) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(landscape, "b_rgb:ffcc00,c_pad,g_north,h_300,w_300", "jpg")
    assert close(out.at(150, 290), (255, 204, 0))  # padding below the image
    assert close(out.at(5, 5), RED)
    white = renderer.render(landscape, "c_pad,h_300,w_300", "jpg")
    assert close(white.at(150, 5), WHITE) and close(white.at(5, 100), RED)


def test_pad_is_transparent_for_png_and_b_auto_takes_the_edge_colour(renderer: Renderer) -> None:
    source = renderer.source(flat(200, 100, (10, 120, 200)))
    out = renderer.render(source, "c_pad,h_200,w_200", "png")
    assert out.image.bands == 4 and out.at(100, 5)[3] == 0 and out.at(100, 100)[3] == 255
    auto = renderer.render(source, "b_auto,c_pad,h_200,w_200", "png")
    assert close(auto.at(100, 5), (10, 120, 200, 255), 2)


def test_smart_crop_keeps_the_interesting_part(renderer: Renderer) -> None:
    image = flat(400, 200, (128, 128, 128))
    image = image.draw_rect([255, 0, 0], 320, 60, 40, 40, fill=True)  # the only detail
    source = renderer.source(image)
    out = renderer.render(source, "c_fill,g_auto,h_200,w_200")
    assert out.size == (200, 200)
    assert any(close(out.at(x, 80), RED) for x in range(0, 200, 4))
    crop = renderer.render(source, "c_crop,g_auto,h_100,w_100")
    assert crop.size == (100, 100)
    assert any(close(crop.at(x, y), RED) for x in range(0, 100, 5) for y in range(0, 100, 5))


def test_faces_steer_fill_and_thumb(renderer: Renderer) -> None:
    image = flat(600, 300, (90, 90, 90)).draw_rect([0, 255, 0], 480, 100, 60, 60, fill=True)
    source = renderer.source(image, faces=((480, 100, 60, 60),))
    out = renderer.render(source, "c_fill,g_face,h_300,w_300")
    assert close(out.at(210, 130), GREEN)  # the face is at 480-540 -> 180-240 in the window
    thumb = renderer.render(source, "c_thumb,g_face,h_90,w_90")
    assert close(thumb.at(45, 45), GREEN) and close(thumb.at(3, 3), (90, 90, 90))


def test_chained_components_apply_in_order(renderer: Renderer, landscape) -> None:  # type: ignore[no-untyped-def]
    out = renderer.render(landscape, "c_crop,g_east,h_200,w_200/c_scale,w_50")
    assert out.size == (50, 50)
    assert close(out.at(25, 5), GREEN) and close(out.at(25, 45), YELLOW)


def test_shrink_on_load_keeps_the_requested_size_and_content(renderer: Renderer) -> None:
    source = renderer.source(quadrants(3200, 2400), "jpg", Q=95)
    out = renderer.render(source, "c_fit,h_300,w_400", "jpg")
    assert out.size == (400, 300)
    assert close(out.at(20, 20), RED, 20) and close(out.at(380, 280), YELLOW, 20)
    fill = renderer.render(source, "c_fill,g_north_east,h_100,w_300", "jpg")
    assert fill.size == (300, 100) and close(fill.at(290, 10), GREEN, 20)


def test_alpha_survives_resizing_without_dark_fringes(renderer: Renderer) -> None:
    image = flat(100, 100, (255, 255, 255, 0)).draw_rect([255, 255, 255, 255], 25, 25, 50, 50,
                                                          fill=True)
    out = renderer.render(renderer.source(image), "c_scale,w_37", "png")
    edge = [out.at(x, 18) for x in range(37)]
    assert all(p[0] > 240 for p in edge if p[3] > 10)  # no black bleeding into the edge
