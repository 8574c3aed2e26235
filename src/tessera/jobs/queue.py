"""`ThreadJobQueue`: the embedded job queue, a small pool of threads in the server process.

A job is an id; the handler (given by the composition root: `ImportService.run`) reads
everything else from the database and claims the row there, so the queue holds nothing that a
restart could lose: on start, the server enqueues again every import still pending. The same
`JobQueue` port (`services.ports`) lets a cluster run its imports elsewhere: a queue whose
`enqueue` pushes the id to Redis or SQS and a worker process that calls the same handler;
`RedisJobQueue` (`TESSERA_REDIS_URL`) is the first: every node's workers pop from one list.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Protocol

log = logging.getLogger(__name__)


class ThreadJobQueue:
    def __init__(self, *, workers: int, name: str) -> None:
        self._name = name
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=name)
        self._handler: Callable[[str], None] | None = None
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def start(self, handler: Callable[[str], None]) -> None:
        self._handler = handler

    def enqueue(self, job_id: str) -> None:
        if self._handler is None:
            raise RuntimeError(f"job queue {self._name} has no handler")
        future = self._pool.submit(self._run, self._handler, job_id)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _run(self, handler: Callable[[str], None], job_id: str) -> None:
        try:
            handler(job_id)
        except Exception:  # a job's failure must not kill the worker thread
            log.exception("event=job_failed queue=%s job_id=%s", self._name, job_id)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued job ran (tests, shutdown); False on timeout."""
        with self._lock:
            pending = set(self._pending)
        _done, not_done = wait(pending, timeout=timeout)
        return not not_done

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class BackgroundQueue(Protocol):
    """What the composition root drives: the `JobQueue` port plus its life cycle."""

    def start(self, handler: Callable[[str], None]) -> None: ...

    def enqueue(self, job_id: str) -> None: ...

    def wait_idle(self, timeout: float) -> bool: ...

    def close(self, wait: bool = True) -> None: ...


def open_job_queue(redis_url: str, *, workers: int, name: str) -> BackgroundQueue:
    """The embedded queue, or the Redis one shared by a cluster when `redis_url` is set
    (`name` should tell deployments sharing one Redis apart)."""
    if not redis_url:
        return ThreadJobQueue(workers=workers, name=name)
    from tessera.jobs.redis_queue import RedisJobQueue

    return RedisJobQueue(redis_url, workers=workers, name=name)
