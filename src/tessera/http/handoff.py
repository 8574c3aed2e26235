"""Blocking calls for the event loop, on threads of their own, handed over as cheaply as can be.

Every cold delivery crosses from the event loop to a thread and back. anyio's `to_thread` (what
Starlette's `run_in_threadpool` uses) spends its cancel scopes, capacity limiter and backend
lookup on each crossing: in a server idling between requests, as the bench leaves it, ~0.14 ms
going in and ~0.16 ms coming back (1 MP cold render, one worker). A plain queue in and
`call_soon_threadsafe` out: ~0.04 and ~0.10 ms.

What a call `defer`s (`tessera.deferred`) runs on its thread `settle_seconds` after the answer
was handed back: the loop sends it meanwhile. The thread takes no new call until then.

Threads start on demand up to `max_threads` (anyio's default limit, 40: renders waiting in the
render gate's queue block a thread each) and then stay, waiting on the queue. Beyond the limit
calls wait in the queue for the next free thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tessera import deferred

T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class Handoff:
    def __init__(self, *, max_threads: int = 40, name: str = "handoff",
                 settle_seconds: float = 0.002) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._max_threads = max(1, max_threads)
        self._name = name
        self._settle_seconds = settle_seconds
        self._threads = 0
        self._idle = 0  # threads waiting for a job nobody has claimed yet
        self._backlog = 0  # jobs queued beyond the limit, for the next thread that frees up

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on one of the threads; its result or its exception, here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._idle:
                self._idle -= 1
                start = False
            elif self._threads < self._max_threads:
                self._threads += 1
                start = True
            else:
                self._backlog += 1
                start = False
        self._jobs.put((loop, future, fn, args))
        if start:
            threading.Thread(target=self._work, name=f"{self._name}-{self._threads}",
                             daemon=True).start()
        return await future

    def _work(self) -> None:
        while True:
            loop, future, fn, args = self._jobs.get()
            with deferred.collecting() as later:
                try:
                    result, error = fn(*args), None
                except BaseException as exc:  # handed to the caller, who raises it
                    result, error = None, exc
            if not later:
                # Free before answering: the caller's next call may come at once, and must
                # find this thread instead of starting another.
                self._free()
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop closed meanwhile (shutdown): nobody to answer
                pass
            del loop, future, fn, args, result, error  # no references kept while idle
            if later:
                # Asleep while the loop sends the answer, instead of contending for the GIL.
                time.sleep(self._settle_seconds)
                deferred.run(later)
                self._free()

    def _free(self) -> None:
        with self._lock:
            if self._backlog:
                self._backlog -= 1
            else:
                self._idle += 1


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the request went away while the call ran
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
