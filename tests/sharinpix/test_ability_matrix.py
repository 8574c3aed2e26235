"""The ability matrix: every route × every way a token can fall short → the documented status.

Documented statuses (README of issue 4): a token that is missing, malformed, forged, signed
with `none` or another algorithm, expired, or whose `iss` is unknown or revoked → 401; a valid
token without the ability (absent, `false`, or granted on another album) → 401 with the same
generic body; another organization's image is unknown to the token (404) and another
organization's album id is a different album; `tag_images` filters instead of refusing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    add_tag,
    auth,
    client_token,
    now,
    post_form,
    rails_fields,
    upload_through_form,
)

GENERIC_REFUSALS = {"Invalid token", "Access denied", "Invalid upload result signature"}


@dataclass(frozen=True)
class World:
    app: FastAPI
    tenant: Tenant
    other_org: Tenant
    revoked: Tenant
    album_id: str
    image_id: str
    result: dict[str, Any]


def _tenant(app: FastAPI, org: str) -> Tenant:
    issued = app.state.services.secrets.create("matrix", org)
    return Tenant(org, issued.id, issued.secret)


@pytest.fixture(scope="module")
def world(app: FastAPI, client: TestClient, photo: Path) -> World:
    org = f"org-{uuid.uuid4().hex[:12]}"
    tenant = _tenant(app, org)
    revoked = _tenant(app, org)
    app.state.services.secrets.revoke(revoked.api_key)
    other = _tenant(app, f"org-{uuid.uuid4().hex[:12]}")
    album_id = f"a{uuid.uuid4().hex[:12]}"
    token = client_token(tenant, {"abilities": {album_id: {"Access": {"image_upload": True}}}})
    result = upload_through_form(client, token, album_id, photo)
    created = post_form(client, f"/api/v1/albums/{album_id}/images",
                        list(rails_fields(result, "cloudinary")), token)
    assert created.status_code == 200, created.text
    # A tag on the image, through the data layer (issue 4 item 5).
    add_tag(app, tenant, created.json()["id"])
    return World(app, tenant, other, revoked, album_id, created.json()["id"], result)


Call = Callable[[TestClient, World, str | None], Any]


def _headers(token: str | None) -> dict[str, str]:
    return auth(token) if token else {}


def get_album(client: TestClient, w: World, token: str | None) -> Any:
    return client.get(f"/api/v1/albums/{w.album_id}", headers=_headers(token))


def create_image(client: TestClient, w: World, token: str | None) -> Any:
    return client.post(f"/api/v1/albums/{w.album_id}/images/", json={"cloudinary": w.result},
                       headers=_headers(token))


def notification(client: TestClient, w: World, token: str | None) -> Any:
    query = f"?token={token}" if token else ""
    return client.post(f"/api/v1/cloudinary{query}",
                       json={"notification_type": "upload", **w.result})


def get_image(client: TestClient, w: World, token: str | None) -> Any:
    return client.get(f"/api/v1/images/{w.image_id}", headers=_headers(token))


def tag_images(client: TestClient, w: World, token: str | None) -> Any:
    return client.get("/api/v1/tag_images", params={"image_ids[]": w.image_id},
                      headers=_headers(token))


def redirect(client: TestClient, w: World, token: str | None) -> Any:
    query = f"?token={token}" if token else ""
    return client.get(f"/images/{w.image_id}{query}", follow_redirects=False)


def album(ability: str, value: object = True, album_id: str | None = None) -> Callable[[World],
                                                                                     dict]:
    return lambda w: {"abilities": {album_id or w.album_id: {"Access": {ability: value}}}}


# route → (call, claims that grant it, status when granted, an unrelated ability)
ROUTES: dict[str, tuple[Call, Callable[[World], dict], int, str]] = {
    "get_album": (get_album, album("see"), 200, ""),
    "create_image": (create_image, album("image_upload"), 200, "see"),
    "notification": (notification, album("image_upload"), 200, "see"),
    "get_image": (get_image, album("image_list"), 200, "image_upload"),
    "get_image_by_search": (get_image, lambda w: {"q": "*"}, 200, ""),
    "tag_images": (tag_images, lambda w: {"q": "*", "thumbnail_tags": True}, 200, ""),
    "redirect_scoped": (redirect, album("image_list"), 302, "image_upload"),
    "redirect_bare": (redirect, lambda w: {"transformations": [{"width": 10, "crop": "fit"}]},
                      302, ""),
}


def _none_token(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw_hs256(claims: dict[str, Any], secret: str) -> str:
    """HS256 by hand, for claims PyJWT refuses to encode (a non-string iss)."""
    header = _b64(json.dumps({"alg": "HS256"}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


def _hs512(claims: dict[str, Any], secret: str) -> str:
    with warnings.catch_warnings():  # PyJWT warns that a 43-byte key is short for SHA-512
        warnings.simplefilter("ignore")
        return jwt.encode(claims, secret, algorithm="HS512")


def check_refused(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["message"] in GENERIC_REFUSALS
    assert "X-token" not in response.headers


@pytest.mark.parametrize("route", list(ROUTES))
def test_granted_and_admin(route: str, client: TestClient, world: World) -> None:
    call, grant, status, _ = ROUTES[route]
    for claims in (grant(world), {"admin": True}):
        response = call(client, world, client_token(world.tenant, claims))
        assert response.status_code == status, (claims, response.text)
        assert response.headers["X-token"]
    if route == "tag_images":
        assert len(response.json()) == 1


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("case", ["no_token", "garbage", "forged", "none_alg", "hs512",
                                  "expired", "unknown_iss", "revoked_iss", "iss_not_string"])
def test_bad_tokens_are_401(route: str, case: str, client: TestClient, world: World) -> None:
    call, grant, _status, _ = ROUTES[route]
    claims = {**grant(world), "iss": world.tenant.api_key}
    token: str | None = {
        "no_token": lambda: None,
        "garbage": lambda: "not.a.token",
        "forged": lambda: jwt.encode(claims, "x" * 43, algorithm="HS256"),
        "none_alg": lambda: _none_token(claims),
        "hs512": lambda: _hs512(claims, world.tenant.api_secret),
        "expired": lambda: jwt.encode({**claims, "exp": now() - 10}, world.tenant.api_secret,
                                      algorithm="HS256"),
        "unknown_iss": lambda: jwt.encode({**claims, "iss": str(uuid.uuid4())},
                                          world.tenant.api_secret, algorithm="HS256"),
        "revoked_iss": lambda: client_token(world.revoked, claims),
        "iss_not_string": lambda: _raw_hs256({**claims, "iss": 12}, world.tenant.api_secret),
    }[case]()
    check_refused(call(client, world, token))


@pytest.mark.parametrize("route", [r for r, v in ROUTES.items() if v[1] is not ROUTES[
    "redirect_bare"][1] and not r.startswith(("tag_images", "get_image_by"))])
@pytest.mark.parametrize("case", ["absent", "false", "other_album"])
def test_missing_ability_is_401(route: str, case: str, client: TestClient,
                                world: World) -> None:
    call, grant, _status, unrelated = ROUTES[route]
    granted = grant(world)["abilities"][world.album_id]["Access"]
    ability = next(iter(granted))
    claims = {
        "absent": {"abilities": {world.album_id: {"Access": (
            {unrelated: True} if unrelated else {})}}},
        "false": album(ability, False)(world),
        "other_album": album(ability, True, "another-album")(world),
    }[case]
    check_refused(call(client, world, client_token(world.tenant, claims)))


@pytest.mark.parametrize("claims", [{"q": "*"}, {"q": "*", "thumbnail_tags": False},
                                    {"abilities": {"another-album": {"Access": {
                                        "image_list": True}}}}])
def test_tag_images_without_the_ability_are_filtered(claims: dict[str, Any],
                                                     client: TestClient, world: World) -> None:
    response = tag_images(client, world, client_token(world.tenant, claims))
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize("query", ["*", "album_id:{album}", "image_id:{image}", "tag:MyTag",
                                   "album_id:{album} tag:MyTag"])
def test_search_queries_that_match(query: str, client: TestClient, world: World) -> None:
    q = query.format(album=world.album_id, image=world.image_id)
    assert get_image(client, world, client_token(world.tenant, {"q": q})).status_code == 200


@pytest.mark.parametrize("query", ["", "album_id:other", "tag:Other", "weird query",
                                   "album_id:{album} tag:Other"])
def test_search_queries_that_do_not_match(query: str, client: TestClient,
                                          world: World) -> None:
    q = query.format(album=world.album_id)
    check_refused(get_image(client, world, client_token(world.tenant, {"q": q})))


def test_another_organization_sees_nothing(client: TestClient, world: World) -> None:
    other = world.other_org
    admin = client_token(other, {"admin": True})
    # Images of another organization do not exist for it, with any ability.
    assert get_image(client, world, admin).status_code == 404
    assert redirect(client, world, admin).status_code == 404
    assert tag_images(client, world, admin).json() == []
    # The same album id is another album there, with no images.
    response = get_album(client, world, client_token(other, album("see")(world)))
    assert response.status_code == 200
    assert response.json()["images_count"] == 0
    assert response.json()["organization_id"] == other.organization_id
    mine = get_album(client, world, client_token(world.tenant, album("see")(world))).json()
    assert mine["public_id"] != response.json()["public_id"] and mine["images_count"] == 1
    # Its secrets cannot register this organization's upload.
    check_refused(create_image(client, world, client_token(other, album("image_upload")(
        world))))
    check_refused(notification(client, world, client_token(other, album("image_upload")(
        world))))


def test_album_access_headers(client: TestClient, world: World) -> None:
    token = client_token(world.tenant, {"abilities": {world.album_id: {"Access": {
        "see": True, "image_crop": True, "image_rotate": False, "create_tag": True}}}})
    response = get_album(client, world, token)
    assert response.status_code == 200
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower().startswith(
        "x-access-")}
    assert len(headers) == 20  # every Action, image_transform included
    assert headers["x-access-see"] == "true" and headers["x-access-crop"] == "true"
    assert headers["x-access-rotate"] == "false" and headers["x-access-create-tag"] == "true"
    assert headers["x-access-upload"] == "false" and headers["x-access-list"] == "false"
    assert response.json()["upload_form"] is None  # only with image_upload


def test_image_access_headers(client: TestClient, world: World) -> None:
    token = client_token(world.tenant, {"abilities": {world.album_id: {"Access": {
        "image_list": True, "image_crop": True, "image_duplicate": True}}}})
    response = get_image(client, world, token)
    assert response.headers["X-access-crop"] == "true"
    assert response.headers["X-access-rotate"] == "false"
    assert response.headers["X-access-duplicate"] == "true"


def test_server_tokens_and_x_tokens(client: TestClient, app: FastAPI, world: World) -> None:
    """X-tokens are server-signed and carry `iss`: revoking the secret revokes them too."""
    org = f"org-{uuid.uuid4().hex[:12]}"
    tenant = _tenant(app, org)
    token = client_token(tenant, album("see")(world))
    first = get_album(client, world, token)
    x_token = first.headers["X-token"]
    assert get_album(client, world, x_token).status_code == 200
    app.state.services.secrets.revoke(tenant.api_key)
    check_refused(get_album(client, world, x_token))


def test_server_tokens_belong_to_the_default_organization(client: TestClient, app: FastAPI,
                                                          world: World,
                                                          default_tenant: Tenant) -> None:
    """Server-key tokens without iss (seeds 002/004) act in the default organization."""
    token = app.state.services.access.codec.sign(album("see")(world))
    response = get_album(client, world, token)
    assert response.status_code == 200, response.text
    assert response.json()["organization_id"] == "default"
    assert response.json()["images_count"] == 0  # not the tenant's album of the same id
