"""Tags (issue 5): `POST /api/v1/tags`, `GET /api/v1/tags[?visible=]`,
`GET /api/v1/tags/autocomplete`, `PUT /api/v1/tags/:id`, `GET /api/v1/tags_token` and
`GET /api/v1/tags/:tag_id/public_tags`, on both back ends, through the public API."""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
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
    chain_of,
    claims_of,
    client_token,
    create_image,
    new_album,
    other_tenant,
)
from tests.sharinpix.test_ability_matrix import check_refused

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")
# Seed 003's tag, key for key and in order.
TAG_KEYS = ["id", "created_at", "name", "label", "url", "public", "listed", "action",
            "visible", "color", "color_contrast", "allow_download", "label_en", "label_fr"]






def post_tag(client: TestClient, token: str | None, fields: dict[str, Any],
             path: str = "/api/v1/tags") -> Any:
    """A Rails-style form: `tag[name]=…&tag[label][en]=…`."""
    pairs: list[tuple[str, str]] = []
    for key, value in fields.items():
        if isinstance(value, dict):
            pairs += [(f"tag[{key}][{k}]", v) for k, v in value.items()]
        else:
            pairs.append((f"tag[{key}]", value))
    return client.post(path, content=urlencode(pairs),
                       headers={**(auth(token) if token else {}),
                                "Content-Type": "application/x-www-form-urlencoded"})


def make_tag(client: TestClient, tenant: Tenant, name: str | None = None,
             **fields: Any) -> dict[str, Any]:
    response = post_tag(client, admin_token(tenant), {"name": name or f"t{uuid.uuid4().hex[:8]}",
                                                **fields})
    assert response.status_code == 200, response.text
    return dict(response.json())


def list_tags(client: TestClient, token: str, **params: str) -> Any:
    return client.get("/api/v1/tags", params=params, headers=auth(token))


def check_tag(tag: dict[str, Any]) -> None:
    """The documented keys and types of seed 003's tag."""
    assert list(tag) == TAG_KEYS
    assert isinstance(tag["id"], str) and ISO.fullmatch(tag["created_at"])
    assert tag["url"] == f"/public_tags/{tag['id']}"
    assert isinstance(tag["label"], str)
    assert json.loads(tag["label"]) == {"en": tag["label_en"], "fr": tag["label_fr"]}
    for flag in ("public", "listed", "visible", "allow_download"):
        assert isinstance(tag[flag], bool)
    assert tag["action"] == {"actions": []}
    assert re.fullmatch(r"#[0-9a-f]{6}", tag["color"])
    assert tag["color_contrast"] in ("#000000", "#ffffff")


# --- POST /api/v1/tags --------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_create_a_tag(slash: str, client: TestClient, tenant: Tenant) -> None:
    token = access_token(tenant, new_album(), create_tag=True)
    response = post_tag(client, token, {
        "name": "Roof", "label_en": "Roof", "label_fr": "Toit", "color": "#FFEB3B",
        "public": "true", "listed": "false", "visible": "true", "allow_download": "1",
    }, "/api/v1/tags" + slash)
    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    tag = response.json()
    check_tag(tag)
    assert tag["name"] == "Roof" and tag["label"] == '{"en":"Roof","fr":"Toit"}'
    assert (tag["label_en"], tag["label_fr"]) == ("Roof", "Toit")
    assert tag["color"] == "#ffeb3b" and tag["color_contrast"] == "#000000"
    assert (tag["public"], tag["listed"], tag["visible"], tag["allow_download"]) == (
        True, False, True, True)
    assert list_tags(client, admin_token(tenant)).json() == [tag]


def test_create_with_defaults_nested_labels_and_json(client: TestClient,
                                                     tenant: Tenant) -> None:
    plain = make_tag(client, tenant, "Wall")
    check_tag(plain)
    # Seed 003's tag is what a tag gets when nothing is said.
    assert {k: plain[k] for k in ("public", "listed", "visible", "color", "color_contrast",
                                  "allow_download", "label_en", "label_fr")} == {
        "public": False, "listed": True, "visible": False, "color": "#009688",
        "color_contrast": "#ffffff", "allow_download": False, "label_en": "Wall",
        "label_fr": "Wall"}
    nested = make_tag(client, tenant, "Été", label={"en": "Summer", "fr": "Été"})
    assert nested["label"] == '{"en":"Summer","fr":"Été"}'
    by_json = client.post("/api/v1/tags", headers=auth(admin_token(tenant)), json={
        "tag": {"name": "Door", "label": {"fr": "Porte"}, "color": "#000000",
                "visible": True}})
    assert by_json.status_code == 200, by_json.text
    assert by_json.json()["label_fr"] == "Porte" and by_json.json()["label_en"] == "Door"
    assert by_json.json()["color_contrast"] == "#ffffff" and by_json.json()["visible"] is True


def test_a_duplicate_name_is_409_and_changes_nothing(client: TestClient,
                                                     tenant: Tenant) -> None:
    first = make_tag(client, tenant, "Roof", color="#ff0000")
    again = post_tag(client, admin_token(tenant), {"name": " Roof ", "color": "#00ff00"})
    assert again.status_code == 409, again.text
    assert set(again.json()) == {"error"} and again.headers["X-token"]
    assert list_tags(client, admin_token(tenant)).json() == [first]


def test_concurrent_creations_of_a_name_make_one_tag(client: TestClient,
                                                      tenant: Tenant) -> None:
    token = admin_token(tenant)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda i: post_tag(client, token, {"name": "Race",
                                                                   "label_fr": str(i)}),
                                range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 7, [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 200)
    assert list_tags(client, token).json() == [winner]


def test_the_same_name_in_two_organizations(client: TestClient, app: FastAPI,
                                            tenant: Tenant) -> None:
    mine = make_tag(client, tenant, "Roof")
    other = other_tenant(app)
    theirs = make_tag(client, other, "Roof")
    assert theirs["id"] != mine["id"]
    assert [t["id"] for t in list_tags(client, admin_token(tenant)).json()] == [mine["id"]]
    assert [t["id"] for t in list_tags(client, admin_token(other)).json()] == [theirs["id"]]
    completed = client.get("/api/v1/tags/autocomplete", params={"q": "ro"},
                           headers=auth(admin_token(other)))
    assert [t["id"] for t in completed.json()] == [theirs["id"]]


@pytest.mark.parametrize("fields", [
    {}, {"name": ""}, {"name": "x" * 256}, {"label_en": "only a label"},
    {"name": "a", "color": "red"}, {"name": "a", "color": "#12345"},
    {"name": "a", "public": "yes"}, {"name": "a", "label": {"de": "x"}},
])
def test_create_bad_input_is_400(fields: dict[str, Any], client: TestClient,
                                 tenant: Tenant) -> None:
    response = post_tag(client, admin_token(tenant), fields)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}
    assert list_tags(client, admin_token(tenant)).json() == []


def test_create_malformed_bodies_are_400(client: TestClient, tenant: Tenant) -> None:
    headers = {**auth(admin_token(tenant)), "Content-Type": "application/json"}
    for body in ("{", "[1]", '{"tag": [1]}', '{"tag": {"name": 3}}'):
        response = client.post("/api/v1/tags", content=body, headers=headers)
        assert response.status_code == 400, body
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a: {"abilities": {a: {"Access": {"create_tag": True}}}}, id="album"),
    pytest.param(lambda a: {"abilities": {"x": {"Access": {}},
                                          a: {"Access": {"create_tag": True}}}},
                 id="second_album"),
    pytest.param(lambda a: {"admin": True}, id="admin"),
])
def test_create_is_granted(claims: Any, client: TestClient, tenant: Tenant) -> None:
    response = post_tag(client, client_token(tenant, claims(new_album())), {"name": "Roof"})
    assert response.status_code == 200, response.text


REFUSED_CREATE = [
    pytest.param(lambda a: None, id="no_token"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"image_list": True,
                                                         "image_tag": True}}}}, id="absent"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"create_tag": False}}}}, id="false"),
    pytest.param(lambda a: {"abilities": {a: {"Access": {"create_tag": "true"}}}},
                 id="not_true"),
    pytest.param(lambda a: {"abilities": {a: {"Tags": {"create_tag": True}}}}, id="in_tags"),
    pytest.param(lambda a: {"q": "*", "thumbnail_tags": True}, id="search"),
    pytest.param(lambda a: {"admin": "true"}, id="admin_not_true"),
]


@pytest.mark.parametrize("claims", REFUSED_CREATE)
def test_create_is_refused(claims: Any, client: TestClient, tenant: Tenant) -> None:
    granted = claims(new_album())
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(post_tag(client, token, {"name": "Roof"}))
    assert list_tags(client, admin_token(tenant)).json() == []


# --- PUT /api/v1/tags/:id -----------------------------------------------------------------------


def put_tag(client: TestClient, token: str | None, tag_id: str, fields: dict[str, Any],
            slash: str = "") -> Any:
    return client.put(f"/api/v1/tags/{tag_id}{slash}", json={"tag": fields},
                      headers=auth(token) if token else {})


@pytest.mark.parametrize("slash", ["", "/"])
def test_update_changes_only_the_given_fields(slash: str, client: TestClient,
                                              tenant: Tenant) -> None:
    tag = make_tag(client, tenant, "Roof", label_fr="Toit")
    token = access_token(tenant, new_album(), create_tag=True)
    response = put_tag(client, token, tag["id"], {"color": "#FFFFFF", "public": True,
                                                  "label_en": "Rooftop"}, slash)
    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    updated = response.json()
    check_tag(updated)
    assert updated == {**tag, "color": "#ffffff", "color_contrast": "#000000", "public": True,
                       "label": '{"en":"Rooftop","fr":"Toit"}', "label_en": "Rooftop"}
    assert list_tags(client, admin_token(tenant)).json() == [updated]
    renamed = put_tag(client, token, tag["id"], {"name": "Roofs", "visible": "false"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Roofs" and renamed.json()["id"] == tag["id"]


def test_a_rename_reindexes_the_images(client: TestClient, app: FastAPI, tenant: Tenant,
                                       photo: Path) -> None:
    image = create_image(client, tenant, photo)
    tag = make_tag(client, tenant, "Chimney")
    tagged = client.post(f"/api/v1/tags/{tag['id']}/tag_images",
                         json={"image_ids": [image["id"]]}, headers=auth(admin_token(tenant)))
    assert tagged.status_code == 200, tagged.text
    with app.state.services.db.uow() as uow:
        assert "chimney" in uow.search_terms.terms_of(image["id"])
    assert put_tag(client, admin_token(tenant), tag["id"], {"name": "Skylight"}).status_code == 200
    with app.state.services.db.uow() as uow:
        terms = uow.search_terms.terms_of(image["id"])
    assert "skylight" in terms and "chimney" not in terms


def test_update_errors(client: TestClient, app: FastAPI, tenant: Tenant) -> None:
    roof, wall = make_tag(client, tenant, "Roof"), make_tag(client, tenant, "Wall")
    token = admin_token(tenant)
    clash = put_tag(client, token, wall["id"], {"name": "Roof"})
    assert clash.status_code == 409 and set(clash.json()) == {"error"}
    assert put_tag(client, token, roof["id"], {"name": "Roof"}).status_code == 200
    for fields in ({"color": "teal"}, {"name": ""}, {"listed": "maybe"}):
        response = put_tag(client, token, roof["id"], fields)
        assert response.status_code == 400 and set(response.json()) == {"error"}
    no_tag = client.put(f"/api/v1/tags/{roof['id']}", json={"name": "x"},
                        headers=auth(token))
    assert no_tag.status_code == 400
    assert put_tag(client, token, str(uuid.uuid4()), {"name": "x"}).status_code == 404
    # Another organization's tag is unknown to an admin of another one.
    foreign = put_tag(client, admin_token(other_tenant(app)), roof["id"], {"name": "Mine"})
    assert foreign.status_code == 404 and set(foreign.json()) == {"error"}
    assert [t["name"] for t in list_tags(client, token).json()] == ["Roof", "Wall"]


@pytest.mark.parametrize("claims", REFUSED_CREATE)
def test_update_is_refused(claims: Any, client: TestClient, tenant: Tenant) -> None:
    tag = make_tag(client, tenant, "Roof")
    granted = claims(new_album())
    token = client_token(tenant, granted) if granted is not None else None
    check_refused(put_tag(client, token, tag["id"], {"name": "Hacked"}))
    assert list_tags(client, admin_token(tenant)).json() == [tag]


# --- GET /api/v1/tags ---------------------------------------------------------------------------


def test_list_in_creation_order_with_visible_filter(client: TestClient,
                                                    tenant: Tenant) -> None:
    names = ["zeta", "Alpha", "mu"]
    tags = [make_tag(client, tenant, name, visible=str(i != 1).lower())
            for i, name in enumerate(names)]
    token = access_token(tenant, new_album(), see=True)
    for path in ("/api/v1/tags", "/api/v1/tags/"):
        response = client.get(path, headers=auth(token))
        assert response.status_code == 200, response.text
        assert response.headers["X-token"]
        assert [t["name"] for t in response.json()] == names
        for tag in response.json():
            check_tag(tag)
    assert list_tags(client, token, visible="true").json() == [tags[0], tags[2]]
    assert list_tags(client, token, visible="false").json() == [tags[1]]
    assert list_tags(client, token, page="2").json() == []
    for bad in ({"visible": "yes"}, {"page": "0"}, {"page": "x"}):
        response = list_tags(client, token, **bad)
        assert response.status_code == 400 and set(response.json()) == {"error"}


def test_tags_named_by_the_token_exist_on_demand(client: TestClient, tenant: Tenant) -> None:
    existing = make_tag(client, tenant, "Roof", color="#ff0000")
    token = client_token(tenant, {"abilities": {
        new_album(): {"Tags": {"Roof": True, "Crack": True, "Ignored": False}},
        new_album(): {"Access": {"see": True}, "Tags": {"Leak": {"add": True}}}}})
    for _ in range(2):  # the second listing finds them: no duplicates
        listed = list_tags(client, token).json()
        assert sorted(t["name"] for t in listed) == ["Crack", "Leak", "Roof"]
    assert next(t for t in listed if t["name"] == "Roof") == existing
    crack = next(t for t in listed if t["name"] == "Crack")
    check_tag(crack)
    assert (crack["label_en"], crack["color"], crack["listed"]) == ("Crack", "#009688", True)


@pytest.mark.parametrize("claims", [
    pytest.param({"abilities": {"a": {"Access": {"see": True}}}}, id="see"),
    pytest.param({"abilities": {"a": {"Access": {"image_upload": True}}}}, id="upload"),
    pytest.param({"abilities": {"a": {"Tags": {"Roof": True}}}}, id="tags_only"),
    pytest.param({"admin": True}, id="admin"),
])
def test_list_is_granted(claims: dict[str, Any], client: TestClient, tenant: Tenant) -> None:
    make_tag(client, tenant, "Roof")
    response = list_tags(client, client_token(tenant, claims))
    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["Roof"]


REFUSED_LIST = [
    pytest.param(None, id="no_token"),
    pytest.param({"abilities": {"a": {"Access": {"see": False, "image_list": False}}}},
                 id="false"),
    pytest.param({"abilities": {"a": {"Access": {"see": "true"}, "Tags": {"x": False}}}},
                 id="not_true"),
    pytest.param({"abilities": {}}, id="no_album"),
    pytest.param({"q": "*", "thumbnail_tags": True}, id="search"),
]


@pytest.mark.parametrize("claims", REFUSED_LIST)
@pytest.mark.parametrize("path", ["/api/v1/tags", "/api/v1/tags/autocomplete"])
def test_list_and_autocomplete_are_refused(claims: dict[str, Any] | None, path: str,
                                           client: TestClient, tenant: Tenant) -> None:
    make_tag(client, tenant, "Roof")
    token = client_token(tenant, claims) if claims is not None else None
    check_refused(client.get(path, headers=auth(token) if token else {}))


# --- GET /api/v1/tags/autocomplete --------------------------------------------------------------


def complete(client: TestClient, token: str, **params: str) -> Any:
    return client.get("/api/v1/tags/autocomplete", params=params, headers=auth(token))


def test_autocomplete_by_normalised_prefix(client: TestClient, tenant: Tenant) -> None:
    make_tag(client, tenant, "Toiture", label_en="Roofing", label_fr="Toiture")
    make_tag(client, tenant, "Fissure", label_en="Wall crack", label_fr="Fissure",
             visible="true")
    make_tag(client, tenant, "Été", label_en="Summer", label_fr="Été", listed="false")
    token = access_token(tenant, new_album(), see=True)

    def names(**params: str) -> list[str]:
        response = complete(client, token, **params)
        assert response.status_code == 200, response.text
        assert response.headers["X-token"]
        for tag in response.json():
            check_tag(tag)
        return [t["name"] for t in response.json()]

    assert names(q="toi") == ["Toiture"]
    assert names(q="ROOF") == ["Toiture"]              # a label, any case
    assert names(q="ete") == ["Été"]                   # accents folded
    assert names(q="  Éte ") == ["Été"]
    assert names(q="cra") == ["Fissure"]               # a word of a label
    assert names(q="wall c") == ["Fissure"]            # the whole label
    assert names(q="x") == []
    assert names(q="") == ["Toiture", "Fissure", "Été"]
    assert names() == ["Toiture", "Fissure", "Été"]
    assert names(filters="visible") == ["Fissure"]
    assert names(q="t", filters="listed") == ["Toiture"]
    assert names(**{"filters[]": ["visible", "listed"]}) == ["Fissure"]
    assert names(**{"filters[listed]": "false"}) == ["Été"]
    assert names(**{"filters[visible]": "false", "filters[listed]": "true"}) == ["Toiture"]
    for bad in ({"filters": "colour"}, {"filters[visible]": "yes"}, {"q": "x" * 300}):
        response = complete(client, token, **bad)
        assert response.status_code == 400 and set(response.json()) == {"error"}
    response = client.get("/api/v1/tags/autocomplete?q[]=a", headers=auth(token))
    assert response.status_code == 400


def test_autocomplete_answers_at_most_20(client: TestClient, tenant: Tenant) -> None:
    for index in range(23):
        make_tag(client, tenant, f"Roof {index:02}")
    response = complete(client, admin_token(tenant), q="roof")
    assert [t["name"] for t in response.json()] == [f"Roof {i:02}" for i in range(20)]


# --- GET /api/v1/tags_token ---------------------------------------------------------------------


def tags_token(client: TestClient, token: str | None, **params: str) -> Any:
    return client.get("/api/v1/tags_token", params=params,
                      headers=auth(token) if token else {})


def tag_image(client: TestClient, tenant: Tenant, tag: str, *image_ids: str) -> None:
    response = client.post(f"/api/v1/tags/{tag}/tag_images",
                           json={"image_ids": list(image_ids)}, headers=auth(admin_token(tenant)))
    assert response.status_code == 200, response.text


def test_a_tag_shared_by_an_admin_sees_the_organization(client: TestClient, tenant: Tenant,
                                                        photo: Path) -> None:
    first, second = create_image(client, tenant, photo), create_image(client, tenant, photo)
    untagged = create_image(client, tenant, photo, first["album_id"])
    tag = make_tag(client, tenant, "Roof")
    tag_image(client, tenant, "Roof", first["id"], second["id"])
    for params in ({"tag_name": "Roof"}, {"tag_id": tag["id"]}):
        response = tags_token(client, admin_token(tenant), **params)
        assert response.status_code == 200, response.text
        assert response.headers["X-token"]
        body = response.json()
        assert set(body) == {"token", "q", "expires_at"} and body["q"] == "tag:Roof"
        assert ISO.fullmatch(body["expires_at"])
        claims = claims_of(body["token"])
        assert claims["q"] == "tag:Roof" and claims["iss"] == tenant.api_key
        assert set(claims) == {"q", "iss", "exp", "max_exp"}
        assert 6 * 86400 < claims["exp"] - time.time() <= 7 * 86400
        assert claims["max_exp"] == claims["exp"]  # no X-token refresh outlives the share
        shared = body["token"]
        for image in (first, second):
            seen = client.get(f"/api/v1/images/{image['id']}", headers=auth(shared))
            assert seen.status_code == 200 and seen.json()["id"] == image["id"]
        check_refused(client.get(f"/api/v1/images/{untagged['id']}", headers=auth(shared)))
        # Viewing only: it may not delete what it sees.
        check_refused(client.delete(f"/api/v1/images/{first['id']}", headers=auth(shared)))


def test_a_tag_shared_from_an_album_sees_that_album_only(client: TestClient, tenant: Tenant,
                                                         photo: Path) -> None:
    album_id = new_album()
    inside = create_image(client, tenant, photo, album_id)
    outside = create_image(client, tenant, photo)
    make_tag(client, tenant, "Roof")
    tag_image(client, tenant, "Roof", inside["id"], outside["id"])
    token = access_token(tenant, album_id, share=True, image_list=True)
    response = tags_token(client, token, tag_name="Roof", album_id=album_id)
    assert response.status_code == 200, response.text
    assert response.json()["q"] == f"album_id:{album_id} tag:Roof"
    shared = response.json()["token"]
    assert client.get(f"/api/v1/images/{inside['id']}", headers=auth(shared)).status_code == 200
    check_refused(client.get(f"/api/v1/images/{outside['id']}", headers=auth(shared)))


@pytest.mark.parametrize(("grants", "params"), [
    pytest.param(None, {"album_id": "A"}, id="no_token"),
    pytest.param({"A": {"image_list": True}}, {"album_id": "A"}, id="absent"),
    pytest.param({"A": {"share": False, "image_list": True}}, {"album_id": "A"}, id="false"),
    pytest.param({"A": {"share": "true", "image_list": True}}, {"album_id": "A"},
                 id="not_true"),
    pytest.param({"A": {"share": True}}, {"album_id": "A"}, id="share_without_image_list"),
    pytest.param({"B": {"share": True, "image_list": True}}, {"album_id": "A"},
                 id="other_album"),
    pytest.param({"A": {"share": True, "image_list": True}, "B": {"image_list": True}},
                 {"album_id": "B"}, id="share_on_another_album"),
])
def test_tags_token_is_refused(grants: dict[str, Any] | None, params: dict[str, str],
                               client: TestClient, tenant: Tenant) -> None:
    make_tag(client, tenant, "Roof")
    token = (client_token(tenant, {"abilities": {a: {"Access": g} for a, g in grants.items()}})
             if grants is not None else None)
    check_refused(tags_token(client, token, tag_name="Roof", **params))
    check_refused(tags_token(client, client_token(tenant, {"q": "*"}), tag_name="Roof"))


def test_tags_token_bad_input(client: TestClient, app: FastAPI, tenant: Tenant) -> None:
    tag = make_tag(client, tenant, "Roof")
    make_tag(client, tenant, "Two words")
    sharer = access_token(tenant, "A", share=True, image_list=True)
    cases = [
        (sharer, {"tag_name": "Roof"}, 400),                       # album_id needed
        (sharer, {"album_id": "A"}, 400),                           # no tag
        (sharer, {"album_id": "A", "tag_name": "Roof", "tag_id": tag["id"]}, 400),
        (sharer, {"album_id": "A", "tag_name": "Nope"}, 404),
        (sharer, {"album_id": "A", "tag_id": str(uuid.uuid4())}, 404),
        (sharer, {"album_id": "A", "tag_name": "Two words"}, 400),  # not a query term
        (admin_token(tenant), {"album_id": "x" * 300, "tag_name": "Roof"}, 400),
        (admin_token(other_tenant(app)), {"tag_id": tag["id"]}, 404),     # another organization's
    ]
    for token, params, status in cases:
        response = tags_token(client, token, **params)
        assert response.status_code == status, (params, response.text)
        assert set(response.json()) == {"error"}


# --- GET /api/v1/tags/:tag_id/public_tags -------------------------------------------------------


def public(client: TestClient, tag_id: str, **params: str) -> Any:
    return client.get(f"/api/v1/tags/{tag_id}/public_tags", params=params)


def test_a_public_tag_shows_its_images_without_token(client: TestClient, tenant: Tenant,
                                                     photo: Path) -> None:
    first, second = create_image(client, tenant, photo), create_image(client, tenant, photo)
    trashed = create_image(client, tenant, photo)
    create_image(client, tenant, photo, first["album_id"])  # not tagged
    tag = make_tag(client, tenant, "Showcase", public="true")
    for image in (second, first, trashed):  # oldest tagging first
        tag_image(client, tenant, tag["id"], image["id"])
    assert client.delete(f"/api/v1/images/{trashed['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    for path in (f"/api/v1/tags/{tag['id']}/public_tags",
                 f"/api/v1/tags/{tag['id']}/public_tags/"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert "X-token" not in response.headers
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        images = response.json()
        assert [image["id"] for image in images] == [second["id"], first["id"]]
    for image in images:
        assert set(image) == set(first)
        # Signed with the organization's secret: they render for anyone.
        assert chain_of(image["thumbnails"]["mini"], tenant).endswith("c_fill,h_100,w_100/"
                                                                     "fl_attachment/"
                                                                     "dpr_auto,q_auto,f_auto")
    assert public(client, tag["id"], page="2").json() == []
    for page in ("0", "x", "100001"):
        response = public(client, tag["id"], page=page)
        assert response.status_code == 400 and set(response.json()) == {"error"}


def test_a_tag_that_is_not_public_is_404(client: TestClient, tenant: Tenant,
                                         photo: Path) -> None:
    image = create_image(client, tenant, photo)
    tag = make_tag(client, tenant, "Private")
    tag_image(client, tenant, tag["id"], image["id"])
    for tag_id in (tag["id"], str(uuid.uuid4()), "Private"):
        response = public(client, tag_id)
        assert response.status_code == 404, tag_id
        assert set(response.json()) == {"error"}
    # Made public, it shows; made private again, it stops.
    assert put_tag(client, admin_token(tenant), tag["id"], {"public": True}).status_code == 200
    assert [i["id"] for i in public(client, tag["id"]).json()] == [image["id"]]
    assert put_tag(client, admin_token(tenant), tag["id"], {"public": False}).status_code == 200
    assert public(client, tag["id"]).status_code == 404
