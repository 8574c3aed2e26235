"""Bounded, de-duplicated rendering: at most `concurrency` renders run, at most `queue` wait,
and concurrent requests for the same derivative share one render (single flight).

Beyond the queue the server answers 503 with Retry-After instead of running out of memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from tessera.errors import Busy

T = TypeVar("T")


class RenderGate:
    def __init__(self, concurrency: int, queue: int, *, wait_seconds: float = 60.0) -> None:
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._capacity = max(1, concurrency) + max(0, queue)
        self._wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._inflight: dict[str, Future[object]] = {}

    def run(self, key: str, work: Callable[[], T]) -> tuple[T, bool]:
        """Run `work` once for `key`; returns (result, whether this call did the work).

        Raises:
            Busy: too many distinct renders are already running or waiting.
        """
        with self._lock:
            shared = self._inflight.get(key)
            if shared is None:
                if len(self._inflight) >= self._capacity:
                    raise Busy("Too many renders in progress, retry shortly", retry_after=1)
                mine: Future[object] = Future()
                self._inflight[key] = mine
        if shared is not None:
            return shared.result(timeout=self._wait_seconds), False  # type: ignore[return-value]
        try:
            if not self._slots.acquire(timeout=self._wait_seconds):
                raise Busy("Render queue timed out, retry shortly", retry_after=2)
            try:
                result = work()
            finally:
                self._slots.release()
            mine.set_result(result)
            return result, True
        except BaseException as exc:
            mine.set_exception(exc)
            # Nobody else may be waiting: retrieve it so the future does not log "never retrieved".
            mine.exception()
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
