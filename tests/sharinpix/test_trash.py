"""Deleting images and the trash (issue 5): `DELETE /api/v1/images/:id`, `DELETE
/api/v1/images` (`image_ids[]`), `GET /api/v1/trashed_images[?album_id=]` and `DELETE
/api/v1/trashed_images/:image_id` (restore), on both back ends, through the public API only."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    access_token,
    add_tag,
    auth,
    client_token,
    create_image,
    new_album,
    post_form,
    rails_fields,
    renderer,
    upload_through_form,
)
from tests.sharinpix.test_ability_matrix import check_refused

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")




def _get_image(client: TestClient, tenant: Tenant, image: dict[str, Any]) -> Any:
    return client.get(f"/api/v1/images/{image['id']}",
                      headers=auth(access_token(tenant, image["album_id"], image_list=True)))


def _images_count(client: TestClient, tenant: Tenant, album_id: str) -> int:
    response = client.get(f"/api/v1/albums/{album_id}",
                          headers=auth(access_token(tenant, album_id, see=True)))
    assert response.status_code == 200, response.text
    return int(response.json()["images_count"])


def _tag_images(client: TestClient, tenant: Tenant, image: dict[str, Any]) -> list[Any]:
    response = client.get("/api/v1/tag_images", params={"image_ids[]": image["id"]},
                          headers=auth(access_token(tenant, image["album_id"], image_list=True)))
    assert response.status_code == 200, response.text
    return list(response.json())


def _delete(client: TestClient, image_id: str, token: str | None, slash: str = "") -> Any:
    return client.delete(f"/api/v1/images/{image_id}{slash}",
                         headers=auth(token) if token else {})


def _restore(client: TestClient, image_id: str, token: str, slash: str = "") -> Any:
    return client.delete(f"/api/v1/trashed_images/{image_id}{slash}", headers=auth(token))


def _trash(client: TestClient, token: str, **params: str) -> Any:
    return client.get("/api/v1/trashed_images", params=params, headers=auth(token))


def _bulk(client: TestClient, token: str, ids: list[str], how: str = "form") -> Any:
    headers = auth(token)
    if how == "json":
        return client.request("DELETE", "/api/v1/images", json={"image_ids": ids},
                              headers=headers)
    fields = urlencode([("image_ids[]", i) for i in ids])
    if how == "query":
        return client.delete(f"/api/v1/images/?{fields}", headers=headers)
    return client.request("DELETE", "/api/v1/images", content=fields,
                          headers={**headers,
                                   "Content-Type": "application/x-www-form-urlencoded"})


# --- DELETE /api/v1/images/:id ------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_delete_moves_the_image_out_of_sight(slash: str, client: TestClient, app: FastAPI,
                                             tenant: Tenant, photo: Path) -> None:
    renderer()
    album_id = new_album()
    image = create_image(client, tenant, photo, album_id)
    kept = create_image(client, tenant, photo, album_id)
    add_tag(app, tenant, image["id"])
    delivery = urlsplit(image["thumbnails"]["mini"]).path
    link = urlsplit(image["external_urls"]["mini"]).path
    redirect_token = client_token(tenant, {"transformations": [{"width": 10, "crop": "fit"}]})
    for _ in range(2):  # the second answer comes from the in-memory hot cache
        assert client.get(delivery, headers={"Accept": "image/jpeg"}).status_code == 200
    assert client.get(link, follow_redirects=False).status_code == 302
    assert client.get(f"/images/{image['id']}?token={redirect_token}",
                      follow_redirects=False).status_code == 302
    assert _images_count(client, tenant, album_id) == 2

    token = access_token(tenant, album_id, image_delete=True)
    response = _delete(client, image["id"], token, slash)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["X-token"]
    assert _get_image(client, tenant, image).status_code == 404
    assert _images_count(client, tenant, album_id) == 1
    assert _tag_images(client, tenant, image) == []
    assert client.get(delivery, headers={"Accept": "image/jpeg"}).status_code == 404
    assert client.get(link, follow_redirects=False).status_code == 404
    assert client.get(f"/images/{image['id']}?token={redirect_token}",
                      follow_redirects=False).status_code == 404
    # The other image of the album is untouched; a second delete finds nothing.
    assert _get_image(client, tenant, kept).status_code == 200
    again = _delete(client, image["id"], access_token(tenant, album_id, image_delete=True))
    assert again.status_code == 404 and set(again.json()) == {"error"}


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a, i: {"abilities": {a: {"Access": {"image_delete": True}}}},
                 id="album"),
    pytest.param(lambda a, i: {"admin": True}, id="admin"),
    pytest.param(lambda a, i: {"q": "*", "image_delete": True}, id="search_all"),
    pytest.param(lambda a, i: {"q": f"album_id:{a}", "image_delete": True}, id="search_album"),
    pytest.param(lambda a, i: {"q": f"image_id:{i}", "image_delete": True}, id="search_image"),
])
def test_delete_is_granted(claims: Any, client: TestClient, tenant: Tenant,
                           photo: Path) -> None:
    image = create_image(client, tenant, photo)
    token = client_token(tenant, claims(image["album_id"], image["id"]))
    assert _delete(client, image["id"], token).status_code == 204
    assert _get_image(client, tenant, image).status_code == 404


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True, "trash": True}}}},
                 id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_delete": False}}}}, id="false"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_delete": "true"}}}},
                 id="not_true"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"image_delete": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*"}, id="search_without_image_delete"),
    pytest.param(lambda a: {"q": "*", "image_delete": False}, id="search_image_delete_false"),
    pytest.param(lambda a: {"q": "album_id:another", "image_delete": True},
                 id="search_not_matching"),
])
def test_delete_is_refused(claims: Any, client: TestClient, tenant: Tenant,
                           photo: Path) -> None:
    image = create_image(client, tenant, photo)
    granted = claims(image["album_id"])
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(_delete(client, image["id"], token))
    assert _get_image(client, tenant, image).status_code == 200


def test_delete_of_unknown_or_foreign_images_is_404(client: TestClient, app: FastAPI,
                                                    tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    issued = app.state.services.secrets.create("other", f"org-{uuid.uuid4().hex[:12]}")
    other = Tenant("unused", issued.id, issued.secret)
    other_admin = client_token(other, {"admin": True})
    response = _delete(client, image["id"], other_admin)
    assert response.status_code == 404 and set(response.json()) == {"error"}
    assert response.headers["X-token"]
    assert _delete(client, str(uuid.uuid4()), client_token(tenant, {"admin": True})
                   ).status_code == 404
    assert _get_image(client, tenant, image).status_code == 200


def test_registering_a_trashed_upload_again_is_409(client: TestClient, tenant: Tenant,
                                                   photo: Path) -> None:
    album_id = new_album()
    token = access_token(tenant, album_id, image_upload=True, image_delete=True)
    result = upload_through_form(client, token, album_id, photo)
    fields = list(rails_fields(result, "cloudinary"))
    created = post_form(client, f"/api/v1/albums/{album_id}/images", fields, token)
    assert created.status_code == 200, created.text
    assert _delete(client, created.json()["id"], token).status_code == 204
    again = post_form(client, f"/api/v1/albums/{album_id}/images", fields, token)
    assert again.status_code == 409, again.text
    assert set(again.json()) == {"error"}


# --- GET /api/v1/trashed_images -----------------------------------------------------------------


def test_trash_lists_deleted_images(client: TestClient, tenant: Tenant, photo: Path) -> None:
    album_id, other_album = new_album(), new_album()
    image = create_image(client, tenant, photo, album_id)
    live = create_image(client, tenant, photo, album_id)
    elsewhere = create_image(client, tenant, photo, other_album)
    admin = client_token(tenant, {"admin": True})
    for victim in (image, elsewhere):
        assert _delete(client, victim["id"], admin).status_code == 204

    for path in ("/api/v1/trashed_images", "/api/v1/trashed_images/"):
        response = client.get(path, params={"album_id": album_id},
                              headers=auth(access_token(tenant, album_id, trash=True)))
        assert response.status_code == 200, response.text
        assert response.headers["X-token"]
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        rows = response.json()
        assert [row["id"] for row in rows] == [image["id"]]
        assert set(rows[0]) == {"id", "deleted_at", "thumbnail_url"}
        assert ISO.fullmatch(rows[0]["deleted_at"])
        assert rows[0]["thumbnail_url"].startswith(
            f"http://testserver/images/{image['id']}/thumbnails/trash-")
    assert live["id"] not in {row["id"] for row in rows}
    # The trash's thumbnail answers the image itself: its delivery URLs are all 404 now.
    link = urlsplit(rows[0]["thumbnail_url"]).path
    thumbnail = client.get(link)
    assert thumbnail.status_code == 200, thumbnail.text
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    shown = PILImage.open(io.BytesIO(thumbnail.content))
    assert shown.format == "JPEG" and shown.size == (200, 200)
    assert client.get(link.replace("/trash-", "/trash-0")).status_code == 400
    assert client.get(link.replace(image["id"], live["id"])).status_code == 400
    assert client.get(link.replace("/trash-", "/mini-")).status_code == 400

    # Without album_id: the albums the token holds `trash` on; an admin sees them all.
    only_first = _trash(client, access_token(tenant, album_id, trash=True)).json()
    assert [row["id"] for row in only_first] == [image["id"]]
    both = client_token(tenant, {"abilities": {album_id: {"Access": {"trash": True}},
                                               other_album: {"Access": {"trash": True}}}})
    assert {row["id"] for row in _trash(client, both).json()} == {image["id"],
                                                                  elsewhere["id"]}
    assert [row["id"] for row in _trash(client, admin).json()] == [elsewhere["id"],
                                                                    image["id"]]
    assert _trash(client, access_token(tenant, album_id, image_list=True)).json() == []
    assert _trash(client, admin, page="2").json() == []


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True,
                                                         "image_delete": True}}}},
                 id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"trash": False}}}}, id="false"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"trash": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*", "image_delete": True}, id="search"),
])
def test_trash_of_an_album_needs_trash(claims: Any, client: TestClient,
                                       tenant: Tenant) -> None:
    album_id = new_album()
    check_refused(_trash(client, client_token(tenant, claims(album_id)), album_id=album_id))
    assert client.get("/api/v1/trashed_images").status_code == 401


def test_trash_bad_input_and_other_organizations(client: TestClient, app: FastAPI,
                                                 tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    admin = client_token(tenant, {"admin": True})
    assert _delete(client, image["id"], admin).status_code == 204
    for page in ("0", "-1", "x", "1e3", "100001"):
        response = _trash(client, admin, page=page)
        assert response.status_code == 400, page
        assert set(response.json()) == {"error"}
    assert _trash(client, admin, album_id="x" * 300).status_code == 400
    issued = app.state.services.secrets.create("other", f"org-{uuid.uuid4().hex[:12]}")
    other = Tenant("unused", issued.id, issued.secret)
    assert _trash(client, client_token(other, {"admin": True})).json() == []
    assert _trash(client, access_token(other, image["album_id"], trash=True),
                  album_id=image["album_id"]).json() == []
    # Nor may it restore the image.
    assert _restore(client, image["id"], client_token(other, {"admin": True})
                    ).status_code == 404


# --- DELETE /api/v1/trashed_images/:image_id ----------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_restore_brings_the_image_back_with_its_tags(slash: str, client: TestClient,
                                                     app: FastAPI, tenant: Tenant,
                                                     photo: Path) -> None:
    renderer()
    album_id = new_album()
    image = create_image(client, tenant, photo, album_id)
    add_tag(app, tenant, image["id"], name="Roof")
    delivery = urlsplit(image["thumbnails"]["mini"]).path
    assert _delete(client, image["id"], access_token(tenant, album_id, image_delete=True)
                   ).status_code == 204
    check_refused(_restore(client, image["id"], access_token(tenant, album_id, image_delete=True)))
    check_refused(_restore(client, image["id"], access_token(tenant, "another", trash=True)))

    response = _restore(client, image["id"], access_token(tenant, album_id, trash=True), slash)

    assert response.status_code == 204, response.text
    assert response.content == b"" and response.headers["X-token"]
    restored = _get_image(client, tenant, image)
    assert restored.status_code == 200
    assert restored.json()["id"] == image["id"]
    assert restored.json()["album_id"] == album_id
    assert [row["tag"]["name"] for row in _tag_images(client, tenant, image)] == ["Roof"]
    assert _images_count(client, tenant, album_id) == 1
    assert client.get(delivery, headers={"Accept": "image/jpeg"}).status_code == 200
    assert client.get(urlsplit(image["external_urls"]["mini"]).path,
                      follow_redirects=False).status_code == 302
    assert _trash(client, access_token(tenant, album_id, trash=True), album_id=album_id
                  ).json() == []
    # It is no longer in the trash; an image never trashed or unknown is not either.
    admin = client_token(tenant, {"admin": True})
    assert _restore(client, image["id"], admin).status_code == 404
    assert _restore(client, str(uuid.uuid4()), admin).status_code == 404


# --- DELETE /api/v1/images (bulk) ---------------------------------------------------------------


@pytest.mark.parametrize("how", ["form", "json", "query"])
def test_bulk_delete_answers_the_deleted_ids(how: str, client: TestClient, tenant: Tenant,
                                             photo: Path) -> None:
    album_id = new_album()
    first = create_image(client, tenant, photo, album_id)
    second = create_image(client, tenant, photo, album_id)
    ids = [second["id"], first["id"], second["id"]]
    response = _bulk(client, access_token(tenant, album_id, image_delete=True), ids, how)
    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    assert response.json() == [second["id"], first["id"]]
    assert _images_count(client, tenant, album_id) == 0
    listed = _trash(client, access_token(tenant, album_id, trash=True), album_id=album_id).json()
    assert {row["id"] for row in listed} == {first["id"], second["id"]}


def test_bulk_delete_is_all_or_nothing(client: TestClient, tenant: Tenant,
                                       photo: Path) -> None:
    album_id, other_album = new_album(), new_album()
    mine = create_image(client, tenant, photo, album_id)
    theirs = create_image(client, tenant, photo, other_album)
    token = access_token(tenant, album_id, image_delete=True)
    check_refused(_bulk(client, token, [mine["id"], theirs["id"]]))
    unknown = _bulk(client, token, [mine["id"], str(uuid.uuid4())])
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}
    assert _get_image(client, tenant, mine).status_code == 200
    assert _get_image(client, tenant, theirs).status_code == 200
    # An image already in the trash is unknown to a second batch.
    assert _bulk(client, token, [mine["id"]]).json() == [mine["id"]]
    assert _bulk(client, token, [mine["id"]]).status_code == 404


@pytest.mark.parametrize("body", [{}, {"image_ids": []}, {"image_ids": [""]},
                                  {"image_ids": [1]}, {"image_ids": {"a": "b"}},
                                  {"image_ids": ["x"] * 501}])
def test_bulk_delete_bad_input_is_400(body: dict[str, Any], client: TestClient,
                                      tenant: Tenant) -> None:
    response = client.request("DELETE", "/api/v1/images", json=body,
                              headers=auth(client_token(tenant, {"admin": True})))
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


def test_bulk_delete_needs_a_token(client: TestClient, tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    check_refused(client.request("DELETE", "/api/v1/images", json={"image_ids": [image["id"]]}))
    assert _get_image(client, tenant, image).status_code == 200
