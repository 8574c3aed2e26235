"""Work that can wait until the answer has gone: `defer(action)`.

A cold delivery leaves two chores once its bytes are ready: handing the derivative to the
writer thread and freeing the finished pipeline (every libvips operation, the decoder: 0.2-0.3
ms for a 1 MP thumbnail). Done at once, they delay the answer; handed to another thread, they
wake it, and the woken thread takes the GIL from the event loop sending the answer (measured:
~0.17 ms of a 1 MP cold delivery for the two). So the thread that computed the answer keeps
them: inside `collecting()` (a handoff thread, `tessera.http.handoff`) `defer` queues the action,
and the thread runs the queue once it has handed its result back and let the loop send it.
Anywhere else `defer` runs the action at once.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

Action = Callable[[], object]
_local = threading.local()


def defer(action: Action) -> None:
    """Run `action` after the answer this thread is computing, or now if it computes none."""
    queue: list[Action] | None = getattr(_local, "queue", None)
    if queue is None:
        action()
    else:
        queue.append(action)


def hold(value: object) -> None:
    """Keep `value` alive until the deferred actions run (what dropping it frees, is freed
    then): a finished pipeline, say."""
    defer(functools.partial(_keep, value))


def _keep(_value: object) -> None:
    """The action that holds a value until it runs (`hold`)."""


@contextmanager
def collecting() -> Iterator[list[Action]]:
    """Queue this thread's `defer`red actions while the block runs; the caller runs them
    (`run`) when its answer has gone."""
    queue: list[Action] = []
    outer, _local.queue = getattr(_local, "queue", None), queue
    try:
        yield queue
    finally:
        _local.queue = outer


def run(queue: list[Action]) -> None:
    """Run and let go of every action in `queue`, in order; a failure is logged, not raised
    (the answer it followed has gone already)."""
    while queue:
        action = queue.pop(0)
        try:
            action()
        except Exception:
            log.exception("event=deferred_action_failed action=%r", action)
        del action  # what it holds goes now, before the next one runs
