"""Planner arithmetic for resize/crop/pad, gravity and offsets (grammar §3), on plain numbers."""

from __future__ import annotations

import pytest

from tessera.errors import GrammarError
from tessera.grammar.ast import Auto, Expression, Gravity, GravityMode
from tessera.grammar.parse import parse_component
from tessera.render.geometry import (
    Box,
    Canvas,
    Context,
    Geometry,
    Size,
    auto_width,
    evaluate,
    place,
)
from tessera.render.modes import plan_geometry

IMAGE = Size(400, 200)


def geometry(text: str, size: Size = IMAGE, **ctx: object) -> Geometry:
    return plan_geometry(parse_component(text), size, Context(**ctx))  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "out"), [
    ("c_scale,w_100", Size(100, 50)),          # one side keeps the aspect (§11.3)
    ("c_scale,h_50,w_300", Size(300, 50)),     # both: exact, aspect may change
    ("w_100", Size(100, 50)),                  # no c_ behaves like scale
    ("c_scale,w_0.5", Size(200, 100)),         # decimal = relative (case 3)
    ("c_fit,h_300,w_300", Size(300, 150)),
    ("c_fit,h_1920,w_1920", Size(1920, 960)),  # fit enlarges
    ("c_limit,h_1000,w_1000", Size(400, 200)),  # limit never enlarges
    ("c_limit,h_100,w_100", Size(100, 50)),
    ("c_mfit,h_100,w_100", Size(400, 200)),    # mfit never shrinks
    ("c_mfit,h_1000,w_1000", Size(1000, 500)),
    ("c_scale,dpr_2.0,w_100", Size(200, 100)),  # dpr multiplies (case 67)
    ("c_scale,w_iw_div_2", Size(200, 100)),    # trivial expressions
    ("ar_16:9,c_scale,w_640", Size(640, 360)),  # ar gives the other side
])
def test_scaling_modes_give_the_reference_sizes(text: str, out: Size) -> None:
    component = parse_component(text)
    dpr = 2.0 if component.dpr is not None else 1.0
    plan = plan_geometry(component, IMAGE, Context(dpr=dpr))
    assert plan.scale_to == out
    assert plan.region is None and plan.window is None and plan.canvas is None


def test_fill_scales_to_cover_then_cuts_the_centre() -> None:
    plan = geometry("c_fill,h_200,w_200")
    assert plan.scale_to == Size(400, 200)
    assert plan.window == Box(100, 0, 200, 200)


@pytest.mark.parametrize(("gravity", "window"), [
    ("north_west", Box(0, 0, 200, 200)), ("west", Box(0, 0, 200, 200)),
    ("east", Box(200, 0, 200, 200)), ("south_east", Box(200, 0, 200, 200)),
    ("north", Box(100, 0, 200, 200)),
])
def test_fill_window_follows_compass_gravity(gravity: str, window: Box) -> None:
    assert geometry(f"c_fill,g_{gravity},h_200,w_200").window == window


def test_lfill_never_enlarges_and_may_return_less_than_asked() -> None:
    # §3: 400x200 with c_lfill,w_800,h_100 -> 400x100
    plan = geometry("c_lfill,h_100,w_800")
    assert plan.scale_to == Size(400, 200)
    assert plan.window == Box(0, 50, 400, 100)


@pytest.mark.parametrize(("text", "scaled", "canvas"), [
    ("c_pad,h_300,w_300", Size(300, 150), Canvas(Size(300, 300), 0, 75, (255, 255, 255, 255))),
    ("b_rgb:ffcc00,c_pad,g_north,h_300,w_300", Size(300, 150),
     Canvas(Size(300, 300), 0, 0, (255, 204, 0, 255))),
    ("c_lpad,h_1000,w_1000", Size(400, 200), Canvas(Size(1000, 1000), 300, 400,
                                                    (255, 255, 255, 255))),
    ("c_mpad,h_1000,w_1000", Size(1000, 500), Canvas(Size(1000, 1000), 0, 250,
                                                     (255, 255, 255, 255))),
    ("b_auto,c_pad,g_south_east,h_300,w_300", Size(300, 150), Canvas(Size(300, 300), 0, 150,
                                                                     None)),
])
def test_pad_modes_extend_to_the_box(text: str, scaled: Size, canvas: Canvas) -> None:
    plan = geometry(text)
    assert plan.scale_to == scaled
    assert plan.canvas == canvas


def test_pad_is_transparent_when_the_output_keeps_alpha() -> None:
    canvas = geometry("c_pad,h_300,w_300", keeps_alpha=True).canvas
    assert canvas is not None and canvas.background == (0, 0, 0, 0)


def test_mpad_leaves_a_larger_image_unchanged() -> None:
    assert geometry("c_mpad,h_100,w_100") == Geometry()


def test_crop_without_gravity_uses_x_y_as_top_left() -> None:  # case 18
    assert geometry("c_crop,h_80,w_100,x_20,y_30").region == Box(20, 30, 100, 80)


@pytest.mark.parametrize(("gravity", "region"), [
    ("north_west", Box(0, 0, 100, 100)), ("north", Box(150, 0, 100, 100)),
    ("north_east", Box(300, 0, 100, 100)), ("west", Box(0, 50, 100, 100)),
    ("center", Box(150, 50, 100, 100)), ("east", Box(300, 50, 100, 100)),
    ("south_west", Box(0, 100, 100, 100)), ("south", Box(150, 100, 100, 100)),
    ("south_east", Box(300, 100, 100, 100)),
])
def test_crop_compass_gravity(gravity: str, region: Box) -> None:  # cases 27-34
    assert geometry(f"c_crop,g_{gravity},h_100,w_100").region == region


@pytest.mark.parametrize(("text", "region"), [
    ("c_crop,g_north_east,h_100,w_100,x_10,y_10", Box(290, 10, 100, 100)),  # +x moves left
    ("c_crop,g_south_west,h_100,w_100,x_10,y_10", Box(10, 90, 100, 100)),   # +y moves up
    ("c_crop,g_south_east,h_100,w_100,x_-10,y_-5", Box(310, 105, 90, 95)),  # case 37: clipped
    ("c_crop,g_xy_center,h_100,w_100,x_200,y_120", Box(150, 70, 100, 100)),  # case 35
    ("c_crop,g_center,h_0.5,w_0.5", Box(100, 50, 200, 100)),  # case 20
    ("c_crop,h_0.4,w_0.4,x_0.1,y_0.2", Box(40, 40, 160, 80)),  # case 21
    ("c_crop,w_100", Box(150, 0, 100, 200)),  # a missing side is the full side
])
def test_crop_offsets_flip_per_side_and_relative_values(text: str, region: Box) -> None:
    assert geometry(text).region == region


def test_crop_auto_is_left_to_smartcrop() -> None:
    plan = geometry("c_crop,g_auto,h_100,w_100")
    assert plan.smart_region == Size(100, 100) and plan.region is None


def test_crop_outside_the_image_is_refused() -> None:
    with pytest.raises(GrammarError):
        geometry("c_crop,h_10,w_10,x_500,y_0")


def test_face_gravity_centres_the_window_on_the_largest_face() -> None:
    faces = (Box(300, 20, 40, 40), Box(10, 10, 10, 10))
    plan = geometry("c_fill,g_face,h_200,w_200", faces=faces)
    assert plan.window == Box(200, 0, 200, 200)  # centred on x=320, clamped to the edge
    plan = geometry("c_crop,g_faces,h_100,w_100", faces=faces)
    assert plan.region == Box(125, 0, 100, 100)  # the box around both: 10..340 -> centre 175
    assert geometry("c_crop,g_face,h_100,w_100").region == Box(150, 50, 100, 100)  # no face


def test_thumb_frames_the_face_and_scales_to_the_box() -> None:
    plan = geometry("c_thumb,g_face,h_100,w_100", size=Size(1000, 800),
                    faces=(Box(600, 300, 100, 100),))
    assert plan.region == Box(575, 275, 150, 150)  # face grown 1.5x, centred on it
    assert plan.scale_to == Size(100, 100)
    tighter = geometry("c_thumb,g_face,h_100,w_100,z_1.5", size=Size(1000, 800),
                       faces=(Box(600, 300, 100, 100),))
    assert tighter.region == Box(600, 300, 100, 100)
    assert plan.faces == (Box(17, 17, 67, 67),)


def test_thumb_without_faces_falls_back_to_a_centre_fill() -> None:
    plan = geometry("c_thumb,g_face,h_100,w_100")
    assert plan.region == Box(100, 0, 200, 200)
    assert plan.scale_to == Size(100, 100)


def test_fill_pad_needs_auto_gravity_and_pads_very_different_aspects() -> None:
    with pytest.raises(GrammarError):
        geometry("c_fill_pad,h_100,w_100")
    assert geometry("c_fill_pad,g_auto,h_100,w_100").canvas is not None  # 2:1 vs 1:1
    assert geometry("c_fill_pad,g_auto,h_150,w_200").smart_window == Size(200, 150)


def test_faces_follow_the_geometry() -> None:
    plan = geometry("c_fill,h_100,w_100", faces=(Box(200, 100, 20, 20),))
    assert plan.scale_to == Size(200, 100)
    assert plan.faces == (Box(50, 50, 10, 10),)


def test_ar_alone_cuts_the_largest_box_of_that_aspect() -> None:
    assert geometry("ar_1:1,c_crop").region == Box(100, 0, 200, 200)
    assert geometry("ar_1:1,c_pad").canvas == Canvas(Size(400, 400), 0, 100,
                                                     (255, 255, 255, 255))


def test_ignore_aspect_ratio_scales_one_side_only() -> None:
    assert geometry("c_scale,fl_ignore_aspect_ratio,w_100").scale_to == Size(100, 200)


def test_auto_width_rounds_the_hint_up_to_the_step() -> None:
    assert auto_width(Auto(("100",)), 333) == 400
    assert auto_width(Auto(("100", "640")), None) == 640
    assert auto_width(Auto(), None) is None
    assert geometry("c_limit,w_auto:100", width_hint=250).scale_to == Size(300, 150)
    assert geometry("c_limit,w_auto:100:200").scale_to == Size(200, 100)


def test_expressions_cover_arithmetic_and_refuse_variables() -> None:
    assert evaluate(Expression("iw_add_ih_mul_2"), Size(10, 20)) == 50
    assert evaluate(Expression("ih_div_4"), Size(10, 20)) == 5
    with pytest.raises(GrammarError):
        evaluate(Expression("$size_mul_2"), Size(10, 20))
    with pytest.raises(GrammarError):
        evaluate(Expression("fc_mul_2"), Size(10, 20))


def test_place_is_the_one_offset_rule() -> None:
    box, obj = Size(100, 100), Size(20, 10)
    assert place(box, obj, Gravity(GravityMode.SOUTH_EAST), 5, 5) == (75, 85)
    assert place(box, obj, None, 5, 5) == (45, 50)
    assert place(box, obj, Gravity(GravityMode.XY_CENTER), 50, 50) == (40, 45)
