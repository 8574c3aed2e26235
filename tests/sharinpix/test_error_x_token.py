"""Authenticated calls that fail for another reason than access still carry the X-token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.sharinpix.helpers import album_token, auth, claims_of, client_token


def test_not_found_keeps_the_refreshed_token(client: TestClient, tenant: Tenant) -> None:
    token = client_token(tenant, {"q": "*", "abilities": {}})
    response = client.get("/api/v1/images/00000000-0000-4000-8000-000000000000",
                          headers=auth(token))
    assert response.status_code == 404, response.text
    refreshed = response.headers["X-token"]
    assert claims_of(refreshed)["q"] == "*" and "exp" in claims_of(refreshed)


def test_refusals_carry_no_token(client: TestClient, tenant: Tenant) -> None:
    token = album_token(tenant, "other-album", image_list=True)
    response = client.get("/api/v1/albums/not-mine", headers=auth(token))
    assert response.status_code == 401
    assert "X-token" not in response.headers
