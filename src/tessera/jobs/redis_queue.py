"""`RedisJobQueue`: the job queue of a cluster (`TESSERA_REDIS_URL`). `enqueue` pushes the id
to a Redis list; worker threads on every node pop from it, so whichever node has a free
worker runs the job. Redis holds only ids: the job's state (and the claim that keeps two
workers from running one job) is in the database, so an id lost with Redis is found again by
`ImportService.resume` (at start and every maintenance round).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

import redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
_KEY_PREFIX: Final = "tessera:jobs:"
_POP_SECONDS: Final = 1  # how often an idle worker looks at the stop flag


class RedisJobQueue:
    def __init__(self, url: str, *, workers: int, name: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=_POP_SECONDS + 5,
                                           socket_connect_timeout=5)
        self._key = _KEY_PREFIX + name
        self._name = name
        self._workers = max(1, workers)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running = 0
        self._lock = threading.Lock()

    def start(self, handler: Callable[[str], None]) -> None:
        for index in range(self._workers):
            thread = threading.Thread(target=self._work, args=(handler,), daemon=True,
                                      name=f"{self._name}-{index}")
            thread.start()
            self._threads.append(thread)

    def enqueue(self, job_id: str) -> None:
        try:
            self._redis.lpush(self._key, job_id)
        except RedisError:  # the row stays pending: the next resume queues it again
            log.warning("event=job_enqueue_failed queue=%s job_id=%s", self._name, job_id,
                        exc_info=True)

    def _work(self, handler: Callable[[str], None]) -> None:
        while not self._stop.is_set():
            try:
                popped = self._redis.brpop([self._key], timeout=_POP_SECONDS)
            except RedisError:
                log.warning("event=job_queue_unavailable queue=%s", self._name, exc_info=True)
                self._stop.wait(_POP_SECONDS)
                continue
            if popped is None:
                continue
            with self._lock:
                self._running += 1
            raw = popped[1]
            try:
                handler(raw.decode() if isinstance(raw, bytes) else str(raw))
            except Exception:  # a job's failure must not kill the worker thread
                log.exception("event=job_failed queue=%s", self._name)
            finally:
                with self._lock:
                    self._running -= 1

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the list is empty and no worker of this node runs a job (tests): two
        quiet looks in a row, so a job between its pop and its start is not missed."""
        waited, quiet = 0.0, 0
        while waited < timeout:
            with self._lock:
                running = self._running
            quiet = quiet + 1 if running == 0 and self._redis.llen(self._key) == 0 else 0
            if quiet == 2:
                return True
            self._stop.wait(0.05)
            waited += 0.05
        return False

    def close(self, wait: bool = True) -> None:
        """Stop the workers: each leaves within one pop window (a running job finishes
        first when `wait`), then the connections close."""
        self._stop.set()
        for thread in self._threads:
            thread.join(None if wait else _POP_SECONDS + 1)
        if not any(thread.is_alive() for thread in self._threads):
            self._redis.close()
