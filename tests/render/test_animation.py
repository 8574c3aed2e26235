"""Animated sources: all frames for GIF→GIF and WebP→WebP (each frame through the chain),
first frame otherwise, fl_animated/fl_awebp to keep animation across formats, pg_ to pick."""

from __future__ import annotations

import pytest
import pyvips

from tessera.errors import GrammarError
from tessera.render.pipeline import Source
from tests.render.synthetic import BLUE, GREEN, RED, Renderer, close, flat

COLOURS = (RED, GREEN, BLUE)


@pytest.fixture
def animation(renderer: Renderer) -> Source:
    frames = [flat(60, 40, colour) for colour in COLOURS]
    tall = pyvips.Image.arrayjoin(frames, across=1).copy()
    tall.set_type(pyvips.GValue.gint_type, "page-height", 40)
    tall.set_type(pyvips.GValue.array_int_type, "delay", [100, 200, 300])
    tall.set_type(pyvips.GValue.gint_type, "loop", 0)
    return renderer.source(tall, "gif")


def frames_of(data: bytes) -> list[pyvips.Image]:
    tall = pyvips.Image.new_from_buffer(data, "", n=-1)
    height = tall.get("page-height")
    return [tall.crop(0, i * height, tall.width, height) for i in range(tall.height // height)]


def test_gif_stays_animated_with_every_frame_resized(renderer: Renderer,
                                                     animation: Source) -> None:
    out = renderer.render(animation, "c_fill,h_20,w_20", "gif")
    frames = frames_of(out.rendered.data)
    assert out.size == (20, 20) and len(frames) == 3
    for frame, colour in zip(frames, COLOURS, strict=True):
        assert frame.width == 20 and close(tuple(frame.getpoint(10, 10))[:3], colour, 40)
    assert pyvips.Image.new_from_buffer(out.rendered.data, "", n=-1).get("delay") == [100, 200,
                                                                                        300]


def test_webp_needs_fl_animated_and_png_takes_the_first_frame(renderer: Renderer,
                                                              animation: Source) -> None:
    still = renderer.render(animation, "c_scale,w_30", "webp")
    assert still.image.get_typeof("n-pages") == 0 or still.image.get("n-pages") == 1
    moving = renderer.render(animation, "c_scale,fl_animated,w_30", "webp")
    assert len(frames_of(moving.rendered.data)) == 3
    png = renderer.render(animation, "c_scale,w_30", "png")
    assert png.size == (30, 20) and close(png.at(5, 5), RED, 10)


def test_page_picks_frames(renderer: Renderer, animation: Source) -> None:
    second = renderer.render(animation, "pg_2", "png")
    assert close(second.at(5, 5), GREEN, 10)
    tail = renderer.render(animation, "pg_2-3", "gif")
    assert len(frames_of(tail.rendered.data)) == 2
    with pytest.raises(GrammarError):
        renderer.render(animation, "pg_7", "png")


def test_delay_sets_the_frame_time(renderer: Renderer, animation: Source) -> None:
    out = renderer.render(animation, "dl_50", "gif")
    assert pyvips.Image.new_from_buffer(out.rendered.data, "", n=-1).get("delay") == [50] * 3
