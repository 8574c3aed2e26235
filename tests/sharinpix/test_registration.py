"""Registering uploads: the result's signature and fields are checked against the stored
asset, one image per upload whichever route (client callback, notification_url) comes first,
and the upload_form a browser posts."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.auth.signing import api_sign
from tests.conftest import Tenant
from tests.sharinpix.helpers import album_token, auth, claims_of, new_album, upload_through_form


def _images(app: FastAPI, tenant: Tenant) -> int:
    with app.state.services.db.uow() as uow:
        return int(uow.images.count(tenant.organization_id))


def test_upload_form(client: TestClient, tenant: Tenant) -> None:
    album_id = new_album()
    token = album_token(tenant, album_id, see=True, image_upload=True)
    # The Host header must not leak into URLs: they come from the configured public URL.
    response = client.get(f"/api/v1/albums/{album_id}/", headers={**auth(token),
                                                                  "Host": "evil.example"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["id", "public_id", "images_count", "views_count", "upload_form",
                          "organization_id", "thumbnails"]
    assert body["id"] == album_id and body["images_count"] == 0 and body["thumbnails"] == {}
    form = body["upload_form"]
    assert form["url"] == f"http://testserver/v1_1/{tenant.cloud}/image/upload"
    params = form["params"]
    assert set(params) == {"colors", "faces", "image_metadata", "phash", "tags", "timestamp",
                           "type", "notification_url", "signature", "api_key"}
    assert all(isinstance(v, str | int) and not isinstance(v, bool) for v in params.values())
    assert params["tags"] == album_id and params["api_key"] == tenant.api_key
    signed = {k: v for k, v in params.items() if k not in ("signature", "api_key")}
    assert params["signature"] == api_sign(signed, tenant.api_secret)
    notification = urlsplit(params["notification_url"])
    assert notification.geturl().startswith("http://testserver/api/v1/cloudinary?token=")
    claims = claims_of(parse_qs(notification.query)["token"][0])
    assert claims["abilities"] == {album_id: {"Access": {"image_upload": True}}}
    assert claims["iss"] == tenant.api_key and claims["exp"] > params["timestamp"]
    assert response.headers["X-access-upload"] == "true"
    assert response.headers["X-access-see"] == "true"
    assert response.headers["X-access-list"] == "false"


def test_notification_first_then_client(client: TestClient, app: FastAPI, tenant: Tenant,
                                        photo: Path) -> None:
    album_id = new_album()
    token = album_token(tenant, album_id)
    result = upload_through_form(client, token, album_id, photo)
    form = client.get(f"/api/v1/albums/{album_id}", headers=auth(token)).json()["upload_form"]
    before = _images(app, tenant)
    # What the upload endpoint posts to notification_url (grammar §9.5).
    notified = client.post(urlsplit(form["params"]["notification_url"]).path + "?" +
                           urlsplit(form["params"]["notification_url"]).query,
                           json={"notification_type": "upload", "timestamp": 1, **result})
    assert notified.status_code == 200, notified.text
    assert notified.headers["X-token"]
    image = notified.json()
    assert image["album_id"] == album_id and image["metadatas"] == {}
    called_back = client.post(f"/api/v1/albums/{album_id}/images/",
                              json={"cloudinary": result, "metadatas": {"k": "v"}},
                              headers=auth(token))
    assert called_back.status_code == 200
    assert called_back.json()["id"] == image["id"]
    assert called_back.json()["metadatas"] == {"k": "v"}  # the callback's metadatas are kept
    assert _images(app, tenant) == before + 1
    other = new_album()
    moved = client.post(f"/api/v1/albums/{other}/images",
                        json={"cloudinary": result},
                        headers=auth(album_token(tenant, other)))
    assert moved.status_code == 409


def test_concurrent_registrations_make_one_image(client: TestClient, app: FastAPI,
                                                 tenant: Tenant, photo: Path) -> None:
    album_id = new_album()
    token = album_token(tenant, album_id)
    result = upload_through_form(client, token, album_id, photo)
    before = _images(app, tenant)

    def register(_: int) -> Any:
        return client.post(f"/api/v1/albums/{album_id}/images", json={"cloudinary": result},
                           headers=auth(token))

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(register, range(6)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    assert _images(app, tenant) == before + 1


@pytest.mark.parametrize(("field", "value"), [
    ("signature", "0" * 40), ("version", "1"), ("public_id", "never-uploaded"),
    ("width", 4000), ("bytes", "1"), ("format", "png"), ("etag", "0" * 32),
    ("image_metadata", {"DateTimeOriginal": "1999:01:01 00:00:00"}),
    ("colors", [["#000000", 100.0]]), ("phash", "0000000000000000"), ("tags", ["other"]),
    ("type", "upload"), ("url", "http://evil.example/x.jpg"),
])
def test_forged_results_are_refused(field: str, value: object, client: TestClient,
                                    app: FastAPI, tenant: Tenant, photo: Path) -> None:
    album_id = new_album()
    token = album_token(tenant, album_id)
    result = upload_through_form(client, token, album_id, photo)
    before = _images(app, tenant)
    response = client.post(f"/api/v1/albums/{album_id}/images",
                           json={"cloudinary": {**result, field: value}}, headers=auth(token))
    assert response.status_code == 401, response.text
    assert _images(app, tenant) == before


@pytest.mark.parametrize("body", [{}, {"cloudinary": "x"}, {"cloudinary": {"public_id": "a"}},
                                  {"cloudinary": {"public_id": "a", "version": "x",
                                                  "signature": "s"}}])
def test_malformed_results_are_400(body: dict[str, Any], client: TestClient,
                                   tenant: Tenant) -> None:
    album_id = new_album()
    response = client.post(f"/api/v1/albums/{album_id}/images", json=body,
                           headers=auth(album_token(tenant, album_id)))
    assert response.status_code == 400, response.text


def test_unknown_image_is_404(client: TestClient, tenant: Tenant) -> None:
    token = album_token(tenant, "x")
    response = client.get(f"/api/v1/images/{uuid.uuid4()}", headers=auth(token))
    assert response.status_code == 404
    assert client.get(f"/images/{uuid.uuid4()}?token={token}").status_code == 404
