"""`S3BlobStore`: the `BlobStore` port on an S3-protocol bucket (AWS S3, MinIO, Ceph, moto).

Key `a/b` is the object `<prefix>a/b`. Writes go through boto3's managed transfer: small objects
are one PutObject and large ones a multipart upload, and S3 makes either visible only once it is
complete, so `put` is atomic without any staging of our own. If the source stream raises, the
transfer aborts its multipart upload (no orphaned parts are billed) and nothing is written.
This module never creates buckets on its own: production buckets are provisioned outside the
application; `ensure_bucket` exists for development and tests.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from tessera.blobs.keys import blob_not_found, validate_key, validate_prefix

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from botocore.response import StreamingBody
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType

_MIB = 1024 * 1024
_READ_BUFFER = _MIB
# Objects up to 8 MiB go in one PutObject; larger ones in 8 MiB parts (S3's floor is 5 MiB a
# part, its ceiling 10,000 parts, so up to ~78 GiB per object at this size).
_TRANSFER_THREADS = 4
_DELETE_BATCH = 1000
_TRANSFER = TransferConfig(multipart_threshold=8 * _MIB, multipart_chunksize=8 * _MIB,
                           max_concurrency=_TRANSFER_THREADS)


class S3BlobStore:
    """Objects in `bucket` under `prefix`; one boto3 client, built here and shared by threads.

    Credentials left as None fall back to boto3's usual chain (environment, config files,
    instance or task role). Raises `ValueError` for an invalid prefix or half-given credentials.
    """

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None) -> None:
        if not bucket:
            raise ValueError("S3 bucket name is empty")
        if (access_key_id is None) != (secret_access_key is None):
            raise ValueError("give both S3 access_key_id and secret_access_key, or neither")
        stripped = prefix.strip("/")
        self.bucket = bucket
        self.prefix = f"{validate_key(stripped)}/" if stripped else ""
        self.endpoint_url = endpoint_url
        self.region = region
        config = Config(
            # Standard mode retries throttling and 5xx with backoff; 5 attempts ride out a blip
            # without hiding a dead endpoint for minutes.
            retries={"max_attempts": 5, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            # Room for the transfer's worker threads of a few concurrent uploads.
            max_pool_connections=4 * _TRANSFER_THREADS,
            # Self-hosted endpoints (MinIO, moto, Ceph) rarely have wildcard DNS for
            # `<bucket>.host`, so address them by path; AWS itself keeps virtual-host addressing.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        session = boto3.session.Session(aws_access_key_id=access_key_id,
                                        aws_secret_access_key=secret_access_key,
                                        region_name=region)
        self._client: S3Client = session.client("s3", endpoint_url=endpoint_url, config=config)

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (development and tests only)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _status(exc) != 404:
                raise
        try:
            if self.region and self.region != "us-east-1":
                # Outside us-east-1, S3 insists the location is repeated in the body.
                self._client.create_bucket(
                    Bucket=self.bucket,
                    CreateBucketConfiguration={
                        "LocationConstraint": cast("BucketLocationConstraintType", self.region)},
                )
            else:
                self._client.create_bucket(Bucket=self.bucket)
        except ClientError as exc:
            # Another process created it between our HEAD and CREATE: that is success.
            if _code(exc) != "BucketAlreadyOwnedByYou":
                raise

    def put(self, key: str, source: BinaryIO, *, content_type: str | None = None) -> None:
        """Store the stream under `key` atomically, replacing any existing object.

        If reading `source` raises, that exception propagates and no object is written.
        """
        extra = {"ContentType": content_type} if content_type else None
        self._client.upload_fileobj(source, self.bucket, self._object_key(key),
                                    ExtraArgs=extra, Config=_TRANSFER)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store bytes under `key` atomically."""
        self.put(key, io.BytesIO(data), content_type=content_type)

    def get_bytes(self, key: str) -> bytes:
        """Whole object. Raises `NotFound` if absent."""
        with self.open(key) as stream:
            return stream.read()

    def open(self, key: str) -> BinaryIO:
        """A buffered stream of the object, fetched as consumed. Raises `NotFound` if absent.

        Close it when done: it holds an HTTP connection from the client's pool.
        """
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _code(exc) == "NoSuchKey":
                raise blob_not_found(key) from None
            raise
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=_READ_BUFFER)

    def exists(self, key: str) -> bool:
        """Whether the object exists. A missing bucket also answers False (HEAD has no body)."""
        return self._head_size(key) is not None

    def size(self, key: str) -> int:
        """Size in bytes. Raises `NotFound` if absent."""
        found = self._head_size(key)
        if found is None:
            raise blob_not_found(key)
        return found

    def delete(self, key: str) -> None:
        """Remove the object; absent keys are not an error (S3 DELETE is idempotent)."""
        self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with `prefix`, in lexicographic order, fetched page by page."""
        # Validate now, not on the first next(): a bad prefix is a bug at the call site.
        validate_prefix(prefix)
        return self._list(self.prefix + prefix)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object below `prefix` (not empty: no call wipes the store), by
        DeleteObjects batches of up to 1,000 keys (S3's maximum)."""
        if not prefix:
            raise ValueError("delete_prefix needs a non-empty prefix")
        validate_prefix(prefix)
        count = 0
        batch: list[str] = []
        for key in list(self._list(self.prefix + prefix)):
            batch.append(self.prefix + key)
            if len(batch) == _DELETE_BATCH:
                count += self._delete_batch(batch)
                batch = []
        if batch:
            count += self._delete_batch(batch)
        return count

    def _delete_batch(self, object_keys: list[str]) -> int:
        response = self._client.delete_objects(
            Bucket=self.bucket,
            Delete={"Objects": [{"Key": k} for k in object_keys], "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            raise RuntimeError(f"S3 refused to delete {len(errors)} objects: "
                               f"{errors[0].get('Code')}")
        return len(object_keys)

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None  # remote objects are fetched by the caller, which caches them on disk

    def _list(self, full_prefix: str) -> Iterator[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix):]

    def _head_size(self, key: str) -> int | None:
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise
        return int(head["ContentLength"])

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)


class _BodyReader(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so `io.BufferedReader` can give callers the
    whole `BinaryIO` surface (readinto, readline, iteration) that StreamingBody lacks."""

    def __init__(self, body: StreamingBody) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        # StreamingBody.read checks the byte count against Content-Length at the end, so a
        # connection cut mid-object raises instead of passing for a short object.
        data = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
