"""Overlay step (§4.2, §11.7-9): image layers and underlays, placement, fl_layer_apply,
fl_relative, fl_tiled, fl_no_overflow, blend modes, and the canvas growing for layers that
reach past the base (seed 000)."""

from __future__ import annotations

import pytest

from tessera.errors import GrammarError, NotFound
from tessera.grammar.ast import ImageLayer
from tessera.render.pipeline import Source
from tests.render.goldens import Goldens
from tests.render.synthetic import (
    BLUE,
    CORPUS,
    GREEN,
    RED,
    WHITE,
    YELLOW,
    Renderer,
    close,
    flat,
    quadrants,
)

GREY = (128, 128, 128)


@pytest.fixture
def base(renderer: Renderer) -> Source:
    renderer.layer("dot", flat(20, 20, RED))
    renderer.layer("logos/main", quadrants(40, 20))
    renderer.layer("half", flat(40, 40, (0, 0, 255, 128)))
    return renderer.source(flat(200, 100, GREY))


@pytest.mark.parametrize(("gravity", "spot"), [
    ("north_west", (5, 5)), ("north", (100, 5)), ("north_east", (194, 5)), ("west", (5, 50)),
    ("center", (100, 50)), ("east", (194, 50)), ("south_west", (5, 94)), ("south", (100, 94)),
    ("south_east", (194, 94)),
])
def test_layer_gravity_places_the_layer(renderer: Renderer, base: Source, gravity: str,
                                        spot: tuple[int, int]) -> None:
    out = renderer.render(base, f"g_{gravity},l_dot")
    assert out.size == (200, 100) and out.image.bands == 3
    assert close(out.at(*spot), RED)


def test_offsets_point_inwards_from_the_anchor(renderer: Renderer, base: Source) -> None:
    out = renderer.render(base, "g_south_east,l_dot,x_10,y_10")  # case 46
    assert close(out.at(175, 75), RED) and close(out.at(195, 95), GREY)
    relative = renderer.render(base, "g_north_west,l_dot,x_0.5,y_0.5")  # fractions of the base
    assert close(relative.at(105, 55), RED)


def test_layer_parameters_size_the_layer_not_the_base(renderer: Renderer, base: Source) -> None:
    out = renderer.render(base, "c_scale,g_north_west,l_logos:main,w_80")  # case 47 folder
    assert out.size == (200, 100)
    assert close(out.at(5, 5), RED) and close(out.at(75, 35), YELLOW)


def test_layer_apply_form_transforms_the_layer_then_places_it(renderer: Renderer,
                                                              base: Source) -> None:
    # case 51: l_/c_scale,w_0.5/e_.../fl_layer_apply,g_north_east,x_10,y_10
    out = renderer.render(base, "l_logos:main/c_scale,w_2.0/e_negate/"
                                "fl_layer_apply,g_north_east,x_10,y_10")
    assert out.size == (200, 100)
    assert close(out.at(115, 15), (0, 255, 255))  # negated red, top-left of the 80x40 layer
    assert close(out.at(185, 45), (0, 0, 255))  # negated yellow, bottom-right


def test_relative_layer_size_is_a_fraction_of_the_base(renderer: Renderer,
                                                       base: Source) -> None:
    out = renderer.render(base, "c_scale,fl_relative,g_north_west,l_dot,w_0.25")  # case 52
    assert close(out.at(45, 45), RED) and close(out.at(55, 55), GREY)
    own = renderer.render(base, "c_scale,g_north_west,l_dot,w_0.5")  # of the layer itself
    assert close(own.at(8, 8), RED) and close(own.at(12, 12), GREY)


def test_layer_outside_the_base_grows_the_canvas(renderer: Renderer) -> None:
    # seed 000: c_fit,w_800 then 800-px layers at x_800 and x_1200, centre gravity:
    # three images side by side on a 2400-px canvas.
    renderer.layer("a", flat(400, 300, GREEN), "jpg")
    renderer.layer("b", flat(400, 300, BLUE), "jpg")
    base = renderer.source(flat(400, 300, RED), "jpg")
    out = renderer.render(base, "c_fit,w_800/c_fit,l_a,w_800,x_800/c_fit,l_b,w_800,x_1200",
                          "jpg")
    assert out.size == (2400, 600)
    assert close(out.at(400, 300), RED) and close(out.at(1200, 300), GREEN)
    assert close(out.at(2000, 300), BLUE)
    clipped = renderer.render(base, "c_fit,w_800/c_fit,fl_no_overflow,l_a,w_800,x_800", "jpg")
    assert clipped.size == (800, 600) and close(clipped.at(700, 300), RED)


def test_growth_above_and_left_is_transparent_for_png(renderer: Renderer, base: Source) -> None:
    out = renderer.render(base, "g_north_west,l_dot,x_-10,y_-10", "png")
    assert out.size == (210, 110) and out.at(30, 1)[3] == 0 and close(out.at(1, 1), RED + (255,))
    jpg = renderer.render(base, "g_north_west,l_dot,x_-10,y_-10", "jpg")
    assert close(jpg.at(30, 2), WHITE)


def test_tiled_layer_covers_the_base(renderer: Renderer, base: Source) -> None:
    out = renderer.render(base, "fl_tiled,l_logos:main,w_40")  # seed 001
    assert out.size == (200, 100)
    for x, y in ((5, 5), (45, 5), (165, 85), (5, 45)):
        assert close(out.at(x, y), RED if y % 20 < 10 and x % 40 < 20 else out.at(x, y))
    assert close(out.at(5, 5), RED) and close(out.at(45, 25), RED) and close(out.at(35, 15),
                                                                             YELLOW)


def test_underlay_goes_below_the_base(renderer: Renderer) -> None:
    renderer.layer("bg", flat(10, 10, BLUE))
    base = renderer.source(flat(100, 100, (255, 0, 0, 0)).draw_rect(
        [255, 0, 0, 255], 40, 40, 20, 20, fill=True))
    out = renderer.render(base, "c_fill,h_100,u_bg,w_100", "png")  # case 53
    assert close(out.at(5, 5), BLUE + (255,)) and close(out.at(50, 50), RED + (255,))


def test_transparent_layer_blends_and_opacity_fades(renderer: Renderer, base: Source) -> None:
    out = renderer.render(base, "l_half")
    assert close(out.at(100, 50), (64, 64, 191))
    faded = renderer.render(base, "l_dot,o_50")
    assert close(faded.at(100, 50), (191, 64, 64))


def test_blend_modes_at_layer_apply(renderer: Renderer, base: Source) -> None:
    multiplied = renderer.render(base, "l_dot/fl_layer_apply,e_multiply")
    assert close(multiplied.at(100, 50), (128, 0, 0))
    screened = renderer.render(base, "l_dot/fl_layer_apply,e_screen")
    assert close(screened.at(100, 50), (255, 128, 128))
    cut = renderer.render(base, "l_dot/fl_layer_apply.cutter", "png")
    assert cut.at(5, 5)[3] == 0 and close(cut.at(100, 50), GREY + (255,))


def test_layers_nest(renderer: Renderer, base: Source) -> None:
    out = renderer.render(base, "l_logos:main/l_dot,w_10/fl_layer_apply,g_north_west/"
                                "fl_layer_apply,g_north_west")
    assert close(out.at(3, 3), RED) and close(out.at(15, 15), BLUE)


def test_layer_errors(renderer: Renderer, base: Source) -> None:
    with pytest.raises(GrammarError):
        renderer.render(base, "fl_layer_apply")
    with pytest.raises(GrammarError):
        renderer.render(base, "l_fetch:aHR0cHM6Ly9leGFtcGxlLmNvbS94LnBuZw==")

    def missing(layer: ImageLayer) -> Source:
        raise NotFound(f"no layer {layer.public_id}")

    from tessera.grammar.parse import parse_transformation
    from tessera.render.limits import RenderLimits
    from tessera.render.pipeline import ClientHints, negotiate, render

    transformation = parse_transformation("l_private:nothing")
    with pytest.raises(NotFound):
        render(base, transformation, negotiate(transformation, "png", "png", ClientHints()),
               resolve_layer=missing, limits=RenderLimits())


def test_watermark_golden(renderer: Renderer, goldens: Goldens) -> None:
    renderer.layer("logo", quadrants(64, 32))
    hopper = renderer.file(CORPUS / "jpeg/hopper_baseline.jpg")
    out = renderer.render(hopper, "l_logo/c_scale,w_0.5/e_brightness:50,o_70/"
                                  "fl_layer_apply,g_north_east,x_10,y_10", "png")
    goldens.check("overlay/layer_apply_north_east", out.image, 1.5)
    tiled = renderer.render(hopper, "fl_tiled,l_logo,o_40,w_30", "png")
    goldens.check("overlay/tiled", tiled.image, 1.5)
