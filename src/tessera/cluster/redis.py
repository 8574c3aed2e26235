"""Several nodes through Redis: a render lock per derivative (redis-py's `Lock`: SET NX PX,
released by its token only) and a pub/sub channel that tells every node to drop its
in-memory derivatives when an image is deleted, so no node serves it for the cache's TTL.

Redis holds nothing durable here: if it restarts, a few derivatives render twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final

import redis
from redis.exceptions import LockError, RedisError

from tessera.cluster.locking import ExclusiveBlock, Release

log = logging.getLogger(__name__)

FORGET_CHANNEL: Final = "tessera:forget"
_LOCK_PREFIX: Final = "tessera:render:"


class RedisCoordinator(ExclusiveBlock):
    """The nodes of a cluster, agreeing through one Redis."""

    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._callbacks: list[Callable[[], None]] = []
        self._listener: Any = None

    def acquire(self, name: str, *, hold_seconds: float,
                wait_seconds: float) -> Release | None:
        # thread_local=False: the thread that stores the derivative releases the lock.
        lock = self._redis.lock(_LOCK_PREFIX + name, timeout=hold_seconds, sleep=0.01,
                                blocking_timeout=wait_seconds, thread_local=False)
        try:
            if not lock.acquire():
                return None
        except RedisError:  # Redis away: render unguarded rather than fail the request
            log.warning("event=cluster_lock_unavailable name=%s", name, exc_info=True)
            return None

        def release() -> None:
            try:
                lock.release()
            except (LockError, RedisError):  # expired meanwhile, or Redis away
                log.warning("event=cluster_lock_release_failed name=%s", name)

        return release

    def broadcast_forget(self) -> None:
        self._run_callbacks()  # this node at once; the others when the message arrives
        try:
            self._redis.publish(FORGET_CHANNEL, b"1")
        except RedisError:
            log.warning("event=cluster_forget_unpublished", exc_info=True)

    def on_forget(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)
        if self._listener is None:
            pubsub = self._redis.pubsub(  # type: ignore[no-untyped-call]
                ignore_subscribe_messages=True)
            pubsub.subscribe(**{FORGET_CHANNEL: lambda _message: self._run_callbacks()})
            self._listener = pubsub.run_in_thread(sleep_time=1.0, daemon=True,
                                                  exception_handler=_keep_listening)

    def poll(self) -> None:
        pass  # forgets are pushed: the listener thread runs the callbacks

    def _run_callbacks(self) -> None:
        for callback in self._callbacks:
            callback()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener.join(timeout=5)  # it closes its own connection on the way out
            self._listener = None
        self._redis.close()


def _keep_listening(exc: BaseException, _pubsub: Any, _thread: Any) -> None:
    """Redis went away: log, wait, and let the next read reconnect and resubscribe."""
    log.warning("event=cluster_forget_listener_error error=%s", exc)
    time.sleep(1.0)
