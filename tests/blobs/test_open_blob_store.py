"""Choosing a back end from the storage URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.blobs import LocalBlobStore, S3BlobStore, open_blob_store


def test_empty_url_means_blobs_in_the_data_dir(tmp_path: Path) -> None:
    store = open_blob_store("", data_dir=tmp_path)

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"
    store.put_bytes("k", b"v")
    assert (tmp_path / "blobs" / "k").read_bytes() == b"v"


def test_file_url(tmp_path: Path) -> None:
    store = open_blob_store(f"file://{tmp_path}/my%20store", data_dir=tmp_path / "unused")

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "my store"
    assert not (tmp_path / "unused").exists()


def test_file_url_with_localhost(tmp_path: Path) -> None:
    store = open_blob_store(f"file://localhost{tmp_path}/s", data_dir=tmp_path)

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "s"


def test_relative_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    store = open_blob_store("var/blobs", data_dir=tmp_path / "unused")

    assert isinstance(store, LocalBlobStore)
    store.put_bytes("k", b"v")
    assert (tmp_path / "var" / "blobs" / "k").read_bytes() == b"v"


def test_plain_path(tmp_path: Path) -> None:
    store = open_blob_store(str(tmp_path / "plain"), data_dir=tmp_path / "unused")

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "plain"
    assert (tmp_path / "plain" / ".tmp").is_dir()


@pytest.mark.parametrize(("url", "bucket", "prefix"), [
    ("s3://images", "images", ""),
    ("s3://images/", "images", ""),
    ("s3://my.images-2/tessera/prod", "my.images-2", "tessera/prod/"),
])
def test_s3_url(tmp_path: Path, url: str, bucket: str, prefix: str) -> None:
    store = open_blob_store(url, data_dir=tmp_path, s3_endpoint_url="http://127.0.0.1:9000",
                            s3_region="eu-west-3", s3_access_key_id="id",
                            s3_secret_access_key="secret")  # noqa: S106 - placeholder

    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == (bucket, prefix)
    assert (store.endpoint_url, store.region) == ("http://127.0.0.1:9000", "eu-west-3")
    assert not (tmp_path / "blobs").exists()


@pytest.mark.parametrize(("url", "message"), [
    ("gs://bucket/x", "unsupported storage URL scheme 'gs'"),
    ("http://example.org/blobs", "unsupported storage URL scheme 'http'"),
    ("s3://", "valid bucket name"),
    ("s3:///prefix", "valid bucket name"),
    ("s3://UPPER", "valid bucket name"),
    ("s3://AKIA123:hunter2@bucket/x", "only a bucket name"),
    ("s3://bucket/x?region=eu", "query or fragment"),
    ("s3://bucket/a//b", "empty segment"),
    ("file://server/share", "file:///absolute/path"),
    ("file:relative", "file:///absolute/path"),
    ("s3:/bucket", "valid bucket name"),
    ("ftp:blobs", "unsupported storage URL scheme 'ftp'"),
])
def test_bad_urls_are_refused_with_a_clear_message(tmp_path: Path, url: str,
                                                   message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        open_blob_store(url, data_dir=tmp_path)

    assert "hunter2" not in str(caught.value)
