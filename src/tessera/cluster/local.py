"""One node: nothing to agree with. The render gate already makes renders single-flight
inside the process, and a forget reaches the only memory cache there is."""

from __future__ import annotations

from collections.abc import Callable

from tessera.cluster.locking import ExclusiveBlock, Release


def _nothing() -> None:
    pass


class LocalCoordinator(ExclusiveBlock):
    def __init__(self) -> None:
        self._callbacks: list[Callable[[], None]] = []

    def acquire(self, name: str, *, hold_seconds: float,
                wait_seconds: float) -> Release | None:
        return _nothing  # nobody else to exclude

    def broadcast_forget(self) -> None:
        for callback in self._callbacks:
            callback()

    def on_forget(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def poll(self) -> None:
        pass  # the only memory cache heard the forget at once

    def close(self) -> None:
        self._callbacks.clear()
