"""What only the filesystem back end promises: layout, permissions, staging, directories."""

from __future__ import annotations

import stat

import pytest

from tessera.blobs import LocalBlobStore
from tessera.errors import NotFound


def test_objects_are_plain_files_under_the_root(local_store: LocalBlobStore) -> None:
    local_store.put_bytes("originals/ab/cd", b"pixels")

    path = local_store.root / "originals" / "ab" / "cd"
    assert path.read_bytes() == b"pixels"
    # Readable by a separate process (backup, a web server), unlike mkstemp's default 0600.
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_keys_never_list_the_staging_directory(local_store: LocalBlobStore) -> None:
    # What a process killed mid-write leaves behind.
    (local_store.root / ".tmp" / "put-crashed.part").write_bytes(b"half")
    local_store.put_bytes("k", b"whole")

    assert list(local_store.keys()) == ["k"]
    assert local_store.exists("k") is True


def test_a_directory_is_not_an_object(local_store: LocalBlobStore) -> None:
    local_store.put_bytes("album/image", b"x")

    assert local_store.exists("album") is False
    with pytest.raises(NotFound):
        local_store.get_bytes("album")
    with pytest.raises(NotFound):
        local_store.open("album")
    with pytest.raises(NotFound):
        local_store.size("album")
    local_store.delete("album")
    assert local_store.get_bytes("album/image") == b"x"


def test_a_key_below_a_file_is_missing(local_store: LocalBlobStore) -> None:
    local_store.put_bytes("file", b"x")

    assert local_store.exists("file/below") is False
    with pytest.raises(NotFound):
        local_store.get_bytes("file/below")
    with pytest.raises(NotFound):
        local_store.size("file/below")
    local_store.delete("file/below")


def test_an_open_stream_survives_replacement_and_deletion(local_store: LocalBlobStore) -> None:
    local_store.put_bytes("k", b"first version")

    with local_store.open("k") as stream:
        local_store.put_bytes("k", b"second")
        local_store.delete("k")
        assert stream.read() == b"first version"


def test_empty_directories_after_delete_are_not_keys(local_store: LocalBlobStore) -> None:
    local_store.put_bytes("a/b/c", b"x")
    local_store.delete("a/b/c")

    assert list(local_store.keys()) == []
    assert list(local_store.keys("a/")) == []
