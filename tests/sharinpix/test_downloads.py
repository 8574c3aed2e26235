"""Downloads (issue 5): `POST /api/v1/downloads` → `{id, zip_url}`, the zip_url itself, and
`GET /api/v1/organizations/:org/albums/:album/zip`, on both back ends. The ZIPs are unzipped
and every entry compared (SHA-256) with the file that was uploaded."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tracemalloc
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.services.downloads import ZipEntry, ZipPlan, entry_names, safe_name
from tests.conftest import Tenant
from tests.sharinpix.helpers import auth, client_token, create_image
from tests.sharinpix.test_ability_matrix import check_refused

DOWNLOAD_KEYS = {"id", "zip_url"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Album:
    album_id: str
    images: list[dict[str, Any]]   # image JSON, in upload order
    files: list[Path]              # the uploaded files, same order


@pytest.fixture
def album(client: TestClient, tenant: Tenant, corpus: Path, tmp_path: Path) -> Album:
    """Three images: two uploads named `roof.jpg` (different pictures) and a PNG."""
    album_id = f"a{uuid.uuid4().hex[:14]}"
    sources = [("one", "roof.jpg", "jpeg/hopper_baseline.jpg"),
               ("two", "roof.jpg", "jpeg/flower_exif.jpg"),
               ("three", "plan.png", "png/iccp_srgb.png")]
    files, images = [], []
    for folder, name, source in sources:
        path = tmp_path / folder / name
        path.parent.mkdir()
        shutil.copyfile(corpus / source, path)
        files.append(path)
        images.append(create_image(client, tenant, path, album_id))
    return Album(album_id, images, files)


def _token(tenant: Tenant, album_id: str, **grants: Any) -> str:
    return client_token(tenant, {"abilities": {album_id: {"Access": grants}}})


def _create(client: TestClient, token: str | None, ids: list[str], how: str = "form",
            slash: str = "") -> Any:
    headers = auth(token) if token else {}
    path = f"/api/v1/downloads{slash}"
    if how == "json":
        return client.post(path, json={"image_ids": ids}, headers=headers)
    return client.post(path, content=urlencode([("image_ids[]", i) for i in ids]),
                       headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})


def _unzip(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    assert int(response.headers["Content-Length"]) == len(response.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None  # every CRC checks out
        return {info.filename: _sha(archive.read(info)) for info in archive.infolist()}


def _expected(album: Album, *indexes: int) -> dict[str, str]:
    names = {0: "roof.jpg", 1: "roof (2).jpg", 2: "plan.png"}
    return {names[i]: _sha(album.files[i].read_bytes()) for i in indexes}


# --- POST /api/v1/downloads and its zip_url -----------------------------------------------------


@pytest.mark.parametrize("how, slash", [("form", ""), ("json", "/")])
def test_a_download_zips_the_originals(how: str, slash: str, client: TestClient,
                                       tenant: Tenant, album: Album) -> None:
    token = _token(tenant, album.album_id, image_download=True)
    response = _create(client, token, [i["id"] for i in album.images], how, slash)

    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    body = response.json()
    assert set(body) == DOWNLOAD_KEYS
    assert isinstance(body["id"], str) and len(body["id"]) == 36
    url = urlsplit(body["zip_url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver",
                                                  f"/api/v1/downloads/{body['id']}/zip")
    assert url.query.startswith("signature=") and token not in body["zip_url"]

    # The zip_url needs no token: its signature is the proof.
    zipped = client.get(f"{url.path}?{url.query}")
    assert _unzip(zipped) == _expected(album, 0, 1, 2)
    assert zipped.headers["Content-Disposition"].startswith(
        f'attachment; filename="download-{body["id"][:8]}.zip"')
    assert zipped.headers["Cache-Control"] == "no-cache, no-store"
    assert client.get(f"{url.path}/?{url.query}").status_code == 200


def test_a_download_keeps_the_order_and_skips_images_trashed_since(
        client: TestClient, tenant: Tenant, album: Album) -> None:
    token = _token(tenant, album.album_id, image_download=True, image_delete=True)
    ids = [album.images[2]["id"], album.images[0]["id"]]
    body = _create(client, token, ids).json()
    url = urlsplit(body["zip_url"])
    listed = zipfile.ZipFile(io.BytesIO(client.get(f"{url.path}?{url.query}").content))
    assert listed.namelist() == ["plan.png", "roof.jpg"]
    assert client.delete(f"/api/v1/images/{ids[0]}", headers=auth(token)).status_code == 204
    assert _unzip(client.get(f"{url.path}?{url.query}")) == _expected(album, 0)


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a, i: {"abilities": {a: {"Access": {"image_download": True}}}},
                 id="album"),
    pytest.param(lambda a, i: {"admin": True}, id="admin"),
    pytest.param(lambda a, i: {"q": "*", "download": True}, id="search_all"),
    pytest.param(lambda a, i: {"q": f"album_id:{a}", "download": True}, id="search_album"),
    pytest.param(lambda a, i: {"q": f"image_id:{i}", "download": True}, id="search_image"),
])
def test_downloading_is_granted(claims: Any, client: TestClient, tenant: Tenant,
                                photo: Path) -> None:
    image = create_image(client, tenant, photo)
    response = _create(client, client_token(tenant, claims(image["album_id"], image["id"])),
                       [image["id"]])
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["zip_url"])
    assert list(_unzip(client.get(f"{url.path}?{url.query}")).values()) == [
        _sha(photo.read_bytes())]


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True, "see": True}}}},
                 id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_download": False}}}},
                 id="false"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_download": "true"}}}},
                 id="not_true"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"image_download": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*"}, id="search_without_download"),
    pytest.param(lambda a: {"q": "*", "download": False}, id="search_download_false"),
    pytest.param(lambda a: {"q": "album_id:another", "download": True},
                 id="search_not_matching"),
])
def test_downloading_is_refused(claims: Any, client: TestClient, tenant: Tenant,
                                photo: Path) -> None:
    image = create_image(client, tenant, photo)
    granted = claims(image["album_id"])
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(_create(client, token, [image["id"]]))


def test_one_image_out_of_reach_refuses_the_whole_download(client: TestClient, tenant: Tenant,
                                                           photo: Path) -> None:
    mine = create_image(client, tenant, photo)
    theirs = create_image(client, tenant, photo)
    token = _token(tenant, mine["album_id"], image_download=True)
    check_refused(_create(client, token, [mine["id"], theirs["id"]]))


def test_another_organizations_images_are_unknown(client: TestClient, app: FastAPI,
                                                  tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    issued = app.state.services.secrets.create("other", f"org-{uuid.uuid4().hex[:12]}")
    other = Tenant("unused", issued.id, issued.secret)
    for token in (client_token(other, {"admin": True}),
                  _token(other, image["album_id"], image_download=True)):
        response = _create(client, token, [image["id"]])
        assert response.status_code == 404, response.text
        assert set(response.json()) == {"error"} and response.headers["X-token"]


@pytest.mark.parametrize("body", [{}, {"image_ids": []}, {"image_ids": [""]},
                                  {"image_ids": [1]}, {"image_ids": {"a": "b"}},
                                  {"image_ids": ["x"] * 1001}, {"album_id": ""},
                                  {"album_id": "x" * 300}])
def test_bad_input_is_400(body: dict[str, Any], client: TestClient, tenant: Tenant) -> None:
    response = client.post("/api/v1/downloads", json=body,
                           headers=auth(client_token(tenant, {"admin": True})))
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


def test_unknown_images_and_albums_are_404(client: TestClient, tenant: Tenant) -> None:
    admin = client_token(tenant, {"admin": True})
    for body in ({"image_ids": [str(uuid.uuid4())]}, {"album_id": "never-used"}):
        response = client.post("/api/v1/downloads", json=body, headers=auth(admin))
        assert response.status_code == 404, response.text
        assert set(response.json()) == {"error"}
    malformed = client.post("/api/v1/downloads", content=b"[1,",
                            headers={**auth(admin), "Content-Type": "application/json"})
    assert malformed.status_code == 400 and set(malformed.json()) == {"error"}


def test_a_download_of_a_whole_album(client: TestClient, tenant: Tenant, album: Album) -> None:
    response = client.post("/api/v1/downloads", json={"album_id": album.album_id},
                           headers=auth(_token(tenant, album.album_id, image_download=True)))
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["zip_url"])
    assert _unzip(client.get(f"{url.path}?{url.query}")) == _expected(album, 0, 1, 2)
    check_refused(client.post("/api/v1/downloads", json={"album_id": album.album_id},
                              headers=auth(_token(tenant, album.album_id, image_list=True))))


@pytest.mark.parametrize("claims, q, indexes", [
    pytest.param(lambda a: {"admin": True}, lambda a: f"album_id:{a}", (0, 1, 2), id="admin"),
    pytest.param(lambda a: {"admin": True}, lambda a: "roof", (0, 1), id="words"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True,
                                                         "image_download": True}}}},
                 lambda a: "plan", (2,), id="album_abilities"),
    pytest.param(lambda a: {"q": f"album_id:{a}", "download": True}, lambda a: "roof", (0, 1),
                 id="search_token"),
])
def test_a_download_of_a_search(claims: Any, q: Any, indexes: tuple[int, ...],
                                client: TestClient, tenant: Tenant, album: Album) -> None:
    token = client_token(tenant, claims(album.album_id))
    response = client.post("/api/v1/downloads", json={"q": q(album.album_id)},
                           headers=auth(token))
    assert response.status_code == 200, response.text
    url = urlsplit(response.json()["zip_url"])
    found = _unzip(client.get(f"{url.path}?{url.query}"))
    # Newest first, as the search answers: names follow that order, contents are the files.
    assert sorted(found.values()) == sorted(_sha(album.files[i].read_bytes())
                                            for i in indexes)


def test_a_search_download_needs_download_on_every_match(client: TestClient, tenant: Tenant,
                                                         album: Album) -> None:
    see_only = _token(tenant, album.album_id, image_list=True)
    check_refused(client.post("/api/v1/downloads", json={"q": "roof"}, headers=auth(see_only)))
    search_only = client_token(tenant, {"q": "*"})
    check_refused(client.post("/api/v1/downloads", json={"q": "roof"},
                              headers=auth(search_only)))
    admin = client_token(tenant, {"admin": True})
    for body in ({"q": "nothing-like-this"}, {"q": 3}, {"q": ""}):
        bad = client.post("/api/v1/downloads", json=body, headers=auth(admin))
        assert bad.status_code == 400, (body, bad.text)
        assert set(bad.json()) == {"error"}


def test_a_zip_url_must_be_signed_and_fresh(client: TestClient, app: FastAPI, tenant: Tenant,
                                            album: Album) -> None:
    body = _create(client, _token(tenant, album.album_id, image_download=True),
                   [album.images[0]["id"]]).json()
    path = urlsplit(body["zip_url"]).path
    signature = urlsplit(body["zip_url"]).query.removeprefix("signature=")
    flipped = signature[:-1] + ("1" if signature[-1] == "0" else "0")
    forged = [flipped] + ([signature.upper()] if signature.upper() != signature else [])
    for query in ("", "?signature=", *(f"?signature={s}" for s in forged)):
        check_refused(client.get(path + query))
    # Another download's signature does not open this one.
    other = _create(client, _token(tenant, album.album_id, image_download=True),
                    [album.images[1]["id"]]).json()
    check_refused(client.get(path + "?" + urlsplit(other["zip_url"]).query))
    # A well-signed id that was never created, and an expired download, are unknown.
    services = app.state.services
    never = urlsplit(services.downloads.zip_url(str(uuid.uuid4())))
    assert client.get(f"{never.path}?{never.query}").status_code == 404
    with services.db.uow() as uow:
        row = uow.downloads.get(body["id"])
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        uow.commit()
    expired = client.get(path + "?signature=" + signature)
    assert expired.status_code == 404 and set(expired.json()) == {"error"}


# --- GET /api/v1/organizations/:org/albums/:album/zip -------------------------------------------


def _album_zip(client: TestClient, org: str, album_id: str, token: str | None,
               slash: str = "") -> Any:
    return client.get(f"/api/v1/organizations/{org}/albums/{album_id}/zip{slash}",
                      headers=auth(token) if token else {})


@pytest.mark.parametrize("slash", ["", "/"])
def test_an_album_zip_streams_every_live_image(slash: str, client: TestClient, tenant: Tenant,
                                               album: Album) -> None:
    token = _token(tenant, album.album_id, image_download=True, image_delete=True)
    response = _album_zip(client, tenant.organization_id, album.album_id, token, slash)
    assert _unzip(response) == _expected(album, 0, 1, 2)
    assert response.headers["X-token"]
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="{album.album_id}.zip"')
    assert client.delete(f"/api/v1/images/{album.images[1]['id']}",
                         headers=auth(token)).status_code == 204
    left = _unzip(_album_zip(client, tenant.organization_id, album.album_id, token))
    assert left == {"roof.jpg": _sha(album.files[0].read_bytes()),
                    "plan.png": _sha(album.files[2].read_bytes())}


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True}}}}, id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_download": False}}}},
                 id="false"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"image_download": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*", "download": True}, id="search"),
])
def test_an_album_zip_is_refused(claims: Any, client: TestClient, tenant: Tenant,
                                 photo: Path) -> None:
    image = create_image(client, tenant, photo)
    granted = claims(image["album_id"])
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(_album_zip(client, tenant.organization_id, image["album_id"], token))


def test_an_album_zip_of_another_organization_is_404(client: TestClient, app: FastAPI,
                                                     tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    album_id = image["album_id"]
    other_org = f"org-{uuid.uuid4().hex[:12]}"
    issued = app.state.services.secrets.create("other", other_org)
    other = Tenant(other_org, issued.id, issued.secret)
    admin_elsewhere = client_token(other, {"admin": True})
    # Its own organization in the path: the album id names no album there.
    mine = client_token(tenant, {"admin": True})
    for org, token in ((tenant.organization_id, admin_elsewhere),
                       (other_org, admin_elsewhere), (other_org, mine),
                       (f"org-{uuid.uuid4().hex[:12]}", mine)):
        response = _album_zip(client, org, album_id, token)
        assert response.status_code == 404, response.text
        assert set(response.json()) == {"error"}
    assert _album_zip(client, tenant.organization_id, "never-used", mine).status_code == 404


# --- streaming and names ------------------------------------------------------------------------


def test_a_large_zip_is_streamed_in_bounded_memory(app: FastAPI, tenant: Tenant,
                                                    tmp_path: Path) -> None:
    services = app.state.services
    size = 6 << 20
    entries, digests = [], {}
    for index in range(4):  # 24 MiB of originals
        data = os.urandom(size)
        key = f"originals/{tenant.organization_id}/zz/big-{index}"
        services.blobs.put_bytes(key, data)
        entries.append(ZipEntry(f"big-{index}.jpg", key, size))
        digests[f"big-{index}.jpg"] = _sha(data)
        del data
    archive = services.downloads.stream(ZipPlan("big.zip", tuple(entries)))
    expected_size = len(archive)
    assert expected_size > 4 * size
    spooled = tmp_path / "big.zip"
    tracemalloc.start()
    try:
        total = 0
        with spooled.open("wb") as out:
            for chunk in archive:
                total += len(chunk)
                out.write(chunk)
                del chunk
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == expected_size == spooled.stat().st_size
    # Streaming held a few MiB at most; a ZIP built whole would have needed all 24.
    assert peak < 8 << 20, peak
    with zipfile.ZipFile(spooled) as unzipped:
        assert {i.filename: _sha(unzipped.read(i)) for i in unzipped.infolist()} == digests
    for entry in entries:
        services.blobs.delete(entry.blob_key)


@pytest.mark.parametrize("filename, fallback, expected", [
    ("roof.jpg", "x", "roof.jpg"), ("../../etc/passwd", "x", "_.._etc_passwd"),
    ("..", "id", "id"), ("  .hidden ", "x", "hidden"), ('a<b>:"c|d?*e', "x", "a_b_c_d_e"),
    ("C:\\Users\\me\\pic.jpg", "x", "C_Users_me_pic.jpg"), ("tab\tnew\nline", "x", "tab_new_line"),
    ("", "img-1", "img-1"), ("Été à Paris.jpg", "x", "Été à Paris.jpg"),
    ("a" * 300 + ".jpeg", "x", "a" * 145 + ".jpeg"),
])
def test_safe_names(filename: str, fallback: str, expected: str) -> None:
    assert safe_name(filename, fallback) == expected


def test_entry_names_are_unique_and_keep_their_extension() -> None:
    names = entry_names([("roof", "jpg", "1"), ("roof.jpg", "jpg", "2"), ("ROOF", "jpg", "3"),
                         ("roof (2)", "jpg", "4"), ("plan", "png", "5"),
                         ("photo.jpeg", "jpg", "6"), ("", "webp", "7"), ("..", "gif", "8")])
    assert names == ["roof.jpg", "roof (2).jpg", "ROOF (3).jpg", "roof (2) (2).jpg", "plan.png",
                     "photo.jpeg", "7.webp", "8.gif"]
