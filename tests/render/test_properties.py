"""Properties of the crop modes (style §3): c_fit never exceeds the box and touches one side,
c_fill equals the box, c_limit never enlarges, the aspect ratio holds within one pixel. Checked
on the planner for many sizes, and on real pixels for a sample."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.grammar.parse import parse_component
from tessera.render.geometry import Context, Size
from tessera.render.modes import plan_geometry
from tests.render.synthetic import Renderer, quadrants

sides = st.integers(min_value=1, max_value=5000)


def out(text: str, size: Size) -> Size:
    return plan_geometry(parse_component(text), size, Context()).output(size)


def _aspect_holds(source: Size, result: Size) -> bool:
    # Rounding each side moves it by at most half a pixel: the exact other side for the
    # delivered width lies within one pixel of the delivered height.
    return abs(result.width * source.height / source.width - result.height) <= 1 or abs(
        result.height * source.width / source.height - result.width) <= 1


@given(w=sides, h=sides, bw=sides, bh=sides)
def test_fit_stays_inside_the_box_and_touches_it(w: int, h: int, bw: int, bh: int) -> None:
    result = out(f"c_fit,h_{bh},w_{bw}", Size(w, h))
    assert result.width <= bw and result.height <= bh
    assert result.width == bw or result.height == bh
    assert _aspect_holds(Size(w, h), result)


@given(w=sides, h=sides, bw=sides, bh=sides)
def test_fill_equals_the_box(w: int, h: int, bw: int, bh: int) -> None:
    assert out(f"c_fill,h_{bh},w_{bw}", Size(w, h)) == Size(bw, bh)


@given(w=sides, h=sides, bw=sides, bh=sides)
def test_limit_never_enlarges(w: int, h: int, bw: int, bh: int) -> None:
    result = out(f"c_limit,h_{bh},w_{bw}", Size(w, h))
    assert result.width <= w and result.height <= h
    assert result.width <= max(bw, 1) or result.width == w
    assert _aspect_holds(Size(w, h), result)


@given(w=sides, h=sides, bw=sides)
def test_one_side_keeps_the_aspect_in_every_mode(w: int, h: int, bw: int) -> None:
    for mode in ("scale", "fit", "fill", "pad"):
        result = out(f"c_{mode},w_{bw}", Size(w, h))
        assert result.width == bw and _aspect_holds(Size(w, h), result)


@given(w=sides, h=sides, bw=sides, bh=sides)
def test_pad_and_lpad_return_the_box(w: int, h: int, bw: int, bh: int) -> None:
    assert out(f"c_pad,h_{bh},w_{bw}", Size(w, h)) == Size(bw, bh)
    assert out(f"c_lpad,h_{bh},w_{bw}", Size(w, h)) == Size(bw, bh)


small = st.integers(min_value=8, max_value=160)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(w=small, h=small, bw=small, bh=small, mode=st.sampled_from(["fit", "fill", "limit"]))
def test_rendered_pixels_obey_the_modes(tmp_path: Path, w: int, h: int, bw: int, bh: int,
                                        mode: str) -> None:
    renderer = Renderer(tmp_path)
    result = renderer.render(renderer.source(quadrants(w, h)), f"c_{mode},h_{bh},w_{bw}")
    assert result.size == (out(f"c_{mode},h_{bh},w_{bw}", Size(w, h)).width,
                           out(f"c_{mode},h_{bh},w_{bw}", Size(w, h)).height)
    assert (result.image.width, result.image.height) == result.size
