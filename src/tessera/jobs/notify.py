"""`notification_url` delivery: a signed JSON POST sent in the background, retried on failure.

The URL comes from a signed upload, i.e. from the account owner, and SharinPix points it at
Tessera itself, so loopback targets are allowed here (unlike remote imports).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
from tenacity import RetryError, Retrying, stop_after_attempt, wait_incrementing

from tessera.auth.signing import notification_signature

log = logging.getLogger(__name__)


class NotificationFailed(Exception):
    pass


class ThreadNotifier:
    def __init__(self, *, retries: int, retry_seconds: float, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._retries = retries
        self._retry_seconds = retry_seconds
        self._timeout = timeout
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="notify")
        self.pending: list[Future[None]] = []

    def notify(self, url: str, payload: dict[str, object], api_secret: str) -> None:
        self.pending = [f for f in self.pending if not f.done()]
        self.pending.append(self._pool.submit(self._deliver, url, payload, api_secret))

    def _deliver(self, url: str, payload: dict[str, object], api_secret: str) -> None:
        body = json.dumps(payload, separators=(",", ":"))
        retrying = Retrying(
            stop=stop_after_attempt(self._retries + 1),
            # Cloudinary retries about 3, 6, 9 minutes apart: a linearly growing wait.
            wait=wait_incrementing(start=self._retry_seconds, increment=self._retry_seconds),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._post(url, body, api_secret)
        except RetryError:
            log.warning("event=notification_failed attempts=%d", self._retries + 1)

    def _post(self, url: str, body: str, api_secret: str) -> None:
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json",
            "X-Cld-Timestamp": str(timestamp),
            "X-Cld-Signature": notification_signature(body, timestamp, api_secret),
        }
        response = httpx.post(url, content=body, headers=headers, timeout=self._timeout,
                              follow_redirects=False)
        if response.status_code != 200:
            raise NotificationFailed(f"status {response.status_code}")

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
