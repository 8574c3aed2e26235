"""Local copies of S3 originals for the renderer: fetched once, reused, bounded by bytes with
the least recently used evicted first, never one used within the grace period."""

from __future__ import annotations

import os
from pathlib import Path

from tessera.blobs.local import LocalBlobStore
from tessera.blobs.s3 import S3BlobStore
from tessera.services.originals_cache import OriginalsCache

KB = 1024


class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000_000.0

    def __call__(self) -> float:
        return self.now


def _put(store: S3BlobStore, key: str, size: int) -> bytes:
    data = os.urandom(size)
    store.put_bytes(key, data)
    return data


def _age(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def test_copies_are_fetched_once_and_reused(s3_store: S3BlobStore, tmp_path: Path) -> None:
    data = _put(s3_store, "originals/aa", 10 * KB)
    cache = OriginalsCache(tmp_path / "copies", s3_store, max_bytes=100 * KB)
    first = cache.path("originals/aa")
    assert first.read_bytes() == data
    s3_store.delete("originals/aa")  # the second use must not go to S3
    assert cache.path("originals/aa") == first and first.read_bytes() == data
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".fetch-")]


def test_least_recently_used_go_first_beyond_the_bound(s3_store: S3BlobStore,
                                                       tmp_path: Path) -> None:
    clock = Clock()
    cache = OriginalsCache(tmp_path / "copies", s3_store, max_bytes=25 * KB,
                           grace_seconds=60, clock=clock)
    for name in ("a", "b"):
        _put(s3_store, f"originals/{name}", 10 * KB)
    a, b = cache.path("originals/a"), cache.path("originals/b")
    _age(a, clock.now - 500)
    _age(b, clock.now - 400)
    clock.now += 1
    cache.path("originals/a")  # a use: `a` is now the most recent
    assert a.stat().st_mtime == clock.now
    clock.now += 100
    _put(s3_store, "originals/c", 10 * KB)
    c = cache.path("originals/c")  # 30 KB > 25 KB: the least recently used (b) goes
    assert a.exists() and c.exists() and not b.exists()
    assert cache.path("originals/b").exists()  # and comes back on demand


def test_copies_in_use_are_never_evicted(s3_store: S3BlobStore, tmp_path: Path) -> None:
    clock = Clock()
    cache = OriginalsCache(tmp_path / "copies", s3_store, max_bytes=5 * KB,
                           grace_seconds=60, clock=clock)
    for name in ("a", "b"):
        _put(s3_store, f"originals/{name}", 10 * KB)
    a = cache.path("originals/a")
    clock.now += 10  # `a` used ten seconds ago: within the grace period
    b = cache.path("originals/b")
    assert a.exists() and b.exists()  # over the bound, but both may be open in a render
    _age(a, clock.now - 600)
    _put(s3_store, "originals/c", 1 * KB)
    cache.path("originals/c")
    assert not a.exists() and b.exists()


def test_a_local_store_is_read_in_place(local_store: LocalBlobStore, tmp_path: Path) -> None:
    local_store.put_bytes("originals/x", b"pixels")
    cache = OriginalsCache(tmp_path / "copies", local_store, max_bytes=1)
    assert cache.path("originals/x") == local_store.local_path("originals/x")
    assert not (tmp_path / "copies").exists()
