"""Budgets of one render: pixels of every intermediate and of the output, and wall-clock time.

Owns the limits and their checks: `check_size` before a step's result is computed (libvips is
lazy, so a planned size is known before any pixel is), `Deadline` between steps with an
injectable clock, and `watch` to stop libvips mid-computation when the time runs out. It reads
no settings; the caller builds `RenderLimits` from them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyvips

from tessera.errors import Busy, ImageTooLarge
from tessera.media.decode import kill_after


@dataclass(frozen=True, slots=True)
class RenderLimits:
    max_pixels: int = 100_000_000  # any intermediate image larger → 400
    max_output_pixels: int = 50_000_000
    deadline_seconds: float = 30.0  # checked between steps and during computation → 503


class RenderTimeout(Busy):
    """The render ran past its deadline (503 with Retry-After: the server is overloaded or
    the transformation is too heavy to finish in time)."""

    code = "render_timeout"
    default_message = "Rendering took too long, retry later"


def check_size(width: int, height: int, limit: int, what: str) -> None:
    """Raises ImageTooLarge (400) when `width` x `height` exceeds `limit` pixels."""
    if width * height > limit:
        raise ImageTooLarge(f"The {what} would be {width}x{height} pixels, over the limit of "
                            f"{limit} pixels")


class Deadline:
    """A point in time a render must finish by; `clock` is injectable for tests."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()
        self._end = self._start + seconds

    def elapsed(self) -> float:
        return self._clock() - self._start

    def remaining(self) -> float:
        return self._end - self._clock()

    def check(self, where: str) -> None:
        """Raises RenderTimeout once the deadline has passed."""
        if self.remaining() <= 0:
            raise RenderTimeout(detail=f"deadline passed at {where}")


@contextmanager
def watch(image: pyvips.Image, deadline: Deadline) -> Iterator[None]:
    """Kill libvips' computation of `image` when the deadline passes (a heavy blur or a huge
    canvas can keep it busy far longer than the gaps between steps)."""
    deadline.check("computation start")
    with kill_after(image, deadline.remaining(),
                    lambda: RenderTimeout(detail="killed during computation")):
        yield
