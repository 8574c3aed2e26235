"""The caller's account (issue 5) on both back ends: `POST /api/v1/token` (a derived token
works, and cannot do what its caller cannot), `POST /api/v1/secret` (admins),
`GET /api/v1/user` and `GET /api/v1/organization`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.sharinpix.conftest import DefaultTenant
from tests.sharinpix.helpers import auth, claims_of, client_token, create_image, now
from tests.sharinpix.test_ability_matrix import check_refused


def _derive(client: TestClient, token: str | None, claims: Any) -> Any:
    return client.post("/api/v1/token", json={"claims": claims},
                       headers=auth(token) if token else {})


def _derived(client: TestClient, token: str, claims: Any) -> str:
    response = _derive(client, token, claims)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"token"}
    return str(response.json()["token"])


def _access(album_id: str, **grants: Any) -> dict[str, Any]:
    return {"abilities": {album_id: {"Access": grants}}}


# --- POST /api/v1/token -------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_derived_token_is_the_intersection(slash: str, client: TestClient, tenant: Tenant,
                                           photo: Path) -> None:
    image = create_image(client, tenant, photo)
    album_id = image["album_id"]
    caller = client_token(tenant, _access(album_id, see=True, image_list=True))
    response = client.post(f"/api/v1/token{slash}", headers=auth(caller), json={"claims": {
        **_access(album_id, see=True, image_list=True, image_delete=True, trash=True),
        "admin": True, "q": "*", "image_urls": True, "exp": now() + 10 * 14400}})
    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    token = response.json()["token"]
    claims = claims_of(token)
    assert claims["iss"] == tenant.api_key
    assert claims["abilities"] == {album_id: {"Access": {"see": True, "image_list": True}}}
    assert not {"admin", "q", "image_urls"} & set(claims)
    assert 0 < claims["exp"] - claims["iat"] <= 14400 and claims["iat"] <= now()

    # It does what the caller could, and nothing more.
    assert client.get(f"/api/v1/images/{image['id']}", headers=auth(token)).status_code == 200
    check_refused(client.delete(f"/api/v1/images/{image['id']}", headers=auth(token)))
    check_refused(client.get("/api/v1/trashed_images", params={"album_id": album_id},
                             headers=auth(token)))
    check_refused(client.post("/api/v1/secret", headers=auth(token)))
    check_refused(client.post("/api/v1/image_external_urls", headers=auth(token),
                              json={"image_id": image["id"]}))
    assert client.get(f"/api/v1/images/{image['id']}", headers=auth(token)).status_code == 200


def test_derived_token_cannot_reach_other_albums(client: TestClient, tenant: Tenant,
                                                 photo: Path) -> None:
    mine = create_image(client, tenant, photo)
    theirs = create_image(client, tenant, photo)
    caller = client_token(tenant, _access(mine["album_id"], image_list=True))
    token = _derived(client, caller, {"abilities": {
        mine["album_id"]: {"Access": {"image_list": True}},
        theirs["album_id"]: {"Access": {"image_list": True}}}})
    assert client.get(f"/api/v1/images/{mine['id']}", headers=auth(token)).status_code == 200
    check_refused(client.get(f"/api/v1/images/{theirs['id']}", headers=auth(token)))
    # Nor through a search: a scope is not granted to an album token.
    searcher = _derived(client, caller, {"q": "*", **_access(mine["album_id"], image_list=True)})
    assert "q" not in claims_of(searcher)
    found = client.get("/api/v1/search", params={"q": "*"}, headers=auth(searcher))
    assert [row["id"] for row in found.json()] == [mine["id"]]


def test_search_token_derives_a_narrower_search(client: TestClient, tenant: Tenant,
                                                photo: Path) -> None:
    inside = create_image(client, tenant, photo)
    outside = create_image(client, tenant, photo)
    caller = client_token(tenant, {"q": f"album_id:{inside['album_id']}",
                                   "image_delete": True})
    token = _derived(client, caller, {"q": "*", "image_delete": True, "thumbnail_tags": True})
    claims = claims_of(token)
    assert claims["q"] == f"album_id:{inside['album_id']}"
    assert claims["image_delete"] is True and "thumbnail_tags" not in claims
    found = client.get("/api/v1/search", params={"q": "*"}, headers=auth(token))
    assert [row["id"] for row in found.json()] == [inside["id"]]
    check_refused(client.delete(f"/api/v1/images/{outside['id']}", headers=auth(token)))
    assert client.delete(f"/api/v1/images/{inside['id']}", headers=auth(token)
                         ).status_code == 204


def test_admin_derives_anything_of_its_organization(client: TestClient, tenant: Tenant) -> None:
    admin = client_token(tenant, {"admin": True})
    token = _derived(client, admin, {"admin": True, "user_id": "u-7"})
    assert claims_of(token)["admin"] is True
    assert client.get("/api/v1/user", headers=auth(token)).json()["id"] == "u-7"
    created = client.post("/api/v1/secret", headers=auth(token))
    assert created.status_code == 200


def test_claims_as_form_json_text(client: TestClient, tenant: Tenant) -> None:
    caller = client_token(tenant, _access("A1", see=True))
    response = client.post("/api/v1/token",
                           content=urlencode({"claims": json.dumps(_access("A1", see=True))}),
                           headers={**auth(caller),
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["token"])["abilities"] == {"A1": {"Access": {"see": True}}}


def test_derived_token_dies_with_the_callers_secret(client: TestClient, app: FastAPI,
                                                    tenant: Tenant) -> None:
    second = app.state.services.secrets.create("doomed", tenant.organization_id)
    caller = client_token(Tenant(tenant.organization_id, second.id, second.secret),
                          _access("A1", see=True))
    token = _derived(client, caller, _access("A1", see=True))
    assert client.get("/api/v1/albums/A1", headers=auth(token)).status_code == 200
    app.state.services.secrets.revoke(second.id)
    check_refused(client.get("/api/v1/albums/A1", headers=auth(token)))


def test_derived_token_keeps_its_organization(client: TestClient, app: FastAPI,
                                              tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    other = app.state.services.secrets.create("other", f"org-{uuid.uuid4().hex[:12]}")
    outsider = Tenant(other.organization_id, other.id, other.secret)
    token = _derived(client, client_token(outsider, {"admin": True}), {"admin": True})
    response = client.get(f"/api/v1/images/{image['id']}", headers=auth(token))
    assert response.status_code == 404


@pytest.mark.parametrize("token", ["none", "garbage", "expired"])
def test_token_route_needs_a_valid_token(token: str, client: TestClient,
                                         tenant: Tenant) -> None:
    made = {"none": None, "garbage": "not.a.token",
            "expired": client_token(tenant, {"admin": True, "exp": now() - 10})}[token]
    check_refused(_derive(client, made, {"admin": True}))


@pytest.mark.parametrize(("body", "content_type"), [
    pytest.param({}, "json", id="no_claims"),
    pytest.param({"claims": [1]}, "json", id="claims_not_an_object"),
    pytest.param({"claims": "not json"}, "json", id="claims_not_json"),
    pytest.param({"claims": {"exp": "soon", **_access("A1", see=True)}}, "json", id="bad_exp"),
    pytest.param({"claims": {"exp": 10, **_access("A1", see=True)}}, "json", id="past_exp"),
    pytest.param({"claims": {"admin": True}}, "json", id="grants_nothing"),
    pytest.param(b"{oops", "raw", id="malformed_json"),
])
def test_bad_input_is_400(body: Any, content_type: str, client: TestClient,
                          tenant: Tenant) -> None:
    headers = auth(client_token(tenant, _access("A1", see=True)))
    if content_type == "raw":
        response = client.post("/api/v1/token", content=body,
                               headers={**headers, "Content-Type": "application/json"})
    else:
        response = client.post("/api/v1/token", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


# --- POST /api/v1/secret ------------------------------------------------------------------------


def test_admin_creates_a_secret(client: TestClient, app: FastAPI, tenant: Tenant) -> None:
    response = client.post("/api/v1/secret", json={"name": "integration"},
                           headers=auth(client_token(tenant, {"admin": True})))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "name", "secret", "url"}
    assert body["name"] == "integration" and len(body["secret"]) >= 32
    assert body["url"] == f"sharinpix://{body['id']}:{body['secret']}@testserver/api/v1"
    # The new secret belongs to the caller's organization and signs working tokens.
    fresh = Tenant(tenant.organization_id, body["id"], body["secret"])
    organization = client.get("/api/v1/organization",
                              headers=auth(client_token(fresh, {"admin": True})))
    assert organization.json()["id"] == tenant.organization_id
    names = [s.name for s in app.state.services.secrets.list(tenant.organization_id)]
    assert "integration" in names


@pytest.mark.parametrize("claims", [
    pytest.param(None, id="no_token"),
    pytest.param({"admin": False}, id="admin_false"),
    pytest.param({"admin": "true"}, id="admin_not_true"),
    pytest.param(_access("A1", see=True, image_list=True, image_upload=True, image_delete=True),
                 id="album_abilities"),
    pytest.param({"q": "*", "image_delete": True}, id="search_token"),
])
def test_secret_is_for_admins(claims: Any, client: TestClient, app: FastAPI,
                              tenant: Tenant) -> None:
    before = len(app.state.services.secrets.list(tenant.organization_id))
    token = client_token(tenant, claims) if claims is not None else None
    check_refused(client.post("/api/v1/secret", headers=auth(token) if token else {}))
    assert len(app.state.services.secrets.list(tenant.organization_id)) == before


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, 12, ["a"]])
def test_secret_bad_name_is_400(name: Any, client: TestClient, tenant: Tenant) -> None:
    response = client.post("/api/v1/secret", json={"name": name},
                           headers=auth(client_token(tenant, {"admin": True})))
    assert response.status_code == 400 and set(response.json()) == {"error"}


# --- GET /api/v1/user, GET /api/v1/organization -------------------------------------------------


@pytest.mark.parametrize(("claims", "expected"), [
    ({"user_id": "005xx000001", **_access("A1", see=True)}, {"id": "005xx000001",
                                                             "admin": False}),
    ({"user_id": 42, "admin": True}, {"id": "42", "admin": True}),
    (_access("A1", see=True), {"id": None, "admin": False}),
])
def test_user(claims: dict[str, Any], expected: dict[str, Any], client: TestClient,
              tenant: Tenant) -> None:
    response = client.get("/api/v1/user", headers=auth(client_token(tenant, claims)))
    assert response.status_code == 200
    assert response.headers["X-token"]
    assert response.json() == {**expected, "organization_id": tenant.organization_id}


@pytest.mark.parametrize("claims", [{"admin": True}, _access("A1", see=True),
                                    {"transformations": [{"width": 10}]}])
def test_organization(claims: dict[str, Any], client: TestClient, tenant: Tenant) -> None:
    response = client.get("/api/v1/organization/", headers=auth(client_token(tenant, claims)))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "name", "cloud_name", "created_at"}
    assert body["id"] == tenant.organization_id == body["name"]
    assert body["cloud_name"] == tenant.cloud
    assert body["created_at"].endswith("+00:00")


def test_default_organization_has_the_configured_cloud(client: TestClient,
                                                       default_tenant: DefaultTenant) -> None:
    response = client.get("/api/v1/organization",
                          headers=auth(client_token(default_tenant, {"admin": True})))
    assert response.json()["cloud_name"] == default_tenant.cloud_name


@pytest.mark.parametrize("path", ["/api/v1/user", "/api/v1/organization"])
def test_identity_routes_need_a_valid_token(path: str, client: TestClient,
                                            tenant: Tenant) -> None:
    check_refused(client.get(path))
    check_refused(client.get(path, headers=auth("not.a.token")))
    check_refused(client.get(path, headers=auth(client_token(tenant, {"exp": now() - 5}))))
