"""Local copies of remote originals, for libvips, which reads files (S3 gives streams).

Bounded: once the copies pass `max_bytes`, the least recently used go first (a use touches
the file's mtime; atime is often off). A copy used in the last `grace_seconds` is never
removed, because a render may be about to open it; on Linux one that is already open stays
readable after the unlink anyway. With a local blob store the blob itself is the file and
nothing is copied.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tessera.services.ports import BlobStore

log = logging.getLogger(__name__)
_STAGED_PREFIX = ".fetch-"


class OriginalsCache:
    def __init__(self, root: Path, blobs: BlobStore, *, max_bytes: int,
                 grace_seconds: float = 120.0, clock: Callable[[], float] = time.time) -> None:
        self._root = root
        self._blobs = blobs
        self._max_bytes = max_bytes
        self._grace = grace_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._total: int | None = None  # bytes held, counted once on first fetch

    def path(self, blob_key: str) -> Path:
        """A local file holding the original `blob_key`."""
        local = self._blobs.local_path(blob_key)
        if local is not None:
            return local
        cached = self._root / blob_key
        try:
            self._touch(cached)  # a use: last out
            return cached
        except FileNotFoundError:
            pass
        size = self._fetch(blob_key, cached)
        self._touch(cached)
        self._account(size)
        return cached

    def forget(self, blob_key: str) -> None:
        """Remove the copy of an original that is gone for good (a trash purge)."""
        cached = self._root / blob_key
        try:
            size = cached.stat().st_size
            cached.unlink()
        except FileNotFoundError:
            return
        with self._lock:
            if self._total is not None:
                self._total = max(0, self._total - size)

    def _touch(self, path: Path) -> None:
        now = self._clock()
        os.utime(path, (now, now))

    def _fetch(self, blob_key: str, cached: Path) -> int:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, staged = tempfile.mkstemp(dir=cached.parent, prefix=_STAGED_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out, self._blobs.open(blob_key) as source:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
                size = out.tell()
            os.replace(staged, cached)  # originals are immutable: a rename is all the sync needed
        except BaseException:
            Path(staged).unlink(missing_ok=True)
            raise
        return size

    def _copies(self) -> list[tuple[float, int, Path]]:
        copies = []
        for path in self._root.rglob("*"):
            if path.name.startswith(_STAGED_PREFIX):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.is_file():
                copies.append((stat.st_mtime, stat.st_size, path))
        return copies

    def _account(self, added: int) -> None:
        with self._lock:
            if self._total is None:
                self._total = sum(size for _, size, _ in self._copies())
            else:
                self._total += added
            if self._total > self._max_bytes:
                self._total = self._evict()

    def _evict(self) -> int:
        """Remove least recently used copies until under the bound; answers the bytes left."""
        copies = sorted(self._copies())
        total = sum(size for _, size, _ in copies)
        recent = self._clock() - self._grace
        for mtime, size, path in copies:
            if total <= self._max_bytes or mtime > recent:
                break
            path.unlink(missing_ok=True)
            total -= size
            log.info("event=original_copy_evicted key=%s bytes=%d", path.name, size)
        return total
