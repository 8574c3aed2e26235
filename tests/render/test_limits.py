"""Render budgets: pixel limits on intermediates and outputs (400) and the deadline (503)."""

from __future__ import annotations

import pytest

from tessera.errors import Busy, ImageTooLarge
from tessera.render.limits import Deadline, RenderLimits, RenderTimeout
from tests.render.synthetic import Renderer, quadrants


def test_oversized_intermediate_and_output_are_refused(renderer: Renderer) -> None:
    source = renderer.source(quadrants(100, 100))
    with pytest.raises(ImageTooLarge):
        renderer.render(source, "c_scale,w_20000", limits=RenderLimits(max_pixels=10_000_000))
    with pytest.raises(ImageTooLarge):
        renderer.render(source, "c_scale,w_2000", limits=RenderLimits(max_output_pixels=1_000_000))
    with pytest.raises(ImageTooLarge):
        renderer.render(source, "c_pad,h_5000,w_5000", limits=RenderLimits(max_pixels=1_000_000))
    assert ImageTooLarge.status == 400


def test_deadline_uses_an_injected_clock() -> None:
    now = [0.0]
    deadline = Deadline(5.0, clock=lambda: now[0])
    deadline.check("start")
    now[0] = 6.0
    with pytest.raises(RenderTimeout) as raised:
        deadline.check("resize")
    assert isinstance(raised.value, Busy) and raised.value.status == 503
    assert raised.value.headers["Retry-After"] == "1"


def test_a_render_past_its_deadline_is_busy(renderer: Renderer) -> None:
    source = renderer.source(quadrants(400, 400))
    with pytest.raises(RenderTimeout):
        renderer.render(source, "e_blur:300", limits=RenderLimits(deadline_seconds=-1.0))
