"""Remote imports (issue 5): `POST /api/v1/imports` and `GET /api/v1/imports/:id`, on both
back ends, fetching from a local HTTP server the server is told to allow
(`TESSERA_IMPORT_ALLOWED_HOSTS`): images, redirect chains, redirects to private addresses, an
endless body, a slow body, upstream errors and files that are not images."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.db.models import Import
from tessera.settings import Settings
from tests.conftest import Tenant
from tests.sharinpix.helpers import auth, client_token, new_album
from tests.sharinpix.test_ability_matrix import check_refused
from tests.support.http_source import Source, serve_source

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")
IMPORT_KEYS = {"id", "album_id", "url", "filename", "status", "image_id", "error",
               "created_at", "updated_at"}
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Importer:
    app: FastAPI
    client: TestClient
    source: Source

    def tenant(self) -> Tenant:
        org = f"org-{uuid.uuid4().hex[:12]}"
        issued = self.app.state.services.secrets.create("imports", org)
        return Tenant(org, issued.id, issued.secret)

    def settle(self) -> None:
        assert self.app.state.import_queue.wait_idle(60), "imports did not finish"


@pytest.fixture(scope="module")
def source(photo: Path) -> Iterator[Source]:
    with serve_source() as running:
        running.files["photo.jpg"] = (photo.read_bytes(), "image/jpeg")
        running.files["notes.txt"] = (b"just some text, not an image\n", "text/plain")
        running.files["broken.jpg"] = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64,
                                       "image/jpeg")
        yield running


@pytest.fixture(scope="module")
def importer(backend_settings: Settings, source: Source) -> Iterator[Importer]:
    from tessera.app import create_app

    settings = backend_settings.model_copy(update={
        "import_allowed_hosts": source.host, "import_timeout": 1.0,
        "max_upload_bytes": MAX_BYTES})
    app = create_app(settings)
    with TestClient(app) as client:
        yield Importer(app, client, source)



def _upload_token(tenant: Tenant, album_id: str) -> str:
    return client_token(tenant, {"abilities": {album_id: {"Access": {"image_upload": True}}}})


def _post(importer: Importer, token: str | None, body: dict[str, Any], how: str = "json",
          slash: str = "") -> Any:
    headers = auth(token) if token else {}
    path = f"/api/v1/imports{slash}"
    if how == "json":
        return importer.client.post(path, json=body, headers=headers)
    fields: list[tuple[str, str]] = []
    for key, value in body.items():
        if isinstance(value, dict):
            fields += [(f"{key}[{k}]", str(v)) for k, v in value.items()]
        else:
            fields.append((key, str(value)))
    return importer.client.post(path, content=urlencode(fields), headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"})


def _get(importer: Importer, token: str, import_id: str, slash: str = "") -> Any:
    return importer.client.get(f"/api/v1/imports/{import_id}{slash}", headers=auth(token))


def _import(importer: Importer, tenant: Tenant, url: str, **extra: Any) -> dict[str, Any]:
    """Post an import, wait for the worker, answer the finished import's JSON."""
    album_id = extra.pop("album_id", None) or new_album()
    token = _upload_token(tenant, album_id)
    response = _post(importer, token, {"album_id": album_id, "url": url, **extra})
    assert response.status_code == 202, response.text
    importer.settle()
    done = _get(importer, token, response.json()["id"])
    assert done.status_code == 200, done.text
    return dict(done.json())


def _stored(importer: Importer, tenant: Tenant) -> tuple[int, list[str]]:
    services = importer.app.state.services
    with services.db.uow() as uow:
        assets = uow.assets.count(tenant.organization_id)
    return assets, list(services.blobs.keys(f"originals/{tenant.organization_id}/"))


def _check_shape(body: dict[str, Any]) -> None:
    assert set(body) == IMPORT_KEYS
    assert isinstance(body["id"], str) and re.fullmatch(r"[0-9a-f-]{36}", body["id"])
    assert body["status"] in {"pending", "running", "done", "failed"}
    assert ISO.fullmatch(body["created_at"]) and ISO.fullmatch(body["updated_at"])
    assert body["image_id"] is None or isinstance(body["image_id"], str)
    assert body["error"] is None or isinstance(body["error"], str)


# --- happy paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("how, slash", [("json", ""), ("form", "/")])
def test_an_image_is_imported_into_the_album(how: str, slash: str, importer: Importer,
                                             photo: Path) -> None:
    tenant = importer.tenant()
    album_id = new_album()
    token = _upload_token(tenant, album_id)
    url = importer.source.url("/files/photo.jpg")
    response = _post(importer, token, {"album_id": album_id, "url": url,
                                       "filename": "roof.jpg",
                                       "metadatas": {"source": "crm", "step": "2"},
                                       "request_headers": {"X-Api-Key": "k1"}}, how, slash)

    assert response.status_code == 202, response.text
    assert response.headers["X-token"]
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    created = response.json()
    _check_shape(created)
    assert (created["album_id"], created["url"], created["filename"]) == (album_id, url,
                                                                          "roof.jpg")
    assert created["status"] in {"pending", "running", "done"}
    importer.settle()
    assert importer.source.seen[-1].headers["x-api-key"] == "k1"

    done = _get(importer, token, created["id"], slash)
    assert done.status_code == 200, done.text
    assert done.headers["X-token"]
    body = done.json()
    _check_shape(body)
    assert body["status"] == "done" and body["error"] is None, body
    assert (body["id"], body["created_at"]) == (created["id"], created["created_at"])
    with importer.app.state.services.db.uow() as uow:  # the source's key is not kept
        assert uow.imports.get(tenant.organization_id, body["id"]).request_headers == {}

    admin = client_token(tenant, {"admin": True})
    image = importer.client.get(f"/api/v1/images/{body['image_id']}", headers=auth(admin))
    assert image.status_code == 200, image.text
    image_body = image.json()
    assert image_body["album_id"] == album_id
    assert image_body["filename"] == "roof.jpg"
    assert image_body["metadatas"] == {"source": "crm", "step": "2"}
    assert (image_body["width"], image_body["height"]) == (400, 300)
    assert image_body["infos"]["format"] == "jpg"
    assert image_body["infos"]["bytes"] == str(photo.stat().st_size)
    assert image_body["thumbnails"]["mini"].startswith("http://testserver/")
    # The original is the very file served, byte for byte.
    services = importer.app.state.services
    with services.db.uow() as uow:
        stored = uow.images.get(tenant.organization_id, body["image_id"])
        assert stored is not None
        blob = services.blobs.get_bytes(stored.asset.blob_key)
    assert hashlib.sha256(blob).digest() == hashlib.sha256(photo.read_bytes()).digest()
    album = importer.client.get(f"/api/v1/albums/{album_id}", headers=auth(admin))
    assert album.json()["images_count"] == 1
    assert re.search(r'^tessera_jobs_total\{job="import",outcome="done"\} [1-9]',
                     importer.client.get("/metrics").text, re.M)


def test_the_filename_defaults_to_the_urls_last_segment(importer: Importer) -> None:
    tenant = importer.tenant()
    body = _import(importer, tenant, importer.source.url("/chain/3?file=photo.jpg"))
    assert body["status"] == "done", body
    assert body["filename"] is None
    image = importer.client.get(f"/api/v1/images/{body['image_id']}",
                                headers=auth(client_token(tenant, {"admin": True})))
    assert image.json()["filename"] == "photo.jpg"


# --- refused and failed fetches -----------------------------------------------------------------


@pytest.mark.parametrize("path, message", [
    pytest.param("/redirect?to=" + quote("http://169.254.169.254/latest/meta-data/"),
                 "Refused to fetch from 169.254.169.254: it resolves to a cloud metadata address",
                 id="redirect_to_metadata"),
    pytest.param("/redirect?to=" + quote("http://10.0.0.1/photo.jpg"),
                 "Refused to fetch from 10.0.0.1: it resolves to a private address",
                 id="redirect_to_private"),
    pytest.param("/redirect?to=" + quote("http://[::ffff:127.0.0.1]/photo.jpg"),
                 "Refused to fetch from ::ffff:127.0.0.1", id="redirect_to_mapped_loopback"),
    pytest.param("/chain/6?file=photo.jpg", "More than 5 redirects", id="too_many_redirects"),
    pytest.param("/endless", f"The remote file is larger than {MAX_BYTES} bytes", id="endless"),
    pytest.param("/slow", "The remote server took longer than 1 s", id="slow"),
    pytest.param("/files/missing.jpg", "The remote server answered 404", id="upstream_404"),
    pytest.param("/files/notes.txt", "Unsupported file type: text", id="not_an_image"),
    pytest.param("/files/broken.jpg", "Invalid image file", id="corrupt_image"),
])
def test_a_failed_import_records_why_and_leaves_nothing(path: str, message: str,
                                                        importer: Importer) -> None:
    tenant = importer.tenant()
    body = _import(importer, tenant, importer.source.url(path))
    _check_shape(body)
    assert body["status"] == "failed", body
    assert body["image_id"] is None
    assert body["error"] and body["error"].startswith(message), body["error"]
    assert _stored(importer, tenant) == (0, [])
    assert re.search(r'^tessera_jobs_total\{job="import",outcome="failed"\} [1-9]',
                     importer.client.get("/metrics").text, re.M)


def test_a_redirect_to_another_port_of_an_allowed_host_is_refused(importer: Importer) -> None:
    # The allow-list names 127.0.0.1:<port>: the same address on another port is private.
    tenant = importer.tenant()
    elsewhere = f"http://127.0.0.1:{importer.source.port + 1}/photo.jpg"
    body = _import(importer, tenant, importer.source.url("/redirect?to=" + quote(elsewhere)))
    assert body["status"] == "failed"
    assert body["error"] == "Refused to fetch from 127.0.0.1: it resolves to a loopback address"


def test_loopback_is_refused_without_the_allow_list(app: FastAPI, client: TestClient,
                                                    tenant: Tenant, source: Source) -> None:
    # The suite's ordinary server allows no host at all.
    album_id = new_album()
    token = _upload_token(tenant, album_id)
    response = client.post("/api/v1/imports", headers=auth(token),
                           json={"album_id": album_id, "url": source.url("/files/photo.jpg")})
    assert response.status_code == 202, response.text
    assert app.state.import_queue.wait_idle(60)
    body = client.get(f"/api/v1/imports/{response.json()['id']}", headers=auth(token)).json()
    assert body["status"] == "failed"
    assert body["error"] == "Refused to fetch from 127.0.0.1: it resolves to a loopback address"


def test_a_pending_import_is_resumed_after_a_restart(importer: Importer) -> None:
    tenant = importer.tenant()
    album_id = new_album()
    token = _upload_token(tenant, album_id)
    # An import a previous server accepted but never ran: only its row exists.
    first = _post(importer, token, {"album_id": album_id, "url": importer.source.url("/x")})
    importer.settle()
    services = importer.app.state.services
    now = datetime.now(UTC)
    with services.db.uow() as uow:
        album_pk = uow.imports.get(tenant.organization_id, first.json()["id"]).album_id
        row = Import(id=str(uuid.uuid4()), organization_id=tenant.organization_id,
                     album_id=album_pk, url=importer.source.url("/files/photo.jpg"),
                     filename=None, metadatas={}, request_headers={}, status="pending",
                     error=None, attempts=0, image_id=None, user_id=None, created_at=now,
                     updated_at=now)
        uow.imports.add(row)
        uow.commit()
    assert services.imports.resume() >= 1
    importer.settle()
    body = _get(importer, token, row.id).json()
    assert body["status"] == "done", body
    # A finished import is never run again.
    services.imports.run(row.id)
    assert _get(importer, token, row.id).json() == body


# --- abilities ----------------------------------------------------------------------------------


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_upload": True}}}}, id="album"),
    pytest.param(lambda a: {"admin": True}, id="admin"),
])
def test_importing_is_granted(claims: Any, importer: Importer) -> None:
    tenant = importer.tenant()
    album_id = new_album()
    token = client_token(tenant, claims(album_id))
    created = _post(importer, token, {"album_id": album_id,
                                      "url": importer.source.url("/files/photo.jpg")})
    assert created.status_code == 202, created.text
    assert _get(importer, token, created.json()["id"]).status_code == 200


REFUSED = [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"see": True, "image_list": True}}}},
                 id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_upload": False}}}}, id="false"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_upload": "true"}}}},
                 id="not_true"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"image_upload": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*", "download": True, "image_delete": True}, id="search"),
]


@pytest.mark.parametrize("claims", REFUSED)
def test_importing_is_refused(claims: Any, importer: Importer) -> None:
    tenant = importer.tenant()
    album_id = new_album()
    granted = claims(album_id)
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(_post(importer, token, {"album_id": album_id,
                                          "url": importer.source.url("/files/photo.jpg")}))
    importer.settle()
    assert _stored(importer, tenant) == (0, [])


@pytest.mark.parametrize("claims", [p for p in REFUSED if p.id != "no_token"])
def test_reading_an_import_is_refused(claims: Any, importer: Importer) -> None:
    tenant = importer.tenant()
    album_id = new_album()
    created = _post(importer, _upload_token(tenant, album_id),
                    {"album_id": album_id, "url": importer.source.url("/files/photo.jpg")})
    check_refused(_get(importer, client_token(tenant, claims(album_id)), created.json()["id"]))
    check_refused(importer.client.get(f"/api/v1/imports/{created.json()['id']}"))


def test_another_organizations_import_is_unknown(importer: Importer) -> None:
    tenant, other = importer.tenant(), importer.tenant()
    album_id = new_album()
    created = _post(importer, _upload_token(tenant, album_id),
                    {"album_id": album_id, "url": importer.source.url("/files/photo.jpg")})
    for token in (client_token(other, {"admin": True}), _upload_token(other, album_id)):
        response = _get(importer, token, created.json()["id"])
        assert response.status_code == 404, response.text
        assert set(response.json()) == {"error"} and response.headers["X-token"]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {}, {"url": "https://example.com/a.jpg"}, {"album_id": "A"},
    {"album_id": "A", "url": ""}, {"album_id": "A", "url": 12},
    {"album_id": "A", "url": "ftp://example.com/a.jpg"},
    {"album_id": "A", "url": "file:///etc/passwd"},
    {"album_id": "A", "url": "javascript:alert(1)"},
    {"album_id": "A", "url": "http://user:secret@example.com/a.jpg"},
    {"album_id": "A", "url": "https://example.com/" + "a" * 5000},
    {"album_id": "A", "url": "https://example.com/a.jpg", "import_type": "file"},
    {"album_id": "A", "url": "https://example.com/a.jpg", "metadatas": "text"},
    {"album_id": "A", "url": "https://example.com/a.jpg", "filename": ["a"]},
    {"album_id": "A", "url": "https://example.com/a.jpg", "request_headers": "X: y"},
    {"album_id": "A", "url": "https://example.com/a.jpg", "headers": {"Host": "internal"}},
    {"album_id": "A", "url": "https://example.com/a.jpg",
     "request_headers": {"X-A": "1\r\nX-B: 2"}},
    {"album_id": "x" * 300, "url": "https://example.com/a.jpg"},
])
def test_bad_input_is_400(body: dict[str, Any], importer: Importer) -> None:
    tenant = importer.tenant()
    response = _post(importer, client_token(tenant, {"admin": True}), body)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


def test_malformed_json_and_unknown_ids(importer: Importer) -> None:
    tenant = importer.tenant()
    admin = client_token(tenant, {"admin": True})
    response = importer.client.post("/api/v1/imports", content=b"{not json",
                                    headers={**auth(admin), "Content-Type": "application/json"})
    assert response.status_code == 400 and set(response.json()) == {"error"}
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        missing = _get(importer, admin, unknown)
        assert missing.status_code == 404 and set(missing.json()) == {"error"}


def test_the_import_url_is_kept_as_posted(importer: Importer) -> None:
    tenant = importer.tenant()
    album_id = new_album()
    url = importer.source.url("/files/a%20b.jpg?size=large")
    created = _post(importer, _upload_token(tenant, album_id), {"album_id": album_id,
                                                                "url": url})
    assert created.json()["url"] == url
    assert urlsplit(created.json()["url"]).query == "size=large"
