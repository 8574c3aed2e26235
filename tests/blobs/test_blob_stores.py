"""The `BlobStore` contract, run against both back ends (`store` is parametrised local/s3)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tessera.errors import NotFound
from tessera.services.ports import BlobStore
from tests.blobs.conftest import Staged
from tests.blobs.streams import MIB, StreamBroke, one_way, payload

# Above boto3's 8 MiB multipart threshold, so S3 really goes through a multipart upload.
LARGE = 12 * MIB + 123


def read_in_chunks(store: BlobStore, key: str, chunk: int = 64 * 1024) -> bytes:
    parts = []
    with store.open(key) as stream:
        while block := stream.read(chunk):
            assert len(block) <= chunk
            parts.append(block)
    return b"".join(parts)


# Round trips


def test_put_bytes_round_trip(store: BlobStore) -> None:
    store.put_bytes("originals/abc", b"\x89PNG\r\n\x1a\n-bytes", content_type="image/png")

    assert store.get_bytes("originals/abc") == b"\x89PNG\r\n\x1a\n-bytes"
    assert store.size("originals/abc") == 14
    assert store.exists("originals/abc") is True


def test_put_stream_round_trip_reads_back_as_a_stream(store: BlobStore) -> None:
    data = payload(MIB + 7, seed=1)

    store.put("derived/a/b/c.webp", one_way(data))

    assert read_in_chunks(store, "derived/a/b/c.webp") == data
    assert store.size("derived/a/b/c.webp") == MIB + 7


def test_large_stream_round_trip(store: BlobStore, staged: Staged) -> None:
    data = payload(LARGE, seed=2)

    store.put("originals/large", one_way(data))

    with store.open("originals/large") as stream:
        digest = hashlib.sha256()
        while block := stream.read(MIB):
            digest.update(block)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert store.size("originals/large") == LARGE
    assert staged() == []


def test_open_gives_a_full_binary_stream(store: BlobStore) -> None:
    store.put_bytes("notes/lines", b"first\nsecond\nthird\nfourth")

    with store.open("notes/lines") as stream:
        assert stream.readable() is True
        assert stream.readline() == b"first\n"
        assert stream.read(3) == b"sec"
        assert next(stream) == b"ond\n"
        assert list(stream) == [b"third\n", b"fourth"]
        assert stream.read() == b""
    assert stream.closed


def test_empty_object(store: BlobStore) -> None:
    store.put("empty", one_way(b""))

    assert store.exists("empty") is True
    assert store.size("empty") == 0
    assert store.get_bytes("empty") == b""


def test_overwrite_replaces_content_and_size(store: BlobStore) -> None:
    store.put_bytes("k", b"old content, longer")
    store.put_bytes("k", b"new")

    assert store.get_bytes("k") == b"new"
    assert store.size("k") == 3
    assert list(store.keys()) == ["k"]


# exists / size / delete / NotFound


def test_delete_removes_the_object(store: BlobStore) -> None:
    store.put_bytes("a/one", b"1")
    store.put_bytes("a/two", b"22")

    store.delete("a/one")

    assert store.exists("a/one") is False
    assert store.exists("a/two") is True
    assert store.size("a/two") == 2
    assert list(store.keys()) == ["a/two"]


def test_delete_of_a_missing_key_is_not_an_error(store: BlobStore) -> None:
    store.delete("never/written")
    store.put_bytes("k", b"x")
    store.delete("k")
    store.delete("k")

    assert list(store.keys()) == []


@pytest.mark.parametrize("read", [
    pytest.param(lambda s, k: s.get_bytes(k), id="get_bytes"),
    pytest.param(lambda s, k: s.open(k), id="open"),
    pytest.param(lambda s, k: s.size(k), id="size"),
])
def test_missing_key_raises_not_found(store: BlobStore,
                                      read: Callable[[BlobStore, str], object]) -> None:
    store.put_bytes("originals/other", b"x")

    with pytest.raises(NotFound) as caught:
        read(store, "originals/missing")

    assert caught.value.status == 404
    assert caught.value.code == "not_found"
    assert caught.value.context == {"key": "originals/missing"}
    # The public message must not reveal the storage layout.
    assert "originals" not in caught.value.message
    assert store.exists("originals/missing") is False


# keys(prefix)

ALL_KEYS = ["derived/x-y", "derived/x/1", "derived/x/2", "originals/aa", "originals/ab",
            "originals/b", "top", "top.d/z"]


@pytest.fixture
def populated(store: BlobStore) -> BlobStore:
    for index, key in enumerate(reversed(ALL_KEYS)):
        store.put_bytes(key, str(index).encode())
    return store


def test_keys_lists_every_key_in_lexicographic_order(populated: BlobStore) -> None:
    # `-` and `.` sort before `/`: "derived/x-y" < "derived/x/1" and "top.d/z" after "top".
    assert list(populated.keys()) == ALL_KEYS


@pytest.mark.parametrize(("prefix", "expected"), [
    ("originals/", ["originals/aa", "originals/ab", "originals/b"]),
    ("originals/a", ["originals/aa", "originals/ab"]),
    ("origin", ["originals/aa", "originals/ab", "originals/b"]),
    ("derived/x", ["derived/x-y", "derived/x/1", "derived/x/2"]),
    ("derived/x/", ["derived/x/1", "derived/x/2"]),
    ("top", ["top", "top.d/z"]),
    ("originals/aa", ["originals/aa"]),
    ("originals/aaa", []),
    ("nothing/", []),
])
def test_keys_with_prefix(populated: BlobStore, prefix: str, expected: list[str]) -> None:
    assert list(populated.keys(prefix)) == expected


# Key validation

BAD_KEYS = ["", "/abs", "a//b", "a/", "../up", "a/../b", "./a", "a/./b", ".tmp/x", "a\\b",
            "nul\x00byte", "sp ace", "ümlaut", "a?b", "a" * 256, "a/" * 512 + "a"]
OPERATIONS: dict[str, Callable[[BlobStore, str], object]] = {
    "put": lambda s, k: s.put(k, one_way(b"x")),
    "put_bytes": lambda s, k: s.put_bytes(k, b"x"),
    "get_bytes": lambda s, k: s.get_bytes(k),
    "open": lambda s, k: s.open(k),
    "exists": lambda s, k: s.exists(k),
    "size": lambda s, k: s.size(k),
    "delete": lambda s, k: s.delete(k),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_rejects_bad_keys(store: BlobStore, operation: str) -> None:
    for key in BAD_KEYS:
        with pytest.raises(ValueError, match="blob key"):
            OPERATIONS[operation](store, key)

    assert list(store.keys()) == []


@pytest.mark.parametrize("prefix", ["/abs", "a//", "../", ".tmp/", ".", "a\\", "x\x00"])
def test_keys_rejects_bad_prefix_at_call_time(store: BlobStore, prefix: str) -> None:
    # Raised by the call itself, before any iteration.
    with pytest.raises(ValueError, match="prefix"):
        store.keys(prefix)


# Atomicity


@pytest.mark.parametrize(("size", "break_at"), [
    pytest.param(3 * MIB, MIB, id="single-part"),
    pytest.param(LARGE, 10 * MIB, id="multipart"),
])
def test_failed_put_leaves_nothing_behind(store: BlobStore, staged: Staged, size: int,
                                          break_at: int) -> None:
    with pytest.raises(StreamBroke):
        store.put("originals/broken", one_way(payload(size), break_at=break_at))

    assert store.exists("originals/broken") is False
    assert list(store.keys()) == []
    assert staged() == []


@pytest.mark.parametrize("size", [3 * MIB, LARGE], ids=["single-part", "multipart"])
def test_failed_overwrite_keeps_the_old_object(store: BlobStore, staged: Staged,
                                               size: int) -> None:
    store.put_bytes("originals/k", b"the old object")

    with pytest.raises(StreamBroke):
        store.put("originals/k", one_way(payload(size), break_at=size - 1))

    assert store.get_bytes("originals/k") == b"the old object"
    assert store.size("originals/k") == 14
    assert list(store.keys()) == ["originals/k"]
    assert staged() == []


@pytest.mark.parametrize("size", [3 * MIB, LARGE], ids=["single-part", "multipart"])
def test_readers_never_see_a_partial_object(store: BlobStore, size: int) -> None:
    store.put_bytes("replaced", b"old")
    seen: dict[str, object] = {}

    def look() -> None:
        # Halfway through the writes: the new key must be absent, the old object intact.
        seen["new_exists"] = store.exists("fresh")
        seen["replaced"] = store.get_bytes("replaced")
        seen["keys"] = list(store.keys())

    store.put("fresh", one_way(payload(size, seed=3), at=size // 2, callback=look))
    assert seen == {"new_exists": False, "replaced": b"old", "keys": ["replaced"]}
    seen.clear()
    store.put("replaced", one_way(payload(size, seed=4), at=size // 2, callback=look))
    assert seen == {"new_exists": True, "replaced": b"old", "keys": ["fresh", "replaced"]}

    assert store.get_bytes("fresh") == payload(size, seed=3)
    assert store.get_bytes("replaced") == payload(size, seed=4)


def test_concurrent_writers_of_one_key_leave_one_complete_object(store: BlobStore,
                                                                 staged: Staged) -> None:
    # 9 MiB each: above the multipart threshold, so S3 writers interleave their parts too.
    writers = 4
    payloads = [payload(9 * MIB, seed=10 + n) for n in range(writers)]
    start = threading.Barrier(writers)

    def write(data: bytes) -> None:
        start.wait()
        store.put("contended", one_way(data))

    with ThreadPoolExecutor(writers) as pool:
        for future in [pool.submit(write, data) for data in payloads]:
            future.result()

    final = store.get_bytes("contended")
    assert final in payloads
    assert store.size("contended") == 9 * MIB
    assert list(store.keys()) == ["contended"]
    assert staged() == []
