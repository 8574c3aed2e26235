"""Tag images (issue 5): `POST /api/v1/tags/:tag_id_or_name/tag_images` (`image_ids[]`),
`DELETE /api/v1/tag_images/:id` and the filters of `GET /api/v1/tag_images`, on both back
ends, through the public API (search terms checked in the data layer)."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    access_token,
    admin_token,
    auth,
    client_token,
    create_image,
    new_album,
    other_tenant,
)
from tests.sharinpix.test_ability_matrix import check_refused
from tests.sharinpix.test_tags_api import ISO, check_tag, list_tags, make_tag

TAG_IMAGE_KEYS = ["id", "created_at", "user", "image", "tag"]


def tag_images(client: TestClient, token: str | None, tag: str, image_ids: list[str],
               how: str = "form", slash: str = "") -> Any:
    path = f"/api/v1/tags/{tag}/tag_images{slash}"
    headers = auth(token) if token else {}
    if how == "json":
        return client.post(path, json={"image_ids": image_ids}, headers=headers)
    return client.post(path, content=urlencode([("image_ids[]", i) for i in image_ids]),
                       headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})


def untag(client: TestClient, token: str | None, tag_image_id: str, slash: str = "") -> Any:
    return client.delete(f"/api/v1/tag_images/{tag_image_id}{slash}",
                         headers=auth(token) if token else {})


def listed(client: TestClient, token: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/tag_images", params=params, headers=auth(token))
    assert response.status_code == 200, response.text
    return list(response.json())


def terms(app: FastAPI, image_id: str) -> set[str]:
    with app.state.services.db.uow() as uow:
        return set(uow.search_terms.terms_of(image_id))


def rows_of(app: FastAPI, tenant: Tenant) -> int:
    with app.state.services.db.uow() as uow:
        return len(uow.tag_images.for_images(tenant.organization_id, None))


def check_tag_image(row: dict[str, Any], image: dict[str, Any], tag_name: str) -> None:
    """Seed 003's tag image: the full image JSON and the tag JSON."""
    assert list(row) == TAG_IMAGE_KEYS
    assert isinstance(row["id"], str) and ISO.fullmatch(row["created_at"])
    assert row["image"]["id"] == image["id"] and set(row["image"]) == set(image)
    check_tag(row["tag"])
    assert row["tag"]["name"] == tag_name


# --- POST /api/v1/tags/:tag_id_or_name/tag_images -----------------------------------------------


@pytest.mark.parametrize(("how", "slash"), [("form", ""), ("json", "/")])
def test_tag_images_by_name_or_id(how: str, slash: str, client: TestClient, app: FastAPI,
                                  tenant: Tenant, photo: Path) -> None:
    album_id = new_album()
    first = create_image(client, tenant, photo, album_id)
    second = create_image(client, tenant, photo, album_id)
    tag = make_tag(client, tenant, "Chimney")
    token = client_token(tenant, {"user_id": "u-1",
                                  "abilities": {album_id: {"Access": {"image_tag": True}}}})
    assert "chimney" not in terms(app, first["id"])

    response = tag_images(client, token, "Chimney", [second["id"], first["id"]], how, slash)

    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    rows = response.json()
    assert [row["image"]["id"] for row in rows] == [second["id"], first["id"]]
    for row, image in zip(rows, (second, first), strict=True):
        check_tag_image(row, image, "Chimney")
        assert row["user"] == "u-1" and row["tag"] == tag
        assert "chimney" in terms(app, image["id"])
    # Idempotent: the same tag images again, by the tag's id this time, no new row.
    again = tag_images(client, token, tag["id"], [first["id"], second["id"], first["id"]])
    assert again.status_code == 200
    assert [row["id"] for row in again.json()] == [rows[1]["id"], rows[0]["id"]]
    assert again.json()[0] == rows[1]
    assert rows_of(app, tenant) == 2
    assert {row["id"] for row in listed(client, admin_token(tenant))} == {r["id"] for r in rows}


def test_concurrent_tagging_leaves_one_row(client: TestClient, app: FastAPI, tenant: Tenant,
                                           photo: Path) -> None:
    image = create_image(client, tenant, photo)
    make_tag(client, tenant, "Race")
    token = admin_token(tenant)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: tag_images(client, token, "Race", [image["id"]]),
                                range(8)))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert len({a.json()[0]["id"] for a in answers}) == 1
    assert rows_of(app, tenant) == 1


def test_concurrent_tags_on_one_image_are_all_indexed(client: TestClient, app: FastAPI,
                                                      tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    names = [f"Tag{index}" for index in range(6)]
    for name in names:
        make_tag(client, tenant, name)
    token = admin_token(tenant)
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda name: tag_images(client, token, name, [image["id"]]),
                                names))
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert {name.lower() for name in names} <= terms(app, image["id"])
    assert rows_of(app, tenant) == 6


def test_tagging_is_all_or_nothing(client: TestClient, app: FastAPI, tenant: Tenant,
                                   photo: Path) -> None:
    album_id = new_album()
    mine = create_image(client, tenant, photo, album_id)
    elsewhere = create_image(client, tenant, photo)
    foreign = create_image(client, other := other_tenant(app), photo)
    make_tag(client, tenant, "Roof")
    token = access_token(tenant, album_id, image_tag=True)
    check_refused(tag_images(client, token, "Roof", [mine["id"], elsewhere["id"]]))
    for ids in ([mine["id"], str(uuid.uuid4())], [mine["id"], foreign["id"]]):
        response = tag_images(client, admin_token(tenant), "Roof", ids)
        assert response.status_code == 404 and set(response.json()) == {"error"}
        assert response.headers["X-token"]
    assert rows_of(app, tenant) == 0 and rows_of(app, other) == 0
    assert "roof" not in terms(app, mine["id"])
    # A trashed image is unknown too.
    assert client.delete(f"/api/v1/images/{elsewhere['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    assert tag_images(client, admin_token(tenant), "Roof", [elsewhere["id"]]).status_code == 404


def test_tags_named_by_the_token_are_created_on_first_use(client: TestClient, app: FastAPI,
                                                          tenant: Tenant,
                                                          photo: Path) -> None:
    album_id = new_album()
    image = create_image(client, tenant, photo, album_id)
    token = client_token(tenant, {"abilities": {album_id: {"Tags": {"Leak": True}}}})
    response = tag_images(client, token, "Leak", [image["id"]])
    assert response.status_code == 200, response.text
    check_tag_image(response.json()[0], image, "Leak")
    assert response.json()[0]["tag"]["color"] == "#009688"
    assert [t["name"] for t in list_tags(client, admin_token(tenant)).json()] == ["Leak"]
    # Only the named tag: another unknown name is unknown, an existing one is refused.
    missing = tag_images(client, token, "Crack", [image["id"]])
    assert missing.status_code == 404 and set(missing.json()) == {"error"}
    make_tag(client, tenant, "Crack")
    check_refused(tag_images(client, token, "Crack", [image["id"]]))
    # Named on another album: the tag exists on demand, but this album's images refuse it.
    elsewhere = client_token(tenant, {"abilities": {
        album_id: {"Access": {"image_list": True}}, "B": {"Tags": {"Mould": True}}}})
    check_refused(tag_images(client, elsewhere, "Mould", [image["id"]]))
    assert rows_of(app, tenant) == 1


def test_an_unknown_tag_is_404(client: TestClient, app: FastAPI, tenant: Tenant,
                               photo: Path) -> None:
    image = create_image(client, tenant, photo)
    theirs = make_tag(client, other_tenant(app), "Roof")
    for tag in ("Nope", str(uuid.uuid4()), theirs["id"]):
        response = tag_images(client, admin_token(tenant), tag, [image["id"]])
        assert response.status_code == 404, tag
        assert set(response.json()) == {"error"}
    assert list_tags(client, admin_token(tenant)).json() == []


@pytest.mark.parametrize("body", [
    {}, {"image_ids": []}, {"image_ids": [""]}, {"image_ids": [3]}, {"image_ids": {"a": 1}},
    {"image_ids": ["x"] * 501},
])
def test_tagging_bad_input_is_400(body: dict[str, Any], client: TestClient,
                                  tenant: Tenant) -> None:
    make_tag(client, tenant, "Roof")
    response = client.post("/api/v1/tags/Roof/tag_images", json=body,
                           headers=auth(admin_token(tenant)))
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_tag": True}}}}, id="image_tag"),
    pytest.param(lambda a: {"abilities": {a: {"Tags": {"Roof": True}}}}, id="named"),
    pytest.param(lambda a: {"abilities": {a: {"Tags": {"Roof": {"add": True}}}}},
                 id="named_hash"),
    pytest.param(lambda a: {"admin": True}, id="admin"),
])
def test_tagging_is_granted(claims: Any, client: TestClient, tenant: Tenant,
                            photo: Path) -> None:
    image = create_image(client, tenant, photo)
    make_tag(client, tenant, "Roof")
    response = tag_images(client, client_token(tenant, claims(image["album_id"])), "Roof",
                          [image["id"]])
    assert response.status_code == 200, response.text


REFUSED = [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True,
                                                         "create_tag": True}}}}, id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_tag": False}}}}, id="false"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_tag": "true"}}}},
                 id="not_true"),
    pytest.param(lambda a: {"abilities": {a: {"Tags": {"Roof": False}}}}, id="named_false"),
    pytest.param(lambda a: {"abilities": {a: {"Tags": {"Other": True}}}}, id="other_tag"),
    pytest.param(lambda a: {"abilities": {"another": {"Access": {"image_tag": True},
                                                      "Tags": {"Roof": True}}}},
                 id="other_album"),
    pytest.param(lambda a: {"q": "*", "thumbnail_tags": True, "image_delete": True},
                 id="search"),
]


@pytest.mark.parametrize("claims", REFUSED)
def test_tagging_is_refused(claims: Any, client: TestClient, app: FastAPI, tenant: Tenant,
                            photo: Path) -> None:
    image = create_image(client, tenant, photo)
    make_tag(client, tenant, "Roof")
    granted = claims(image["album_id"])
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(tag_images(client, token, "Roof", [image["id"]]))
    assert rows_of(app, tenant) == 0


# --- DELETE /api/v1/tag_images/:id --------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_untag(slash: str, client: TestClient, app: FastAPI, tenant: Tenant,
               photo: Path) -> None:
    image = create_image(client, tenant, photo)
    make_tag(client, tenant, "Chimney")
    make_tag(client, tenant, "Roof")
    chimney = tag_images(client, admin_token(tenant), "Chimney", [image["id"]]).json()[0]
    roof = tag_images(client, admin_token(tenant), "Roof", [image["id"]]).json()[0]
    assert {"chimney", "roof"} <= terms(app, image["id"])
    token = access_token(tenant, image["album_id"], image_tag=True)

    response = untag(client, token, chimney["id"], slash)

    assert response.status_code == 204, response.text
    assert response.content == b"" and response.headers["X-token"]
    assert [row["id"] for row in listed(client, admin_token(tenant))] == [roof["id"]]
    after = terms(app, image["id"])
    assert "chimney" not in after and "roof" in after
    again = untag(client, token, chimney["id"])
    assert again.status_code == 404 and set(again.json()) == {"error"}
    # The tag itself stays, and tagging again makes a new tag image.
    assert {t["name"] for t in list_tags(client, admin_token(tenant)).json()} == {"Chimney", "Roof"}
    retagged = tag_images(client, token, "Chimney", [image["id"]]).json()[0]
    assert retagged["id"] != chimney["id"]


def test_untag_unknown_foreign_or_trashed_is_404(client: TestClient, app: FastAPI,
                                                 tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    make_tag(client, tenant, "Roof")
    row = tag_images(client, admin_token(tenant), "Roof", [image["id"]]).json()[0]
    assert untag(client, admin_token(tenant), str(uuid.uuid4())).status_code == 404
    assert untag(client, admin_token(other_tenant(app)), row["id"]).status_code == 404
    assert client.delete(f"/api/v1/images/{image['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    trashed = untag(client, admin_token(tenant), row["id"])
    assert trashed.status_code == 404 and set(trashed.json()) == {"error"}
    assert rows_of(app, tenant) == 0  # a trashed image's tag images are not listed
    assert client.delete(f"/api/v1/trashed_images/{image['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    assert rows_of(app, tenant) == 1  # and come back with it


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_tag": True}}}}, id="image_tag"),
    pytest.param(lambda a: {"abilities": {a: {"Tags": {"Roof": True}}}}, id="named"),
    pytest.param(lambda a: {"admin": True}, id="admin"),
])
def test_untag_is_granted(claims: Any, client: TestClient, app: FastAPI, tenant: Tenant,
                          photo: Path) -> None:
    image = create_image(client, tenant, photo)
    make_tag(client, tenant, "Roof")
    row = tag_images(client, admin_token(tenant), "Roof", [image["id"]]).json()[0]
    assert untag(client, client_token(tenant, claims(image["album_id"])),
                 row["id"]).status_code == 204
    assert rows_of(app, tenant) == 0


@pytest.mark.parametrize("claims", REFUSED)
def test_untag_is_refused(claims: Any, client: TestClient, app: FastAPI, tenant: Tenant,
                          photo: Path) -> None:
    image = create_image(client, tenant, photo)
    make_tag(client, tenant, "Roof")
    row = tag_images(client, admin_token(tenant), "Roof", [image["id"]]).json()[0]
    granted = claims(image["album_id"])
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(untag(client, token, row["id"]))
    assert rows_of(app, tenant) == 1


# --- GET /api/v1/tag_images filters -------------------------------------------------------------


def test_list_filters(client: TestClient, app: FastAPI, tenant: Tenant, photo: Path) -> None:
    album_a, album_b = new_album(), new_album()
    a1, a2 = (create_image(client, tenant, photo, album_a) for _ in range(2))
    b1 = create_image(client, tenant, photo, album_b)
    for name in ("Roof", "Wall"):
        make_tag(client, tenant, name)
    roof = tag_images(client, admin_token(tenant), "Roof", [a1["id"], a2["id"], b1["id"]]).json()
    wall = tag_images(client, admin_token(tenant), "Wall", [a1["id"]]).json()
    token = admin_token(tenant)

    def ids(**params: Any) -> list[str]:
        rows = listed(client, token, **params)
        for row in rows:
            assert list(row) == TAG_IMAGE_KEYS
        return [row["id"] for row in rows]

    # Oldest first; the rows of one request share their time and follow their ids.
    roof = sorted(roof, key=lambda row: row["id"])
    by_image = {row["image"]["id"]: row["id"] for row in roof}
    everything = [r["id"] for r in roof] + [w["id"] for w in wall]
    assert ids() == everything
    assert ids(tag_name="Roof") == [r["id"] for r in roof]
    assert ids(tag_name="Wall") == [wall[0]["id"]]
    assert ids(album_id=album_b) == [by_image[b1["id"]]]
    assert ids(album_id=album_a, tag_name="Roof") == sorted([by_image[a1["id"]],
                                                             by_image[a2["id"]]])
    assert ids(image_id=a1["id"]) == [by_image[a1["id"]], wall[0]["id"]]
    assert ids(image_id=a1["id"], tag_name="Wall") == [wall[0]["id"]]
    assert ids(**{"image_ids[]": [a2["id"], b1["id"]], "image_id": b1["id"]}) == [
        by_image[b1["id"]]]
    assert ids(**{"image_ids[]": [a2["id"]], "album_id": album_b}) == []
    assert ids(tag_name="Nope") == []
    assert ids(album_id="unknown") == []
    assert ids(page="2") == []
    # Filters narrow; abilities still decide: an album token sees its album only.
    album_token = access_token(tenant, album_a, image_list=True)
    assert [row["id"] for row in listed(client, album_token, tag_name="Roof")] == sorted(
        [by_image[a1["id"]], by_image[a2["id"]]])
    assert listed(client, album_token, album_id=album_b) == []
    # Another organization's filters find nothing of this one.
    assert listed(client, admin_token(other_tenant(app)), tag_name="Roof") == []
    for page in ("0", "x"):
        response = client.get("/api/v1/tag_images", params={"page": page},
                              headers=auth(token))
        assert response.status_code == 400 and set(response.json()) == {"error"}


def test_a_search_token_filters_by_its_query(client: TestClient, tenant: Tenant,
                                             photo: Path) -> None:
    image, other = create_image(client, tenant, photo), create_image(client, tenant, photo)
    make_tag(client, tenant, "Roof")
    rows = tag_images(client, admin_token(tenant), "Roof", [image["id"], other["id"]]).json()
    search = client_token(tenant, {"q": f"image_id:{image['id']}", "thumbnail_tags": True})
    assert [r["id"] for r in listed(client, search, tag_name="Roof")] == [rows[0]["id"]]
    blind = client_token(tenant, {"q": "*"})
    assert listed(client, blind, tag_name="Roof") == []
    assert re.fullmatch(r"[0-9a-f-]{36}", rows[0]["tag"]["id"])


def test_two_writers_of_the_same_pair_leave_one_row(client: TestClient, app: FastAPI,
                                                    tenant: Tenant, photo: Path) -> None:
    """The race itself, in the data layer: the second insert waits for the first writer's
    commit and then skips the pair instead of failing."""
    image = create_image(client, tenant, photo)
    tag = make_tag(client, tenant, "Race")
    db = app.state.services.db

    def row() -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "organization_id": tenant.organization_id,
                "tag_id": tag["id"], "image_id": image["id"], "user_id": None,
                "created_at": datetime.now(UTC)}

    def second_writer() -> None:
        with db.uow() as uow:
            uow.tag_images.add_missing([row()])
            uow.commit()

    with db.uow() as first, ThreadPoolExecutor(max_workers=1) as pool:
        first.tag_images.add_missing([row()])
        pending = pool.submit(second_writer)  # blocks on the first writer's lock
        first.commit()
        pending.result(timeout=60)
    assert rows_of(app, tenant) == 1
