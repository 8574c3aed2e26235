"""What only the S3 back end promises: prefix layout, multipart, content type, buckets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tessera.blobs import S3BlobStore
from tests.blobs.conftest import S3_KEY_ID, S3_PREFIX, S3_REGION, S3_SECRET
from tests.blobs.streams import MIB, one_way, payload

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

pytestmark = pytest.mark.s3


def test_objects_live_under_the_prefix(s3_store: S3BlobStore, s3_client: S3Client) -> None:
    s3_store.put_bytes("originals/k", b"x")
    # Something else in the same bucket, outside the store's prefix.
    s3_client.put_object(Bucket=s3_store.bucket, Key="elsewhere/k", Body=b"y")

    listed = s3_client.list_objects_v2(Bucket=s3_store.bucket)
    assert sorted(item["Key"] for item in listed.get("Contents", [])) == [
        "elsewhere/k", f"{S3_PREFIX}/originals/k"]
    assert list(s3_store.keys()) == ["originals/k"]
    assert s3_store.exists("elsewhere/k") is False


def test_large_put_is_one_multipart_upload(s3_store: S3BlobStore, s3_client: S3Client) -> None:
    s3_store.put("big", one_way(payload(12 * MIB)))
    s3_store.put("small", one_way(payload(MIB)))

    def etag(key: str) -> str:
        return s3_client.head_object(Bucket=s3_store.bucket, Key=f"{S3_PREFIX}/{key}")["ETag"]

    # A multipart ETag ends in "-<parts>": 12 MiB in 8 MiB parts is 2; a PutObject has none.
    assert etag("big").strip('"').endswith("-2")
    assert "-" not in etag("small")


def test_content_type_is_stored(s3_store: S3BlobStore, s3_client: S3Client) -> None:
    s3_store.put_bytes("image.png", b"\x89PNG", content_type="image/png")
    s3_store.put_bytes("unknown", b"?")

    def content_type(key: str) -> str:
        head = s3_client.head_object(Bucket=s3_store.bucket, Key=f"{S3_PREFIX}/{key}")
        return head["ContentType"]

    assert content_type("image.png") == "image/png"
    assert content_type("unknown") == "binary/octet-stream"  # S3's default


def test_keys_paginates_past_one_listing_page(s3_store: S3BlobStore) -> None:
    # ListObjectsV2 returns at most 1000 keys a page.
    keys = [f"many/{n:04d}" for n in range(1003)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3_store.put_bytes(key, b""), keys))

    assert list(s3_store.keys("many/")) == keys


def test_missing_bucket_is_a_configuration_error_not_not_found(s3_endpoint: str) -> None:
    store = S3BlobStore("no-such-bucket", endpoint_url=s3_endpoint, region=S3_REGION,
                        access_key_id=S3_KEY_ID, secret_access_key=S3_SECRET)

    with pytest.raises(ClientError) as caught:
        store.get_bytes("k")
    assert caught.value.response.get("Error", {}).get("Code") == "NoSuchBucket"
    with pytest.raises(ClientError):
        store.put_bytes("k", b"x")


def test_ensure_bucket_creates_once_and_is_idempotent(s3_endpoint: str,
                                                      s3_client: S3Client) -> None:
    store = S3BlobStore("made-by-ensure", endpoint_url=s3_endpoint, region="eu-west-1",
                        access_key_id=S3_KEY_ID, secret_access_key=S3_SECRET)

    store.ensure_bucket()
    store.ensure_bucket()
    store.put_bytes("k", b"v")

    location = s3_client.get_bucket_location(Bucket="made-by-ensure")
    assert location.get("LocationConstraint") == "eu-west-1"
    assert store.get_bytes("k") == b"v"


@pytest.mark.parametrize("prefix", ["", "/", "one", "/one/two/"])
def test_prefix_is_normalised(prefix: str) -> None:
    store = S3BlobStore("bucket", prefix, endpoint_url="http://127.0.0.1:9", region=S3_REGION,
                        access_key_id=S3_KEY_ID, secret_access_key=S3_SECRET)

    assert store.prefix == {"": "", "/": "", "one": "one/", "/one/two/": "one/two/"}[prefix]


@pytest.mark.parametrize("prefix", ["a//b", "../x", "sp ace"])
def test_bad_prefix_is_rejected(prefix: str) -> None:
    with pytest.raises(ValueError, match="blob key"):
        S3BlobStore("bucket", prefix, endpoint_url=None, region=S3_REGION)


def test_half_given_credentials_are_rejected() -> None:
    with pytest.raises(ValueError, match="both"):
        S3BlobStore("bucket", endpoint_url=None, region=S3_REGION, access_key_id="only-id",
                    secret_access_key=None)
