"""`exclusive`, the block form of a coordinator's `acquire`, written once for all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Release = Callable[[], None]


class ExclusiveBlock:
    """Mixin: `exclusive(name, …)` holds what `acquire(name, …)` takes for a `with` block."""

    def acquire(self, name: str, *, hold_seconds: float,
                wait_seconds: float) -> Release | None:
        raise NotImplementedError

    @contextmanager
    def exclusive(self, name: str, *, hold_seconds: float,
                  wait_seconds: float) -> Iterator[bool]:
        release = self.acquire(name, hold_seconds=hold_seconds, wait_seconds=wait_seconds)
        try:
            yield release is not None
        finally:
            if release is not None:
                release()
