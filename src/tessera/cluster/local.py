"""One node: nothing to agree with. The render gate already makes renders single-flight
inside the process, and a forget reaches the only memory cache there is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


class LocalCoordinator:
    clustered = False

    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []

    @contextmanager
    def exclusive(self, name: str, *, hold_seconds: float,
                  wait_seconds: float) -> Iterator[bool]:
        yield True

    def broadcast_forget(self) -> None:
        for callback in self._callbacks:
            callback()

    def on_forget(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def poll(self) -> None:
        pass  # the only memory cache heard the forget at once

    def close(self) -> None:
        self._callbacks.clear()
