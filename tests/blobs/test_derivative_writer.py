"""`DerivativeWriter`: derivatives stored after the answer, readable meanwhile, and the render
lock handed over with them released only once they are stored (or their write failed)."""

from __future__ import annotations

import threading
from pathlib import Path

from tessera import deferred
from tessera.blobs.local import LocalBlobStore
from tessera.cluster.host import HostCoordinator
from tessera.services.derivative_writer import DerivativeWriter


class GatedStore(LocalBlobStore):
    """A local store whose writes wait until the test opens the gate (or fail if told to)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gate = threading.Event()
        self.fail = False

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        assert self.gate.wait(10)
        if self.fail:
            raise OSError("disk full")
        super().put_bytes(key, data, content_type=content_type)


def test_the_lock_goes_once_the_derivative_is_stored(tmp_path: Path) -> None:
    store = GatedStore(tmp_path / "blobs")
    writer = DerivativeWriter(store)
    coordinator = HostCoordinator(tmp_path / "group")
    release = coordinator.acquire("derived/o/a/d", hold_seconds=5, wait_seconds=0)
    assert release is not None

    writer.store("derived/o/a/d", b"jpeg-bytes", "image/jpeg", then=release)

    assert writer.pending("derived/o/a/d") == b"jpeg-bytes"  # readable before it is stored
    with coordinator.exclusive("derived/o/a/d", hold_seconds=5, wait_seconds=0.05) as held:
        assert not held  # still held: the write has not happened
    store.gate.set()
    with coordinator.exclusive("derived/o/a/d", hold_seconds=5, wait_seconds=5) as held:
        assert held
        assert store.get_bytes("derived/o/a/d") == b"jpeg-bytes"  # stored before released
    assert writer.pending("derived/o/a/d") is None
    writer.close()
    coordinator.close()


def test_a_failed_write_still_releases_the_lock(tmp_path: Path) -> None:
    store = GatedStore(tmp_path / "blobs")
    store.fail = True
    store.gate.set()
    writer = DerivativeWriter(store)
    released = threading.Event()

    writer.store("derived/o/a/e", b"png-bytes", "image/png", then=released.set)

    assert released.wait(5)
    writer.flush()
    assert writer.pending("derived/o/a/e") is None
    assert not store.exists("derived/o/a/e")
    writer.close()


def test_past_its_memory_bound_the_writer_stores_in_the_caller(tmp_path: Path) -> None:
    store = GatedStore(tmp_path / "blobs")
    store.gate.set()
    writer = DerivativeWriter(store, max_bytes=4)
    order: list[str] = []

    writer.store("derived/o/a/f", b"too-large", "image/png", then=lambda: order.append("then"))

    order.append("returned")
    assert order == ["then", "returned"]  # written and released before store() returned
    assert store.get_bytes("derived/o/a/f") == b"too-large"
    writer.close()


def test_flush_waits_for_a_hand_over_still_deferred(tmp_path: Path) -> None:
    store = GatedStore(tmp_path / "blobs")
    store.gate.set()
    writer = DerivativeWriter(store)
    with deferred.collecting() as later:  # as on a handoff thread, before its answer has gone
        writer.store("derived/o/a/g", b"webp-bytes", "image/webp")
    assert not store.exists("derived/o/a/g")  # not even handed to the writer thread yet
    threading.Timer(0.1, deferred.run, [later]).start()

    writer.flush()

    assert store.get_bytes("derived/o/a/g") == b"webp-bytes"
    writer.close()


def test_a_hand_over_after_close_is_stored_in_place(tmp_path: Path) -> None:
    store = GatedStore(tmp_path / "blobs")
    store.gate.set()
    writer = DerivativeWriter(store)
    with deferred.collecting() as later:
        writer.store("derived/o/a/h", b"gif-bytes", "image/gif")
    writer.close()  # the server stopping while an answer was on its way out

    deferred.run(later)

    assert store.get_bytes("derived/o/a/h") == b"gif-bytes"
    assert writer.pending("derived/o/a/h") is None
