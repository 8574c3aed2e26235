"""Images of the SharinPix API (issue 5): `GET /api/v1/albums/:album_id/images`,
`PUT /api/v1/images/:id` (caption, rotation, crop), `POST /api/v1/images/:id/duplicate`,
`POST /api/v1/images/move`, `GET /api/v1/images/:id/image_url`, `GET /api/v1/images/:id/user`
and `GET /api/v1/image_syncs`, on both back ends, through the public API (the data layer only
to look at rows a client cannot see)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    access_token,
    add_tag,
    admin_token,
    auth,
    chain_of,
    client_token,
    create_image,
    fetch_image,
    new_album,
    other_tenant,
    post_form,
    rails_fields,
    renderer,
    upload_through_form,
)
from tests.sharinpix.test_ability_matrix import check_refused

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")
PHOTO_SIZE = (400, 300)  # corpus gps/paris_n_e.jpg, no EXIF orientation
Claims = Callable[[str], dict[str, Any] | None]






def _token_of(tenant: Tenant, claims: dict[str, Any] | None) -> str | None:
    return client_token(tenant, claims) if claims is not None else None


def _headers(token: str | None) -> dict[str, str]:
    return auth(token) if token else {}


def _get(client: TestClient, tenant: Tenant, image_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/images/{image_id}", headers=auth(admin_token(tenant)))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _put(client: TestClient, image_id: str, token: str | None,
         fields: list[tuple[str, str]], slash: str = "") -> Any:
    return client.put(f"/api/v1/images/{image_id}{slash}", content=urlencode(fields),
                      headers={**_headers(token),
                               "Content-Type": "application/x-www-form-urlencoded"})


def _crop(x: int, y: int, width: int, height: int) -> list[tuple[str, str]]:
    return [("image[crop][x]", str(x)), ("image[crop][y]", str(y)),
            ("image[crop][width]", str(width)), ("image[crop][height]", str(height))]


# The usual refusals of a route granted by `ability` on the image's album.
def refusals(ability: str, unrelated: str = "see") -> list[Any]:
    return [
        pytest.param(lambda a: None, id="no_token"),
        pytest.param(lambda a: {"abilities": {a: {"Access": {unrelated: True}}}},
                     id="absent"),
        pytest.param(lambda a: {"abilities": {a: {"Access": {ability: False}}}}, id="false"),
        pytest.param(lambda a: {"abilities": {a: {"Access": {ability: "true"}}}},
                     id="not_true"),
        pytest.param(lambda a: {"abilities": {"another": {"Access": {ability: True}}}},
                     id="other_album"),
    ]


# --- GET /api/v1/albums/:album_id/images --------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_album_images_in_a_stable_order_a_page_at_a_time(slash: str, client: TestClient,
                                                         tenant: Tenant,
                                                         photo: Path) -> None:
    album_id = new_album()
    images = [create_image(client, tenant, photo, album_id) for _ in range(3)]
    create_image(client, tenant, photo)  # another album
    token = access_token(tenant, album_id, image_list=True)
    path = f"/api/v1/albums/{album_id}/images{slash}"

    response = client.get(path, headers=auth(token))

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["X-token"]
    assert (response.headers["X-Total-Count"], response.headers["X-Page"],
            response.headers["X-Per-Page"]) == ("3", "1", "30")
    listed = response.json()
    assert [image["id"] for image in listed] == [image["id"] for image in images]
    # Each is the image JSON of GET /api/v1/images/:id (seed 004 keys and types).
    single = client.get(f"/api/v1/images/{images[0]['id']}", headers=auth(token)).json()
    assert listed[0] == single
    assert isinstance(listed[0]["width"], int) and isinstance(listed[0]["crop_x"], float)
    assert ISO.fullmatch(listed[0]["created_at"])
    pages = [[image["id"] for image in client.get(path, params={
        "page": page, "per_page": "2"}, headers=auth(token)).json()] for page in "123"]
    assert pages == [[images[0]["id"], images[1]["id"]], [images[2]["id"]], []]
    # A trashed image leaves the listing.
    assert client.delete(f"/api/v1/images/{images[1]['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    after = client.get(path, headers=auth(token))
    assert [i["id"] for i in after.json()] == [images[0]["id"], images[2]["id"]]
    assert after.headers["X-Total-Count"] == "2"


@pytest.mark.parametrize("claims", [
    *refusals("image_list", "image_upload"),
    pytest.param(lambda a: {"q": "*"}, id="search_token"),
])
def test_album_images_are_refused(claims: Claims, client: TestClient, tenant: Tenant,
                                  photo: Path) -> None:
    image = create_image(client, tenant, photo)
    check_refused(client.get(f"/api/v1/albums/{image['album_id']}/images",
                             headers=_headers(_token_of(tenant, claims(image["album_id"])))))


def test_album_images_unknown_album_bad_input_and_other_organizations(
        client: TestClient, app: FastAPI, tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    admin = admin_token(tenant)
    unknown = client.get(f"/api/v1/albums/{new_album()}/images", headers=auth(admin))
    assert unknown.status_code == 200 and unknown.json() == []
    assert unknown.headers["X-Total-Count"] == "0"
    for params in ({"page": "0"}, {"page": "two"}, {"per_page": "101"}, {"per_page": ""}):
        response = client.get(f"/api/v1/albums/{image['album_id']}/images", params=params,
                              headers=auth(admin))
        assert response.status_code == 400, params
        assert set(response.json()) == {"error"}
    assert client.get(f"/api/v1/albums/{'x' * 256}/images", headers=auth(admin)
                      ).status_code == 400
    other = other_tenant(app)
    theirs = client.get(f"/api/v1/albums/{image['album_id']}/images",
                        headers=auth(access_token(other, image["album_id"], image_list=True)))
    assert theirs.status_code == 200 and theirs.json() == []


# --- PUT /api/v1/images/:id ---------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_caption_sets_title_and_description(slash: str, client: TestClient, app: FastAPI,
                                            tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    token = access_token(tenant, image["album_id"], image_caption=True)
    response = _put(client, image["id"], token, [("image[title]", "Façade nord"),
                                                 ("image[description]", "Fissure visible")],
                    slash)
    assert response.status_code == 200, response.text
    assert response.headers["X-token"] and response.headers["X-access-crop"] == "false"
    body = response.json()
    assert list(body) == list(image)
    assert (body["title"], body["description"]) == ("Façade nord", "Fissure visible")
    assert body["updated_at"] >= image["updated_at"]
    assert body["thumbnails"] == image["thumbnails"]  # a caption moves no pixel
    assert _get(client, tenant, image["id"])["title"] == "Façade nord"
    with app.state.services.db.uow() as uow:
        terms = uow.search_terms.terms_of(image["id"])
    assert {"facade", "nord", "fissure", "visible"} <= terms
    # A JSON body too; an empty title clears it, the description is left alone.
    cleared = client.put(f"/api/v1/images/{image['id']}", json={"image": {"title": ""}},
                         headers=auth(token))
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["title"], cleared.json()["description"]) == (None,
                                                                        "Fissure visible")


def test_rotation_changes_every_url_and_the_pixels(client: TestClient, tenant: Tenant,
                                                   photo: Path) -> None:
    renderer()
    image = create_image(client, tenant, photo)
    token = access_token(tenant, image["album_id"], image_rotate=True)

    response = _put(client, image["id"], token, [("image[rotation]", "90")])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rotation"] == 90
    assert (body["width"], body["height"]) == (300, 400)
    assert (body["original_width"], body["original_height"]) == PHOTO_SIZE
    for name, url in image["thumbnails"].items():
        assert body["thumbnails"][name] != url, name
        assert chain_of(body["thumbnails"][name], tenant).startswith("a_90/"), name
    for name in ("fill100", "fit2000"):
        assert body["external_urls"][name] != image["external_urls"][name]
    assert body["original_url"] != image["original_url"]
    assert fetch_image(client, body["original_url"]).size == (300, 400)
    assert fetch_image(client, body["external_urls"]["fill100"]).size == (300, 400)
    # Thumbnail links (no token) now lead to the rotated image too.
    link = client.get(body["external_urls"]["full"].removeprefix("http://testserver"),
                      follow_redirects=False)
    assert link.status_code == 302 and chain_of(link.headers["location"], tenant
                                                ).startswith("a_90/")
    # So does the transformation-token redirect (seeds 000/001).
    redirect_token = client_token(tenant, {"transformations": [{"width": 10, "crop": "fit"}]})
    redirected = client.get(f"/images/{image['id']}?token={redirect_token}",
                            follow_redirects=False)
    assert redirected.status_code == 302
    assert chain_of(redirected.headers["location"], tenant).startswith("a_90/c_fit,h_1920")
    for given, stored in (("-90", 270), ("450", 90), ("0", 0), ("180", 180)):
        again = _put(client, image["id"], token, [("image[rotation]", given)])
        assert again.status_code == 200 and again.json()["rotation"] == stored, given


def test_crop_changes_every_url_and_the_pixels(client: TestClient, tenant: Tenant,
                                               photo: Path) -> None:
    renderer()
    image = create_image(client, tenant, photo)
    token = access_token(tenant, image["album_id"], image_crop=True, image_rotate=True)

    response = _put(client, image["id"], token, _crop(10, 20, 200, 100))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["crop_x"], body["crop_y"], body["crop_w"], body["crop_h"]) == (
        10.0, 20.0, 200.0, 100.0)
    assert (body["width"], body["height"]) == (200, 100)
    assert chain_of(body["original_url"], tenant) == "c_crop,h_100,w_200,x_10,y_20/fl_attachment"
    assert all(body["thumbnails"][n] != u for n, u in image["thumbnails"].items())
    assert fetch_image(client, body["original_url"]).size == (200, 100)
    assert fetch_image(client, body["external_urls"]["fill100"]).size == (300, 150)

    # Rotating a cropped image turns the crop box with it: the same region stays shown.
    turned = _put(client, image["id"], token, [("image[rotation]", "90")]).json()
    assert (turned["crop_x"], turned["crop_y"], turned["crop_w"], turned["crop_h"]) == (
        180.0, 10.0, 100.0, 200.0)
    assert (turned["width"], turned["height"]) == (100, 200)
    assert chain_of(turned["original_url"], tenant) == \
        "a_90/c_crop,h_200,w_100,x_180,y_10/fl_attachment"
    assert fetch_image(client, turned["original_url"]).size == (100, 200)
    back = _put(client, image["id"], token, [("image[rotation]", "0")]).json()
    assert (back["crop_x"], back["crop_y"], back["crop_w"], back["crop_h"]) == (
        10.0, 20.0, 200.0, 100.0)
    # Rotation and crop at once: the box is in the rotated image; 0×0 removes the crop.
    both = _put(client, image["id"], token, [("image[rotation]", "270"),
                                             *_crop(0, 0, 300, 400)])
    assert both.status_code == 200, both.text
    assert (both.json()["width"], both.json()["height"]) == (300, 400)
    removed = _put(client, image["id"], token, _crop(0, 0, 0, 0)).json()
    assert removed["crop_w"] == 0.0 and (removed["width"], removed["height"]) == (300, 400)
    assert chain_of(removed["original_url"], tenant) == "a_270/fl_attachment"


@pytest.mark.parametrize(("fields", "needs"), [
    ([("image[title]", "T")], "image_caption"),
    ([("image[description]", "D")], "image_caption"),
    ([("image[rotation]", "90")], "image_rotate"),
    (_crop(0, 0, 10, 10), "image_crop"),
])
@pytest.mark.parametrize("case", ["absent", "false", "other_album", "search", "no_token"])
def test_each_field_needs_its_ability(fields: list[tuple[str, str]], needs: str, case: str,
                                      client: TestClient, tenant: Tenant,
                                      photo: Path) -> None:
    image = create_image(client, tenant, photo)
    album_id = image["album_id"]
    others = {"image_caption", "image_rotate", "image_crop"} - {needs}
    claims: dict[str, Any] | None = {
        "absent": {"abilities": {album_id: {"Access": dict.fromkeys(
            [*others, "image_list", "image_upload"], True)}}},
        "false": {"abilities": {album_id: {"Access": {needs: False}}}},
        "other_album": {"abilities": {"another": {"Access": {needs: True}}}},
        "search": {"q": "*", "image_delete": True},
        "no_token": None,
    }[case]
    check_refused(_put(client, image["id"], _token_of(tenant, claims), fields))
    assert _get(client, tenant, image["id"]) == image


def test_a_refused_field_changes_nothing(client: TestClient, tenant: Tenant,
                                        photo: Path) -> None:
    image = create_image(client, tenant, photo)
    token = access_token(tenant, image["album_id"], image_caption=True, image_crop=True)
    check_refused(_put(client, image["id"], token, [("image[title]", "New"),
                                                   ("image[rotation]", "90"),
                                                   *_crop(0, 0, 10, 10)]))
    after = _get(client, tenant, image["id"])
    assert (after["title"], after["rotation"], after["crop_w"]) == (None, 0, 0.0)
    granted = _put(client, image["id"], admin_token(tenant),
                   [("image[title]", "New"), ("image[rotation]", "90")])
    assert granted.status_code == 200
    assert (granted.json()["title"], granted.json()["rotation"]) == ("New", 90)


@pytest.mark.parametrize("body", [
    {}, {"image": {}}, {"image": "x"}, {"image": {"name": "x"}},
    {"image": {"title": 5}}, {"image": {"title": "x" * 1001}},
    {"image": {"rotation": 45}}, {"image": {"rotation": "ninety"}},
    {"image": {"rotation": 90.5}}, {"image": {"rotation": True}},
    {"image": {"crop": {"x": 0, "y": 0, "width": 401, "height": 10}}},
    {"image": {"crop": {"x": 300, "y": 0, "width": 101, "height": 10}}},
    {"image": {"crop": {"x": 0, "y": 250, "width": 10, "height": 51}}},
    {"image": {"crop": {"x": -1, "y": 0, "width": 10, "height": 10}}},
    {"image": {"crop": {"x": 0, "y": 0, "width": "nan", "height": 10}}},
    {"image": {"crop": {"x": 0, "y": 0, "width": 0.5, "height": 10}}},
    {"image": {"crop": {"x": 5, "y": 0, "width": 0, "height": 0}}},
    {"image": {"crop": {"x": 0, "y": 0, "width": 10}}},
    {"image": {"crop": "0,0,10,10"}},
    # Inside the original but not the rotated image (300×400).
    {"image": {"rotation": 90, "crop": {"x": 0, "y": 0, "width": 400, "height": 300}}},
])
def test_update_bad_input_is_400(body: dict[str, Any], client: TestClient, tenant: Tenant,
                                 photo: Path) -> None:
    image = create_image(client, tenant, photo)
    response = client.put(f"/api/v1/images/{image['id']}", json=body,
                          headers=auth(admin_token(tenant)))
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}
    assert _get(client, tenant, image["id"]) == image


def test_update_unknown_trashed_and_foreign_images_are_404(client: TestClient, app: FastAPI,
                                                           tenant: Tenant,
                                                           photo: Path) -> None:
    image = create_image(client, tenant, photo)
    fields = [("image[title]", "x")]
    assert _put(client, str(uuid.uuid4()), admin_token(tenant), fields).status_code == 404
    foreign = _put(client, image["id"], client_token(other_tenant(app), {"admin": True}),
                   fields)
    assert foreign.status_code == 404 and set(foreign.json()) == {"error"}
    assert client.delete(f"/api/v1/images/{image['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    assert _put(client, image["id"], admin_token(tenant), fields).status_code == 404


# --- POST /api/v1/images/:id/duplicate ----------------------------------------------------------


def _asset_of(app: FastAPI, tenant: Tenant, image_id: str) -> Any:
    with app.state.services.db.uow() as uow:
        image = uow.images.get_any_state(tenant.organization_id, image_id)
        assert image is not None
        return image.asset


def _tag_names(client: TestClient, tenant: Tenant, image_id: str) -> list[str]:
    response = client.get("/api/v1/tag_images", params={"image_ids[]": image_id},
                          headers=auth(admin_token(tenant)))
    return [row["tag"]["name"] for row in response.json()]


@pytest.mark.parametrize("slash", ["", "/"])
def test_duplicate_shares_the_blob(slash: str, client: TestClient, app: FastAPI,
                                   tenant: Tenant, photo: Path) -> None:
    renderer()
    image = create_image(client, tenant, photo)
    album_id = image["album_id"]
    assert _put(client, image["id"], admin_token(tenant), [("image[title]", "Kitchen"),
                                                      ("image[rotation]", "90")]
                ).status_code == 200
    token = access_token(tenant, album_id, image_duplicate=True)

    response = client.post(f"/api/v1/images/{image['id']}/duplicate{slash}",
                           headers=auth(token))

    assert response.status_code == 200, response.text
    assert response.headers["X-token"] and response.headers["X-access-duplicate"] == "true"
    copy = response.json()
    assert list(copy) == list(image)
    assert copy["id"] != image["id"] and copy["album_id"] == album_id
    assert (copy["title"], copy["rotation"], copy["filename"]) == ("Kitchen", 90,
                                                                   image["filename"])
    assert copy["original_url"] != image["original_url"]
    original, copied = _asset_of(app, tenant, image["id"]), _asset_of(app, tenant, copy["id"])
    assert copied.blob_key == original.blob_key and copied.public_id != original.public_id
    assert fetch_image(client, copy["original_url"]).size == (300, 400)
    album = client.get(f"/api/v1/albums/{album_id}/images",
                       headers=auth(access_token(tenant, album_id, image_list=True))).json()
    assert [i["id"] for i in album] == [image["id"], copy["id"]]
    with app.state.services.db.uow() as uow:
        assert "kitchen" in uow.search_terms.terms_of(copy["id"])
    # Trashing the original leaves the copy (and its blob) alone.
    assert client.delete(f"/api/v1/images/{image['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    assert app.state.services.blobs.exists(copied.blob_key)
    assert fetch_image(client, copy["external_urls"]["fill100"]).size == (300, 400)


def test_duplicate_into_another_album_with_tags(client: TestClient, app: FastAPI,
                                                tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    tag = f"Roof{uuid.uuid4().hex[:6]}"
    add_tag(app, tenant, image["id"], name=tag, user="u-2")
    target = new_album()
    token = client_token(tenant, {"abilities": {
        image["album_id"]: {"Access": {"image_duplicate": True}},
        target: {"Access": {"image_upload": True}}}})
    path = f"/api/v1/images/{image['id']}/duplicate"
    with_tags = post_form(client, path, [("album_id", target), ("tags", "true")], token)
    assert with_tags.status_code == 200, with_tags.text
    assert with_tags.json()["album_id"] == target
    assert _tag_names(client, tenant, with_tags.json()["id"]) == [tag]
    without = client.post(path, json={"album_id": target}, headers=auth(token))
    assert without.status_code == 200 and _tag_names(client, tenant, without.json()["id"]) == []
    assert _tag_names(client, tenant, image["id"]) == [tag]


@pytest.mark.parametrize("claims", [
    *refusals("image_duplicate", "image_list"),
    pytest.param(lambda a: {"q": "*", "image_delete": True}, id="search_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_duplicate": True}},
                                          "target": {"Access": {"see": True}}}},
                 id="no_upload_on_target"),
])
def test_duplicate_is_refused(claims: Claims, client: TestClient, tenant: Tenant,
                              photo: Path) -> None:
    image = create_image(client, tenant, photo)
    album_id = image["album_id"]
    check_refused(client.post(f"/api/v1/images/{image['id']}/duplicate",
                              json={"album_id": "target"},
                              headers=_headers(_token_of(tenant, claims(album_id)))))
    listed = client.get(f"/api/v1/albums/{album_id}/images",
                        headers=auth(admin_token(tenant))).json()
    assert [i["id"] for i in listed] == [image["id"]]


def test_duplicate_bad_input_and_unknown_images(client: TestClient, app: FastAPI,
                                                tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    admin = admin_token(tenant)
    path = f"/api/v1/images/{image['id']}/duplicate"
    for body in ({"album_id": 5}, {"album_id": "x" * 256}, {"tags": "sometimes"}):
        response = client.post(path, json=body, headers=auth(admin))
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}
    assert client.post(f"/api/v1/images/{uuid.uuid4()}/duplicate",
                       headers=auth(admin)).status_code == 404
    assert client.post(path, headers=auth(client_token(other_tenant(app), {"admin": True}))
                       ).status_code == 404


# --- POST /api/v1/images/move -------------------------------------------------------------------


def _move(client: TestClient, token: str | None, moves: dict[str, str],
          slash: str = "") -> Any:
    fields = [(f"move_operations[{image_id}]", album_id) for image_id, album_id in
              moves.items()]
    return client.post(f"/api/v1/images/move{slash}", content=urlencode(fields),
                       headers={**_headers(token),
                                "Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("slash", ["", "/"])
def test_move_puts_images_in_other_albums(slash: str, client: TestClient, tenant: Tenant,
                                          photo: Path) -> None:
    source, target, second_target = new_album(), new_album(), new_album()
    first = create_image(client, tenant, photo, source)
    second = create_image(client, tenant, photo, source)
    stays = create_image(client, tenant, photo, source)
    token = client_token(tenant, {"abilities": {
        source: {"Access": {"image_delete": True}},
        target: {"Access": {"image_upload": True}},
        second_target: {"Access": {"image_upload": True}}}})

    response = _move(client, token, {second["id"]: target, first["id"]: second_target},
                     slash)

    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    moved = response.json()
    assert [(i["id"], i["album_id"]) for i in moved] == [(second["id"], target),
                                                         (first["id"], second_target)]
    assert list(moved[0]) == list(first)
    assert _get(client, tenant, second["id"])["album_id"] == target
    assert _get(client, tenant, first["id"])["album_id"] == second_target
    assert _get(client, tenant, stays["id"])["album_id"] == source
    counts = {a: client.get(f"/api/v1/albums/{a}/images", headers=auth(admin_token(tenant))
                            ).headers["X-Total-Count"] for a in (source, target)}
    assert counts == {source: "1", target: "1"}


def test_move_by_a_search_token_with_image_delete(client: TestClient, tenant: Tenant,
                                                  photo: Path) -> None:
    image = create_image(client, tenant, photo)
    target = new_album()
    token = client_token(tenant, {"q": f"image_id:{image['id']}", "image_delete": True,
                                  "abilities": {target: {"Access": {"image_upload": True}}}})
    assert _move(client, token, {image["id"]: target}).status_code == 200
    assert _get(client, tenant, image["id"])["album_id"] == target


@pytest.mark.parametrize("case", ["no_token", "absent", "false", "other_album",
                                  "no_upload_on_target", "upload_false_on_target",
                                  "search_without_image_delete", "one_of_two"])
def test_move_is_all_or_nothing(case: str, client: TestClient, tenant: Tenant,
                                photo: Path) -> None:
    source, other, target = new_album(), new_album(), new_album()
    image = create_image(client, tenant, photo, source)
    elsewhere = create_image(client, tenant, photo, other)
    upload = {target: {"Access": {"image_upload": True}}}
    moves = {image["id"]: target}
    claims: dict[str, Any] | None = {
        "no_token": None,
        "absent": {"abilities": {source: {"Access": {"image_list": True}}, **upload}},
        "false": {"abilities": {source: {"Access": {"image_delete": False}}, **upload}},
        "other_album": {"abilities": {"another": {"Access": {"image_delete": True}},
                                      **upload}},
        "no_upload_on_target": {"abilities": {source: {"Access": {"image_delete": True}},
                                              target: {"Access": {"see": True}}}},
        "upload_false_on_target": {"abilities": {
            source: {"Access": {"image_delete": True}},
            target: {"Access": {"image_upload": False}}}},
        "search_without_image_delete": {"q": "*", "abilities": upload},
        "one_of_two": {"abilities": {source: {"Access": {"image_delete": True}}, **upload}},
    }[case]
    if case == "one_of_two":
        moves = {image["id"]: target, elsewhere["id"]: target}
    check_refused(_move(client, _token_of(tenant, claims), moves))
    assert _get(client, tenant, image["id"])["album_id"] == source
    assert _get(client, tenant, elsewhere["id"])["album_id"] == other


def test_move_bad_input_unknown_and_foreign_images(client: TestClient, app: FastAPI,
                                                   tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    admin = admin_token(tenant)
    for body in ({}, {"move_operations": {}}, {"move_operations": [image["id"]]},
                 {"move_operations": {image["id"]: 5}},
                 {"move_operations": {image["id"]: "x" * 256}},
                 {"move_operations": {str(i): "a" for i in range(501)}}):
        response = client.post("/api/v1/images/move", json=body, headers=auth(admin))
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}
    target = new_album()
    unknown = _move(client, admin, {image["id"]: target, str(uuid.uuid4()): target})
    assert unknown.status_code == 404 and set(unknown.json()) == {"error"}
    foreign = _move(client, client_token(other_tenant(app), {"admin": True}),
                    {image["id"]: target})
    assert foreign.status_code == 404
    assert _get(client, tenant, image["id"])["album_id"] == image["album_id"]


# --- GET /api/v1/images/:id/image_url -----------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_image_url_is_a_signed_delivery_url(slash: str, client: TestClient, tenant: Tenant,
                                            photo: Path) -> None:
    renderer()
    image = create_image(client, tenant, photo)
    album_id = image["album_id"]
    path = f"/api/v1/images/{image['id']}/image_url{slash}"
    plain = client.get(path, headers=auth(access_token(tenant, album_id, image_list=True)))
    assert plain.status_code == 200, plain.text
    assert plain.headers["X-token"]
    assert list(plain.json()) == ["url"]
    assert chain_of(plain.json()["url"], tenant) == ""
    assert fetch_image(client, plain.json()["url"]).size == PHOTO_SIZE

    token = access_token(tenant, album_id, image_list=True, image_transform=True)
    nested = client.get(path + "?transformations[][crop]=fit&transformations[][width]=50",
                        headers=auth(token))
    assert nested.status_code == 200, nested.text
    assert chain_of(nested.json()["url"], tenant) == "c_fit,w_50"
    assert fetch_image(client, nested.json()["url"]).size == (50, 38)
    as_json = client.get(path, params={"transformations": '[{"crop": "fill", "width": 20, '
                                                          '"height": 20}, {"angle": 90}]'},
                         headers=auth(token))
    assert chain_of(as_json.json()["url"], tenant) == "c_fill,h_20,w_20/a_90"
    # The image's own rotation comes first, as on every URL of it.
    assert _put(client, image["id"], admin_token(tenant), [("image[rotation]", "90")]
                ).status_code == 200
    rotated = client.get(path, headers=auth(token)).json()["url"]
    assert chain_of(rotated, tenant) == "a_90"
    assert fetch_image(client, rotated).size == (300, 400)


@pytest.mark.parametrize("claims", [
    *refusals("image_list", "image_upload"),
    pytest.param(lambda a: {"q": "album_id:another"}, id="search_not_matching"),
])
def test_image_url_is_refused(claims: Claims, client: TestClient, tenant: Tenant,
                              photo: Path) -> None:
    image = create_image(client, tenant, photo)
    check_refused(client.get(f"/api/v1/images/{image['id']}/image_url",
                             headers=_headers(_token_of(tenant, claims(image["album_id"])))))


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True}}}},
                 id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True,
                                                         "image_transform": False}}}},
                 id="false"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True}},
                                          "another": {"Access": {"image_transform": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*"}, id="search_token"),
])
def test_custom_transformations_need_image_transform(claims: Claims, client: TestClient,
                                                     tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    token = _token_of(tenant, claims(image["album_id"]))
    path = f"/api/v1/images/{image['id']}/image_url"
    assert client.get(path, headers=_headers(token)).status_code == 200  # the plain URL
    check_refused(client.get(path + "?transformations[][width]=50&transformations[][crop]=fit",
                             headers=_headers(token)))


def test_image_url_bad_input_and_unknown_images(client: TestClient, app: FastAPI,
                                                tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    admin = admin_token(tenant)
    path = f"/api/v1/images/{image['id']}/image_url"
    for query in ("?transformations=not-json", "?transformations=5",
                  '?transformations=["x"]', "?transformations[][width]=-5&"
                  "transformations[][crop]=fit", "?transformations[][crop]=sideways"):
        response = client.get(path + query, headers=auth(admin))
        assert response.status_code == 400, query
        assert set(response.json()) == {"error"}
    assert client.get(f"/api/v1/images/{uuid.uuid4()}/image_url", headers=auth(admin)
                      ).status_code == 404
    assert client.get(path, headers=auth(client_token(other_tenant(app), {"admin": True}))
                      ).status_code == 404


# --- GET /api/v1/images/:id/user ----------------------------------------------------------------


def _image_uploaded_by(client: TestClient, tenant: Tenant, photo: Path,
                       user_id: str) -> dict[str, Any]:
    album_id = new_album()
    token = client_token(tenant, {"abilities": {album_id: {"Access": {
        "see": True, "image_upload": True}}}, "user_id": user_id})
    result = upload_through_form(client, token, album_id, photo)
    response = post_form(client, f"/api/v1/albums/{album_id}/images",
                         list(rails_fields(result, "cloudinary")), token)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("slash", ["", "/"])
def test_user_is_who_uploaded_the_image(slash: str, client: TestClient, tenant: Tenant,
                                        photo: Path) -> None:
    image = _image_uploaded_by(client, tenant, photo, "0f2a5bd1-user")
    token = access_token(tenant, image["album_id"], image_list=True)
    response = client.get(f"/api/v1/images/{image['id']}/user{slash}", headers=auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    assert response.json() == {"id": "0f2a5bd1-user"}
    anonymous = create_image(client, tenant, photo)
    assert client.get(f"/api/v1/images/{anonymous['id']}/user",
                      headers=auth(admin_token(tenant))).json() == {"id": None}
    by_search = client.get(f"/api/v1/images/{image['id']}/user",
                           headers=auth(client_token(tenant, {"q": f"image_id:{image['id']}"})))
    assert by_search.json() == {"id": "0f2a5bd1-user"}


@pytest.mark.parametrize("claims", refusals("image_list", "image_upload"))
def test_user_is_refused(claims: Claims, client: TestClient, app: FastAPI, tenant: Tenant,
                         photo: Path) -> None:
    image = create_image(client, tenant, photo)
    path = f"/api/v1/images/{image['id']}/user"
    check_refused(client.get(path, headers=_headers(_token_of(tenant,
                                                              claims(image["album_id"])))))
    assert client.get(path, headers=auth(client_token(other_tenant(app), {"admin": True}))
                      ).status_code == 404
    assert client.get(f"/api/v1/images/{uuid.uuid4()}/user", headers=auth(admin_token(tenant))
                      ).status_code == 404


# --- GET /api/v1/image_syncs --------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_image_syncs_answer_what_the_token_may_read(slash: str, client: TestClient,
                                                    app: FastAPI, tenant: Tenant,
                                                    photo: Path) -> None:
    album_id = new_album()
    first = create_image(client, tenant, photo, album_id)
    second = create_image(client, tenant, photo, album_id)
    trashed = create_image(client, tenant, photo, album_id)
    elsewhere = create_image(client, tenant, photo)
    foreign = create_image(client, other_tenant(app), photo)
    admin = admin_token(tenant)
    assert client.delete(f"/api/v1/images/{trashed['id']}", headers=auth(admin)
                         ).status_code == 204
    token = access_token(tenant, album_id, image_list=True)
    ids = [second["id"], elsewhere["id"], str(uuid.uuid4()), trashed["id"], foreign["id"],
           first["id"], second["id"]]

    response = client.get(f"/api/v1/image_syncs{slash}", params={"ids[]": ids},
                          headers=auth(token))

    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    rows = response.json()
    assert [row["id"] for row in rows] == [second["id"], first["id"]]
    assert all(list(row) == ["id", "updated_at"] and ISO.fullmatch(row["updated_at"])
               for row in rows)
    assert rows[1]["updated_at"] == first["updated_at"]
    # A change moves updated_at forward: the client knows to fetch the image again.
    changed = _put(client, first["id"], admin, [("image[title]", "changed")]).json()
    again = client.get("/api/v1/image_syncs", params={"ids[]": first["id"]},
                       headers=auth(token)).json()
    assert again == [{"id": first["id"], "updated_at": changed["updated_at"]}]
    assert again[0]["updated_at"] >= first["updated_at"]
    by_search = client.get("/api/v1/image_syncs", params={"ids[]": [first["id"],
                                                                    elsewhere["id"]]},
                           headers=auth(client_token(tenant, {"q": f"album_id:{album_id}"})))
    assert [row["id"] for row in by_search.json()] == [first["id"]]


def test_image_syncs_bad_input_and_refusals(client: TestClient, tenant: Tenant,
                                            photo: Path) -> None:
    image = create_image(client, tenant, photo)
    admin = admin_token(tenant)
    for params in ({}, {"ids[]": ""}, {"ids[]": [str(i) for i in range(501)]},
                   {"ids[a]": "b"}):
        response = client.get("/api/v1/image_syncs", params=params, headers=auth(admin))
        assert response.status_code == 400, params
        assert set(response.json()) == {"error"}
    check_refused(client.get("/api/v1/image_syncs", params={"ids[]": image["id"]}))
    for claims in ({"abilities": {image["album_id"]: {"Access": {"image_upload": True}}}},
                   {"abilities": {image["album_id"]: {"Access": {"image_list": False}}}},
                   {"abilities": {"another": {"Access": {"image_list": True}}}}):
        filtered = client.get("/api/v1/image_syncs", params={"ids[]": image["id"]},
                              headers=auth(client_token(tenant, claims)))
        assert filtered.status_code == 200 and filtered.json() == [], claims


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, "{bad", "[1, 2]"])
def test_malformed_json_bodies_are_400(client: TestClient, tenant: Tenant, body: str) -> None:
    album_id = f"a{uuid.uuid4().hex[:12]}"
    response = client.put(f"/api/v1/albums/{album_id}", content=body,
                          headers={**auth(client_token(tenant, {"abilities": {album_id: {
                              "Access": {"rename": True}}}})),
                                   "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert set(response.json()["error"]) == {"code", "message"}
