"""Albums of the SharinPix API beyond opening one (issue 5), and views_count (issue 4):
`GET /api/v1/albums`, `POST /api/v1/albums`, `PUT /api/v1/albums/:id` (rename, merge),
`POST /api/v1/albums/:id/duplicate`, `POST /api/v1/albums/:id/upload_done`, on both back ends,
through the public API (the data layer only to look at rows a client cannot see)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    add_tag,
    admin_token,
    auth,
    client_token,
    create_image,
    fetch_image,
    new_album,
    other_tenant,
    renderer,
)
from tests.sharinpix.test_ability_matrix import check_refused

ALBUM_KEYS = ["id", "public_id", "images_count", "views_count", "upload_form",
              "organization_id", "thumbnails"]
UUID = re.compile(r"[0-9a-f-]{36}")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")



def _grants(tenant: Tenant, grants: dict[str, dict[str, Any]], **claims: Any) -> str:
    return client_token(tenant, {"abilities": {album_id: {"Access": access}
                                               for album_id, access in grants.items()},
                                 **claims})




def _open(client: TestClient, tenant: Tenant, album_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/albums/{album_id}",
                          headers=auth(_grants(tenant, {album_id: {"see": True}})))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _listed(client: TestClient, tenant: Tenant) -> list[str]:
    response = client.get("/api/v1/albums", params={"per_page": "100"},
                          headers=auth(admin_token(tenant)))
    assert response.status_code == 200, response.text
    return [album["id"] for album in response.json()]


def _form(client: TestClient, method: str, path: str, token: str | None,
          fields: list[tuple[str, str]]) -> Any:
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               **(auth(token) if token else {})}
    return client.request(method, path, content=urlencode(fields), headers=headers)


def _events(app: FastAPI, tenant: Tenant, album_id: str) -> list[Any]:
    with app.state.services.db.uow() as uow:
        album = uow.albums.find(tenant.organization_id, album_id)
        assert album is not None
        return list(uow.album_events.of_album(album.id))


def _image_album(client: TestClient, tenant: Tenant, image_id: str) -> str:
    response = client.get(f"/api/v1/images/{image_id}", headers=auth(admin_token(tenant)))
    assert response.status_code == 200, response.text
    return str(response.json()["album_id"])


# --- views_count (issue 4) ----------------------------------------------------------------------


def test_opening_an_album_counts_a_view(client: TestClient, tenant: Tenant) -> None:
    album_id = new_album()
    assert [_open(client, tenant, album_id)["views_count"] for _ in range(3)] == [1, 2, 3]
    # Listing and creating count nothing.
    admin = admin_token(tenant)
    listed = client.get("/api/v1/albums", headers=auth(admin)).json()
    assert [album["views_count"] for album in listed] == [3]
    created = _form(client, "POST", "/api/v1/albums", admin, [("album[public_id]", album_id)])
    assert created.json()["views_count"] == 3
    assert _open(client, tenant, album_id)["views_count"] == 4


def test_concurrent_views_are_all_counted(client: TestClient, tenant: Tenant) -> None:
    album_id = new_album()
    assert _open(client, tenant, album_id)["views_count"] == 1
    token = _grants(tenant, {album_id: {"see": True}})

    def view(_: int) -> int:
        response = client.get(f"/api/v1/albums/{album_id}", headers=auth(token))
        assert response.status_code == 200, response.text
        return int(response.json()["views_count"])

    with ThreadPoolExecutor(6) as pool:
        counts = list(pool.map(view, range(24)))
    # Every view got its own number: no two requests read the same count.
    assert sorted(counts) == list(range(2, 26))
    assert _open(client, tenant, album_id)["views_count"] == 26


def test_concurrent_first_opens_make_one_album(client: TestClient, tenant: Tenant) -> None:
    album_id = new_album()
    token = _grants(tenant, {album_id: {"see": True}})

    def first_open(_: int) -> Any:
        return client.get(f"/api/v1/albums/{album_id}", headers=auth(token))

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(first_open, range(6)))
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses]
    assert len({r.json()["public_id"] for r in responses}) == 1
    assert sorted(r.json()["views_count"] for r in responses) == list(range(1, 7))


# --- GET /api/v1/albums -------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_list_shows_the_albums_the_token_may_see(slash: str, client: TestClient,
                                                 tenant: Tenant, photo: Path) -> None:
    first, second, never_opened, not_granted = new_album(), new_album(), new_album(), new_album()
    image = create_image(client, tenant, photo, first)
    create_image(client, tenant, photo, first)
    _open(client, tenant, second)
    _open(client, tenant, not_granted)
    token = _grants(tenant, {first: {"image_list": True, "image_upload": True},
                             second: {"see": True}, never_opened: {"see": True},
                             not_granted: {"see": False}})

    response = client.get(f"/api/v1/albums{slash}", headers=auth(token))

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["X-token"]
    assert response.headers["X-Total-Count"] == "2"
    assert response.headers["X-Page"] == "1" and response.headers["X-Per-Page"] == "30"
    albums = response.json()
    assert [album["id"] for album in albums] == [first, second]
    for album in albums:
        assert list(album) == ALBUM_KEYS
        assert UUID.fullmatch(album["public_id"])
        assert album["organization_id"] == tenant.organization_id
        assert isinstance(album["views_count"], int)
    assert albums[0]["images_count"] == 2 and albums[1]["images_count"] == 0
    # The first image's thumbnails, as GET /api/v1/albums/:id shows them.
    assert albums[0]["thumbnails"] == image["thumbnails"]
    assert albums[1]["thumbnails"] == {}
    assert albums[0]["upload_form"]["url"].endswith(f"/v1_1/{tenant.cloud}/image/upload")
    assert albums[1]["upload_form"] is None  # only with image_upload
    opened = client.get(f"/api/v1/albums/{first}", headers=auth(token)).json()
    assert {k: v for k, v in opened.items() if k not in ("views_count", "upload_form")} == {
        k: v for k, v in albums[0].items() if k not in ("views_count", "upload_form")}


def test_list_of_an_admin_is_the_whole_organization_a_page_at_a_time(
        client: TestClient, app: FastAPI, tenant: Tenant) -> None:
    ids = [new_album() for _ in range(5)]
    for album_id in ids:
        _open(client, tenant, album_id)
    other = other_tenant(app)
    _open(client, other, new_album())
    admin = admin_token(tenant)
    pages = []
    for page in ("1", "2", "3", "4"):
        response = client.get("/api/v1/albums", params={"page": page, "per_page": "2"},
                              headers=auth(admin))
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == "5"
        assert response.headers["X-Per-Page"] == "2"
        pages.append([album["id"] for album in response.json()])
    assert pages == [ids[0:2], ids[2:4], ids[4:], []]
    assert client.get("/api/v1/albums", headers=auth(client_token(other, {"admin": True}))
                      ).headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: {"q": "*"}, id="search_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"see": False}}}}, id="false"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {}}}}, id="absent"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"see": True}}}},
                 id="other_album"),
])
def test_list_leaves_out_what_the_token_may_not_see(claims: Callable[[str], dict[str, Any]],
                                                    client: TestClient,
                                                    tenant: Tenant) -> None:
    album_id = new_album()
    _open(client, tenant, album_id)
    response = client.get("/api/v1/albums", headers=auth(client_token(tenant,
                                                                       claims(album_id))))
    assert response.status_code == 200, response.text
    assert response.json() == [] and response.headers["X-Total-Count"] == "0"


def test_list_in_another_organization_and_bad_input(client: TestClient, app: FastAPI,
                                                    tenant: Tenant) -> None:
    album_id = new_album()
    _open(client, tenant, album_id)
    other = other_tenant(app)
    # The same album id granted by the other organization's secret: its album, not ours.
    theirs = client.get("/api/v1/albums", headers=auth(_grants(other, {album_id: {
        "see": True}}))).json()
    assert theirs == []
    check_refused(client.get("/api/v1/albums"))
    for params in ({"page": "0"}, {"page": "x"}, {"page": "-1"}, {"per_page": "0"},
                   {"per_page": "101"}, {"per_page": "1.5"}, {"page": "100001"}):
        response = client.get("/api/v1/albums", params=params, headers=auth(admin_token(tenant)))
        assert response.status_code == 400, params
        assert set(response.json()) == {"error"}


# --- POST /api/v1/albums ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["form", "json", "json_id", "slash"])
def test_create_an_album(how: str, client: TestClient, tenant: Tenant) -> None:
    album_id = new_album()
    token = _grants(tenant, {album_id: {"see": True}})
    if how == "form":
        response = _form(client, "POST", "/api/v1/albums", token,
                         [("album[public_id]", album_id)])
    elif how == "slash":
        response = _form(client, "POST", "/api/v1/albums/", token, [("id", album_id)])
    else:
        body = {"album": {"public_id": album_id}} if how == "json" else {"id": album_id}
        response = client.post("/api/v1/albums", json=body, headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["X-token"] and response.headers["X-access-see"] == "true"
    body = response.json()
    assert list(body) == ALBUM_KEYS
    assert body["id"] == album_id and UUID.fullmatch(body["public_id"])
    assert body["images_count"] == 0 and body["views_count"] == 0
    assert album_id in _listed(client, tenant)
    # Creating it again answers the same album (SharinPix creates albums on first use).
    again = client.post("/api/v1/albums", json={"id": album_id}, headers=auth(token))
    assert again.status_code == 200 and again.json()["public_id"] == body["public_id"]


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {}}}}, id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"see": False}}}}, id="false"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"see": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*", "image_delete": True}, id="search_token"),
])
def test_create_is_refused(claims: Callable[[str], dict[str, Any] | None], client: TestClient,
                           tenant: Tenant) -> None:
    album_id = new_album()
    granted = claims(album_id)
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(_form(client, "POST", "/api/v1/albums", token,
                        [("album[public_id]", album_id)]))
    assert album_id not in _listed(client, tenant)


def test_create_bad_input_and_other_organizations(client: TestClient, app: FastAPI,
                                                  tenant: Tenant) -> None:
    admin = admin_token(tenant)
    for body in ({}, {"id": ""}, {"id": 12}, {"album": {"public_id": "x" * 256}},
                 {"album": {"public_id": "tab\there"}}, {"album": {"public_id": ["a"]}}):
        response = client.post("/api/v1/albums", json=body, headers=auth(admin))
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}
    malformed = client.post("/api/v1/albums", content=b"{", headers={
        **auth(admin), "Content-Type": "application/json"})
    assert malformed.status_code == 400 and set(malformed.json()) == {"error"}
    album_id = new_album()
    mine = client.post("/api/v1/albums", json={"id": album_id}, headers=auth(admin)).json()
    other = other_tenant(app)
    theirs = client.post("/api/v1/albums", json={"id": album_id},
                         headers=auth(client_token(other, {"admin": True}))).json()
    assert theirs["public_id"] != mine["public_id"]
    assert theirs["organization_id"] == other.organization_id


# --- PUT /api/v1/albums/:id ---------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_rename_keeps_the_album_under_its_new_id(slash: str, client: TestClient,
                                                 app: FastAPI, tenant: Tenant,
                                                 photo: Path) -> None:
    old, new = new_album(), new_album()
    image = create_image(client, tenant, photo, old)
    before = _open(client, tenant, old)
    token = _grants(tenant, {old: {"rename": True}, new: {"see": True}}, user_id="u-7")

    response = _form(client, "PUT", f"/api/v1/albums/{old}{slash}", token,
                     [("album[public_id]", new)])

    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    body = response.json()
    assert list(body) == ALBUM_KEYS
    assert body["id"] == new and body["public_id"] == before["public_id"]
    assert body["images_count"] == 1 and body["views_count"] == before["views_count"]
    assert _image_album(client, tenant, image["id"]) == new
    assert (new in _listed(client, tenant)) and (old not in _listed(client, tenant))
    [event] = _events(app, tenant, new)
    assert (event.kind, event.user_id, event.payload) == ("rename", "u-7",
                                                          {"from": old, "to": new})
    # The old id is free: opening it makes a new, empty album.
    reopened = _open(client, tenant, old)
    assert reopened["images_count"] == 0 and reopened["public_id"] != before["public_id"]
    # Renaming onto itself changes nothing.
    same = client.put(f"/api/v1/albums/{new}", json={"album": {"public_id": new}},
                      headers=auth(_grants(tenant, {new: {"rename": True}})))
    assert same.status_code == 200 and same.json()["public_id"] == before["public_id"]


def test_rename_onto_an_existing_album_needs_merge(client: TestClient, app: FastAPI,
                                                  tenant: Tenant, photo: Path) -> None:
    old, target = new_album(), new_album()
    moved = create_image(client, tenant, photo, old)
    trashed = create_image(client, tenant, photo, old)
    kept = create_image(client, tenant, photo, target)
    admin = admin_token(tenant)
    assert client.delete(f"/api/v1/images/{trashed['id']}", headers=auth(admin)
                         ).status_code == 204
    old_views = _open(client, tenant, old)["views_count"]
    target_before = _open(client, tenant, target)
    token = _grants(tenant, {old: {"rename": True}, target: {"image_upload": True}})

    refused = _form(client, "PUT", f"/api/v1/albums/{old}", token,
                    [("album[public_id]", target)])
    assert refused.status_code == 409, refused.text
    assert set(refused.json()) == {"error"} and refused.headers["X-token"]
    assert _image_album(client, tenant, moved["id"]) == old

    response = _form(client, "PUT", f"/api/v1/albums/{old}?merge=true", token,
                     [("album[public_id]", target)])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == target and body["public_id"] == target_before["public_id"]
    assert body["images_count"] == 2
    assert body["views_count"] == target_before["views_count"] + old_views
    assert _image_album(client, tenant, moved["id"]) == target
    assert _image_album(client, tenant, kept["id"]) == target
    assert old not in _listed(client, tenant)
    assert [e.kind for e in _events(app, tenant, target)] == ["merge"]
    # The trashed image moved with its album: restored, it is in the target.
    assert client.delete(f"/api/v1/trashed_images/{trashed['id']}",
                         headers=auth(admin)).status_code == 204
    assert _image_album(client, tenant, trashed["id"]) == target


@pytest.mark.parametrize(("grants", "merge"), [
    pytest.param(lambda old, new: {old: {"see": True, "image_upload": True},
                                   new: {"see": True}}, False, id="absent"),
    pytest.param(lambda old, new: {old: {"rename": False}, new: {"see": True}}, False,
                 id="false"),
    pytest.param(lambda old, new: {"another": {"rename": True}, new: {"see": True}}, False,
                 id="other_album"),
    pytest.param(lambda old, new: {old: {"rename": True}}, False, id="nothing_on_new"),
    pytest.param(lambda old, new: {old: {"rename": True}, new: {"see": False}}, False,
                 id="false_on_new"),
    pytest.param(lambda old, new: {old: {"rename": True}, new: {"see": True}}, True,
                 id="merge_without_upload"),
    pytest.param(lambda old, new: {old: {"rename": True}}, True, id="merge_nothing_on_new"),
])
def test_rename_is_refused(grants: Callable[[str, str], dict[str, dict[str, Any]]],
                           merge: bool, client: TestClient, tenant: Tenant,
                           photo: Path) -> None:
    old, new = new_album(), new_album()
    image = create_image(client, tenant, photo, old)
    if merge:
        _open(client, tenant, new)
    query = "?merge=true" if merge else ""
    check_refused(_form(client, "PUT", f"/api/v1/albums/{old}{query}",
                        _grants(tenant, grants(old, new)), [("album[public_id]", new)]))
    assert _image_album(client, tenant, image["id"]) == old


def test_rename_onto_an_existing_album_without_rights_there_is_401_not_409(
        client: TestClient, tenant: Tenant) -> None:
    old, target = new_album(), new_album()
    _open(client, tenant, old)
    _open(client, tenant, target)
    # Without an ability on the target the token may not learn that it exists.
    check_refused(_form(client, "PUT", f"/api/v1/albums/{old}",
                        _grants(tenant, {old: {"rename": True}}),
                        [("album[public_id]", target)]))


def test_rename_bad_input_unknown_and_other_organizations(client: TestClient, app: FastAPI,
                                                         tenant: Tenant) -> None:
    old = new_album()
    _open(client, tenant, old)
    admin = admin_token(tenant)
    for fields in ([], [("album[public_id]", "")], [("album[public_id]", "x" * 256)],
                   [("album[public_id]", new_album()), ("merge", "maybe")]):
        response = _form(client, "PUT", f"/api/v1/albums/{old}", admin, fields)
        assert response.status_code == 400, fields
        assert set(response.json()) == {"error"}
    unknown = _form(client, "PUT", f"/api/v1/albums/{new_album()}", admin,
                    [("album[public_id]", new_album())])
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}
    # Another organization's album is unknown to this one's tokens.
    other = other_tenant(app)
    foreign = _form(client, "PUT", f"/api/v1/albums/{old}", client_token(other, {
        "admin": True}), [("album[public_id]", new_album())])
    assert foreign.status_code == 404
    assert old in _listed(client, tenant)


# --- POST /api/v1/albums/:id/duplicate ----------------------------------------------------------


def _assets(app: FastAPI, tenant: Tenant, image_ids: list[str]) -> list[Any]:
    with app.state.services.db.uow() as uow:
        images = {image.id: image for image in uow.images.get_many(tenant.organization_id,
                                                                    image_ids)}
        return [images[i].asset for i in image_ids]


def _album_images(client: TestClient, tenant: Tenant, album_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/albums/{album_id}/images",
                          headers=auth(_grants(tenant, {album_id: {"image_list": True}})))
    assert response.status_code == 200, response.text
    return list(response.json())


def _tag_names(client: TestClient, tenant: Tenant, image_id: str) -> list[str]:
    response = client.get("/api/v1/tag_images", params={"image_ids[]": image_id},
                          headers=auth(admin_token(tenant)))
    assert response.status_code == 200, response.text
    return [row["tag"]["name"] for row in response.json()]


@pytest.mark.parametrize("tags", [True, False])
def test_duplicate_copies_images_without_copying_blobs(tags: bool, client: TestClient,
                                                       app: FastAPI, tenant: Tenant,
                                                       photo: Path) -> None:
    renderer()
    source, copy_id = new_album(), new_album()
    first = create_image(client, tenant, photo, source, metadatas={"room": "kitchen"})
    second = create_image(client, tenant, photo, source)
    add_tag(app, tenant, first["id"], name=f"Roof{uuid.uuid4().hex[:6]}")
    blobs = app.state.services.blobs
    token = _grants(tenant, {source: {"image_duplicate": True}, copy_id: {
        "image_upload": True}})

    response = _form(client, "POST", f"/api/v1/albums/{source}/duplicate", token,
                     [("album[public_id]", copy_id), ("tags", str(tags).lower())])

    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ALBUM_KEYS
    assert body["id"] == copy_id and body["images_count"] == 2
    copies = _album_images(client, tenant, copy_id)
    originals = [first, second]
    assert [c["filename"] for c in copies] == [o["filename"] for o in originals]
    assert copies[0]["metadatas"] == {"room": "kitchen"}
    assert {c["id"] for c in copies}.isdisjoint({o["id"] for o in originals})
    assert all(c["album_id"] == copy_id for c in copies)
    # Own assets (own delivery URLs) on the same blobs.
    copied_assets = _assets(app, tenant, [c["id"] for c in copies])
    original_assets = _assets(app, tenant, [o["id"] for o in originals])
    for copied, original in zip(copied_assets, original_assets, strict=True):
        assert copied.public_id != original.public_id
        assert copied.blob_key == original.blob_key
        assert copied.analysis == original.analysis
    assert copies[0]["original_url"] != first["original_url"]
    assert body["thumbnails"]["mini"] == copies[0]["thumbnails"]["mini"]
    first_tags = _tag_names(client, tenant, first["id"])
    assert _tag_names(client, tenant, copies[0]["id"]) == (first_tags if tags else [])
    # The source is untouched; trashing its images keeps the copies' pixels.
    assert [i["id"] for i in _album_images(client, tenant, source)] == [first["id"],
                                                                         second["id"]]
    admin = admin_token(tenant)
    assert client.request("DELETE", "/api/v1/images", json={"image_ids": [
        first["id"], second["id"]]}, headers=auth(admin)).status_code == 200
    assert blobs.exists(copied_assets[0].blob_key)
    image = fetch_image(client, copies[0]["external_urls"]["fill100"])
    assert image.size == (300, 225)
    assert [e.kind for e in _events(app, tenant, copy_id)] == ["duplicate"]


@pytest.mark.parametrize("grants", [
    pytest.param(lambda s, t: {s: {"image_list": True, "image_upload": True},
                               t: {"image_upload": True}}, id="absent"),
    pytest.param(lambda s, t: {s: {"image_duplicate": False}, t: {"image_upload": True}},
                 id="false"),
    pytest.param(lambda s, t: {"another": {"image_duplicate": True},
                               t: {"image_upload": True}}, id="other_album"),
    pytest.param(lambda s, t: {s: {"image_duplicate": True}, t: {"see": True}},
                 id="no_upload_on_target"),
    pytest.param(lambda s, t: {s: {"image_duplicate": True}}, id="nothing_on_target"),
])
def test_duplicate_is_refused(grants: Callable[[str, str], dict[str, dict[str, Any]]],
                              client: TestClient, tenant: Tenant, photo: Path) -> None:
    source, target = new_album(), new_album()
    create_image(client, tenant, photo, source)
    check_refused(client.post(f"/api/v1/albums/{source}/duplicate",
                              json={"new_album_id": target},
                              headers=auth(_grants(tenant, grants(source, target)))))
    assert target not in _listed(client, tenant)


def test_duplicate_bad_input_conflicts_and_other_organizations(client: TestClient,
                                                              app: FastAPI,
                                                              tenant: Tenant) -> None:
    source, taken = new_album(), new_album()
    _open(client, tenant, source)
    _open(client, tenant, taken)
    admin = admin_token(tenant)
    path = f"/api/v1/albums/{source}/duplicate/"
    for body in ({}, {"new_album_id": ""}, {"new_album_id": 5},
                 {"new_album_id": new_album(), "tags": "perhaps"}):
        response = client.post(path, json=body, headers=auth(admin))
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}
    conflict = client.post(path, json={"new_album_id": taken}, headers=auth(admin))
    assert conflict.status_code == 409 and set(conflict.json()) == {"error"}
    unknown = client.post(f"/api/v1/albums/{new_album()}/duplicate",
                          json={"new_album_id": new_album()}, headers=auth(admin))
    assert unknown.status_code == 404
    other = other_tenant(app)
    foreign = client.post(path, json={"new_album_id": new_album()},
                          headers=auth(client_token(other, {"admin": True})))
    assert foreign.status_code == 404


# --- POST /api/v1/albums/:id/upload_done --------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_upload_done_records_the_event(slash: str, client: TestClient, app: FastAPI,
                                       tenant: Tenant) -> None:
    album_id = new_album()
    token = _grants(tenant, {album_id: {"image_upload": True}}, user_id="u-1")
    response = _form(client, "POST", f"/api/v1/albums/{album_id}/upload_done{slash}", token,
                     [("image_ids[]", "i-1"), ("image_ids[]", "i-2"), ("count", "2")])
    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    body = response.json()
    assert list(body) == ["id", "kind", "album_id", "user_id", "payload", "created_at"]
    assert UUID.fullmatch(body["id"]) and ISO.fullmatch(body["created_at"])
    assert (body["kind"], body["album_id"], body["user_id"]) == ("upload_done", album_id,
                                                                 "u-1")
    assert body["payload"] == {"image_ids": ["i-1", "i-2"], "count": "2"}
    [event] = _events(app, tenant, album_id)
    assert (event.id, event.kind, event.payload) == (body["id"], "upload_done",
                                                     body["payload"])


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"see": True}}}}, id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_upload": False}}}},
                 id="false"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"image_upload": True}}}},
                 id="other_album"),
])
def test_upload_done_is_refused(claims: Callable[[str], dict[str, Any] | None],
                                client: TestClient, tenant: Tenant) -> None:
    album_id = new_album()
    granted = claims(album_id)
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(client.post(f"/api/v1/albums/{album_id}/upload_done", json={},
                              headers=auth(token) if token else {}))


def test_upload_done_bad_input_and_other_organizations(client: TestClient, app: FastAPI,
                                                      tenant: Tenant) -> None:
    album_id = new_album()
    token = _grants(tenant, {album_id: {"image_upload": True}})
    too_big = client.post(f"/api/v1/albums/{album_id}/upload_done",
                          json={"note": "x" * 20_000}, headers=auth(token))
    assert too_big.status_code == 400 and set(too_big.json()) == {"error"}
    nested = client.post(f"/api/v1/albums/{album_id}/upload_done?a[b][c][d][e][f][g][h][i]=1",
                         headers=auth(token))
    assert nested.status_code == 400
    assert client.post(f"/api/v1/albums/{'x' * 256}/upload_done", json={},
                       headers=auth(admin_token(tenant))).status_code == 400
    # Another organization's token records in its own album of that id.
    other = other_tenant(app)
    assert client.post(f"/api/v1/albums/{album_id}/upload_done", json={},
                       headers=auth(_grants(other, {album_id: {"image_upload": True}}))
                       ).status_code == 200
    with app.state.services.db.uow() as uow:
        assert uow.albums.find(tenant.organization_id, album_id) is None


def test_thumbnails_of_listed_albums_deliver(client: TestClient, tenant: Tenant,
                                             photo: Path) -> None:
    renderer()
    album_id = new_album()
    create_image(client, tenant, photo, album_id)
    [album] = client.get("/api/v1/albums", headers=auth(admin_token(tenant))).json()
    response = client.get(urlsplit(album["thumbnails"]["mini"]).path,
                          headers={"Accept": "image/jpeg"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
