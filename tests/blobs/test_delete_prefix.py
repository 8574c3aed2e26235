"""`delete_prefix` on both back ends: everything below the prefix goes, nothing else does."""

from __future__ import annotations

import pytest

from tessera.services.ports import BlobStore


def test_delete_prefix_removes_exactly_the_prefix(store: BlobStore) -> None:
    doomed = [f"derived/org/asset1/{i:04d}" for i in range(1005)]  # over one S3 batch
    kept = ["derived/org/asset10/x", "derived/org/asset1-x", "derived/org2/asset1/x",
            "originals/org/aa/asset1"]
    for key in doomed + kept:
        store.put_bytes(key, key.encode())
    assert store.delete_prefix("derived/org/asset1/") == len(doomed)
    assert sorted(store.keys()) == sorted(kept)
    assert store.get_bytes("derived/org/asset10/x") == b"derived/org/asset10/x"
    assert store.delete_prefix("derived/org/asset1/") == 0  # nothing left: not an error


@pytest.mark.parametrize("prefix", ["", "/derived", "../x/", "a b/"])
def test_delete_prefix_refuses_bad_prefixes(store: BlobStore, prefix: str) -> None:
    store.put_bytes("derived/a/b", b"x")
    with pytest.raises(ValueError):
        store.delete_prefix(prefix)
    assert store.exists("derived/a/b")
