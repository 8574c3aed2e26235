"""The Cloudinary upload API over real ASGI, on every back end (SQLite/local, PostgreSQL/S3)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.auth.signing import response_signature
from tessera.grammar.url import delivery_signature
from tests.api.helpers import signed_fields, stored
from tests.conftest import Tenant


@pytest.fixture(scope="module")
def photo(corpus: Path) -> Path:
    return corpus / "gps" / "paris_n_e.jpg"


def post(client: TestClient, fields: dict[str, str], path: Path | None = None,
         url: str | None = None):
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")} if path else None
    if url is None:  # the test's own tenant cloud
        url = CURRENT["tenant"].upload_url
    return client.post(url, data=fields, files=files)


CURRENT: dict[str, Tenant] = {}


@pytest.fixture(autouse=True)
def _current_tenant(tenant: Tenant) -> None:
    CURRENT["tenant"] = tenant


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert message in body["error"]["message"]
    assert message in response.headers["X-Cld-Error"]


def test_signed_upload_returns_the_cloudinary_result(client: TestClient, app: FastAPI,
                                                     tenant: Tenant, photo: Path) -> None:
    data = photo.read_bytes()
    fields = signed_fields(tenant, public_id="site/photo-1", type="authenticated",
                           tags="a0Ab000000u975pEAA,roof", colors=True, faces=True,
                           image_metadata=True, phash=True, context="alt=x|caption=y")
    response = post(client, fields, photo)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["public_id"] == "site/photo-1"
    assert result["type"] == "authenticated" and result["resource_type"] == "image"
    assert result["format"] == "jpg"
    assert result["bytes"] == len(data)
    assert result["etag"] == hashlib.md5(data).hexdigest()  # noqa: S324 - Cloudinary's etag
    assert result["tags"] == ["a0Ab000000u975pEAA", "roof"]
    assert result["context"] == {"custom": {"alt": "x", "caption": "y"}}
    assert result["original_filename"] == photo.stem
    assert result["api_key"] == tenant.api_key
    assert isinstance(result["version"], int) and abs(result["version"] - time.time()) < 120
    assert result["signature"] == response_signature("site/photo-1", result["version"],
                                                     tenant.api_secret)
    assert re.fullmatch(r"[0-9a-f]{32}", result["asset_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["created_at"])
    assert isinstance(result["width"], int) and isinstance(result["height"], int)
    assert result["pages"] == 1
    # Authenticated originals get a signed URL; the version is not signed (§8).
    sig = delivery_signature("site/photo-1.jpg", tenant.api_secret)
    assert result["url"] == (f"http://testserver/{tenant.cloud}/image/authenticated/s--{sig}--/"
                             f"v{result['version']}/site/photo-1.jpg")
    metadata = result["image_metadata"]
    assert all(isinstance(v, str) for v in metadata.values())
    assert "Make" in metadata and "DateTimeOriginal" in metadata
    assert re.fullmatch(r"[0-9a-f]{16}", result["phash"])
    assert result["colors"] and all(re.fullmatch(r"#[0-9A-F]{6}", c) for c, _ in result["colors"])
    percents = [p for _, p in result["colors"]]
    assert percents == sorted(percents, reverse=True)
    assert result["predominant"]["google"]
    assert result["coordinates"] == {"faces": result["faces"]}
    assert isinstance(result["semi_transparent"], bool) and isinstance(result["grayscale"], bool)
    assert stored(app, tenant) == (1, [f"originals/{tenant.organization_id}/"
                                       f"{hashlib.sha256(data).hexdigest()[:2]}/"
                                       f"{hashlib.sha256(data).hexdigest()}"])


def test_analysis_fields_only_when_asked(client: TestClient, tenant: Tenant,
                                         photo: Path) -> None:
    result = post(client, signed_fields(tenant), photo).json()
    for field in ("image_metadata", "colors", "predominant", "phash", "faces", "coordinates"):
        assert field not in result
    assert len(result["public_id"]) == 20 and result["type"] == "upload"
    assert "/s--" not in result["url"]  # public originals are not signed


def test_urlencoded_data_uri_upload(client: TestClient, tenant: Tenant, corpus: Path) -> None:
    png = corpus / "png" / "rgba.png"
    fields = signed_fields(tenant, public_id="from-data-uri")
    fields["file"] = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    response = client.post(tenant.upload_url, data=fields)  # application/x-www-form-urlencoded
    assert response.status_code == 200, response.text
    assert response.json()["public_id"] == "from-data-uri"
    assert response.json()["bytes"] == png.stat().st_size


def test_auto_resource_type_is_accepted(client: TestClient, tenant: Tenant, photo: Path) -> None:
    response = post(client, signed_fields(tenant), photo, url=f"/v1_1/{tenant.cloud}/auto/upload")
    assert response.status_code == 200 and response.json()["resource_type"] == "image"


def test_overwrite_and_existing(client: TestClient, app: FastAPI, tenant: Tenant,
                                photo: Path, corpus: Path) -> None:
    other = next((corpus / "jpeg").glob("*.jpg"))
    first = post(client, signed_fields(tenant, public_id="same"), photo).json()
    second = post(client, signed_fields(tenant, public_id="same"), other).json()
    assert second["overwritten"] is True
    assert second["version"] > first["version"]
    assert second["etag"] != first["etag"] and second["asset_id"] == first["asset_id"]
    # The replaced original is deleted; only the new one's bytes remain.
    rows, blobs = stored(app, tenant)
    assert rows == 1 and blobs == [f"originals/{tenant.organization_id}/"
                                   f"{sha256(other)[:2]}/{sha256(other)}"]
    kept = post(client, signed_fields(tenant, public_id="same", overwrite=False), photo).json()
    assert kept["existing"] is True and kept["etag"] == second["etag"]
    assert kept["version"] == second["version"]
    assert stored(app, tenant)[0] == 1


def test_an_overwrite_keeps_the_old_original_another_image_still_has(
        client: TestClient, app: FastAPI, tenant: Tenant, photo: Path, corpus: Path) -> None:
    other = next((corpus / "jpeg").glob("*.jpg"))
    post(client, signed_fields(tenant, public_id="first"), photo)
    post(client, signed_fields(tenant, public_id="twin"), photo)  # the same bytes
    assert post(client, signed_fields(tenant, public_id="first"), other).json()["overwritten"]
    assert sorted(stored(app, tenant)[1]) == sorted(
        f"originals/{tenant.organization_id}/{sha256(path)[:2]}/{sha256(path)}"
        for path in (photo, other))


@pytest.mark.parametrize("change, message", [
    ({"signature": "0" * 40}, "Invalid Signature"),
    ({"public_id": "forged"}, "Invalid Signature"),
    ({"signature": ""}, "Missing required parameter - signature"),
    ({"api_key": ""}, "Must supply api_key"),
    ({"api_key": "unknown"}, "Unknown API key"),
])
def test_bad_signatures_are_refused(client: TestClient, app: FastAPI, tenant: Tenant,
                                    photo: Path, change: dict[str, str], message: str) -> None:
    fields = {**signed_fields(tenant, public_id="real"), **change}
    assert_error(post(client, fields, photo), 401, message)
    assert stored(app, tenant) == (0, [])


def test_stale_and_future_timestamps(client: TestClient, app: FastAPI, tenant: Tenant,
                                     photo: Path) -> None:
    stale = signed_fields(tenant, timestamp=int(time.time()) - 3700)
    assert_error(post(client, stale, photo), 401, "Stale request")
    future = signed_fields(tenant, timestamp=int(time.time()) + 3700)
    assert_error(post(client, future, photo), 401, "Stale request")
    assert stored(app, tenant) == (0, [])


def test_revoked_secret_is_refused(client: TestClient, app: FastAPI, tenant: Tenant,
                                   photo: Path) -> None:
    app.state.services.secrets.revoke(tenant.api_key)
    assert_error(post(client, signed_fields(tenant), photo), 401, "Unknown API key")


def test_secrets_do_not_cross_organizations(client: TestClient, app: FastAPI, tenant: Tenant,
                                            photo: Path) -> None:
    other = app.state.services.secrets.create("other", tenant.organization_id + "-b")
    post(client, signed_fields(tenant, public_id="mine"), photo)
    theirs = Tenant(tenant.organization_id + "-b", other.id, other.secret)
    # Another organization's key cannot upload into this cloud.
    assert_error(post(client, signed_fields(theirs), photo, tenant.upload_url), 401,
                 "does not belong to cloud")
    result = post(client, signed_fields(theirs, public_id="mine", overwrite=False), photo,
                  theirs.upload_url).json()
    assert "existing" not in result  # the same public id in another organization is distinct
    assert stored(app, tenant)[0] == 1 and stored(app, theirs)[0] == 1


def test_missing_file(client: TestClient, tenant: Tenant) -> None:
    assert_error(client.post(tenant.upload_url, data=signed_fields(tenant)), 400,
                 "Missing required parameter - file")


def test_remote_urls_are_not_fetched_yet(client: TestClient, tenant: Tenant) -> None:
    fields = {**signed_fields(tenant), "file": "http://169.254.169.254/latest/meta-data"}
    assert_error(client.post(tenant.upload_url, data=fields), 400,
                 "Remote URL uploads are not supported")


def test_unknown_cloud_and_resource_type(client: TestClient, tenant: Tenant,
                                         photo: Path) -> None:
    assert_error(post(client, signed_fields(tenant), photo, "/v1_1/other/image/upload"), 404,
                 "Unknown cloud")
    assert_error(post(client, signed_fields(tenant), photo, f"/v1_1/{tenant.cloud}/video/upload"),
                 400,
                 "Unsupported resource_type")


def test_every_file_the_manifest_rejects_is_refused_and_leaves_nothing(
        client: TestClient, app: FastAPI, tenant: Tenant, corpus: Path) -> None:
    rejected = [e for e in json.loads((corpus / "manifest.json").read_text())
                if e["expected"]["expected_to_fail"]]
    assert len(rejected) > 30
    for entry in rejected:
        response = post(client, signed_fields(tenant), corpus / entry["path"])
        assert response.status_code == 400, (entry["path"], response.text)
        assert response.json()["error"]["message"], entry["path"]
    assert stored(app, tenant) == (0, [])


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert "/v1_1/{cloud}/{resource_type}/upload" in spec["paths"]
    assert client.get("/docs").status_code == 200


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
