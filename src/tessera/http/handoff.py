"""Blocking calls for the event loop, on threads of their own, handed over as cheaply as can be.

Every cold delivery crosses from the event loop to a thread and back. anyio's `to_thread` (what
Starlette's `run_in_threadpool` uses) spends its cancel scopes, capacity limiter and backend
lookup on each crossing: in a server idling between requests, as the bench leaves it, ~0.14 ms
going in and ~0.16 ms coming back (1 MP cold render, one worker). A plain queue in and
`call_soon_threadsafe` out: ~0.04 and ~0.10 ms.

Threads start on demand up to `max_threads` (anyio's default limit, 40: renders waiting in the
render gate's queue block a thread each) and then stay, waiting on the queue. Beyond the limit
calls wait in the queue for the next free thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class Handoff:
    def __init__(self, *, max_threads: int = 40, name: str = "handoff") -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._max_threads = max(1, max_threads)
        self._name = name
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
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # handed to the caller, who raises it
                result, error = None, exc
            # Free before answering: the caller's next call may come at once, and must find
            # this thread instead of starting another.
            with self._lock:
                if self._backlog:
                    self._backlog -= 1
                else:
                    self._idle += 1
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop closed meanwhile (shutdown): nobody to answer
                pass
            del loop, future, fn, args, result, error  # no references kept while idle


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the request went away while the call ran
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
