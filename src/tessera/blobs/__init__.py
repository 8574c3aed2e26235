"""Blob stores: the two implementations of `tessera.services.ports.BlobStore`, and the choice.

`open_blob_store` turns the configured storage URL into a store; it is called once by the
composition root (`create_app`, the CLI) and the store is passed down. Nothing here reads settings
or environment variables itself, and nothing is built at import time.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tessera.blobs.keys import validate_key, validate_prefix
from tessera.blobs.local import LocalBlobStore
from tessera.blobs.s3 import S3BlobStore
from tessera.services.ports import BlobStore

__all__ = [
    "LocalBlobStore",
    "S3BlobStore",
    "open_blob_store",
    "validate_key",
    "validate_prefix",
]

# AWS's rules for new buckets (MinIO and Ceph follow them): 3-63 of lowercase, digits, `.`, `-`.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_SUPPORTED = "'' (the data directory), a path, file:///absolute/path or s3://bucket[/prefix]"


def open_blob_store(storage_url: str, *, data_dir: Path, s3_endpoint_url: str | None = None,
                    s3_region: str | None = None, s3_access_key_id: str | None = None,
                    s3_secret_access_key: str | None = None) -> BlobStore:
    """The blob store `storage_url` names.

    - `""`: a `LocalBlobStore` in `data_dir / "blobs"`;
    - `file:///abs/path`, or a path without a `scheme:` (relative to the working directory):
      a `LocalBlobStore`;
    - `s3://bucket/optional/prefix`: an `S3BlobStore` using the `s3_*` connection settings.

    Raises:
        ValueError: an unknown scheme or a malformed URL; the message never repeats the URL,
            which could carry credentials someone pasted into it.
    """
    if not storage_url:
        return LocalBlobStore(data_dir / "blobs")
    parts = urlsplit(storage_url)
    if not parts.scheme:
        # Anything with a scheme is a URL, so a typo like `s3:/bucket` fails loudly here instead
        # of quietly becoming a local directory named `s3:`.
        return LocalBlobStore(Path(storage_url))
    if parts.query or parts.fragment:
        raise ValueError("storage URL must not have a query or fragment")
    if parts.scheme == "file":
        # RFC 8089: `file:///p` and `file://localhost/p` are local; any other host is not ours.
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError("file storage URL must be file:///absolute/path")
        return LocalBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if "@" in parts.netloc or ":" in parts.netloc:
            raise ValueError("s3 storage URL takes only a bucket name: put credentials and "
                             "endpoint in the S3 settings")
        if not _BUCKET.fullmatch(parts.netloc):
            raise ValueError("s3 storage URL needs a valid bucket name: s3://bucket[/prefix], "
                             "3-63 characters of a-z, 0-9, '.' and '-'")
        return S3BlobStore(parts.netloc, parts.path.strip("/"), endpoint_url=s3_endpoint_url,
                           region=s3_region, access_key_id=s3_access_key_id,
                           secret_access_key=s3_secret_access_key)
    raise ValueError(f"unsupported storage URL scheme {parts.scheme!r}: expected {_SUPPORTED}")
