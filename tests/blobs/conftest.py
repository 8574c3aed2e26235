"""Fixtures for the blob store suite: one `store` fixture over both back ends.

The moto server is the session-wide `s3_endpoint` of `tests/conftest.py` (one server for the whole
suite, started only if an S3 test runs). Each S3 test gets its own bucket, so tests never see each
other's objects, and the store uses a key prefix, so every test also exercises prefix handling.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from tessera.blobs import LocalBlobStore, S3BlobStore
from tessera.services.ports import BlobStore

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

S3_PREFIX = "tessera/test"
S3_REGION = "us-east-1"
# moto accepts any credentials; explicit ones keep botocore from looking at the environment.
S3_KEY_ID = S3_SECRET = "testing"  # noqa: S105 - a placeholder the local server ignores

Staged = Callable[[], list[str]]


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> S3Client:
    """A raw client for looking behind the store (ETags, pending multipart uploads)."""
    client: S3Client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=S3_REGION,
                                    aws_access_key_id=S3_KEY_ID, aws_secret_access_key=S3_SECRET)
    return client


@pytest.fixture
def s3_store(s3_endpoint: str) -> S3BlobStore:
    store = S3BlobStore(f"test-{uuid.uuid4().hex[:16]}", S3_PREFIX, endpoint_url=s3_endpoint,
                        region=S3_REGION, access_key_id=S3_KEY_ID, secret_access_key=S3_SECRET)
    store.ensure_bucket()
    return store


@pytest.fixture
def local_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest) -> BlobStore:
    backend: BlobStore = request.getfixturevalue(f"{request.param}_store")
    return backend


@pytest.fixture
def staged(request: pytest.FixtureRequest, store: BlobStore) -> Staged:
    """Lists what a write could leave half-done: staged files, or pending multipart uploads."""
    if isinstance(store, LocalBlobStore):
        staging = store.root / ".tmp"
        return lambda: sorted(path.name for path in staging.iterdir())
    assert isinstance(store, S3BlobStore)
    client: S3Client = request.getfixturevalue("s3_client")
    bucket = store.bucket

    def pending_uploads() -> list[str]:
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return sorted(upload.get("Key", "") for upload in uploads)

    return pending_uploads
