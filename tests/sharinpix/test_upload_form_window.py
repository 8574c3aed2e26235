"""The album's `upload_form` is valid for the upload endpoint's timestamp tolerance, read on an
injected clock (issue 4 item 2): a browser that posts it in time uploads, one that posts it
later gets Cloudinary's stale-request error (401) and nothing is stored."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.db.migrate import upgrade
from tests.conftest import Tenant, make_settings
from tests.sharinpix.helpers import album_token, auth

TOLERANCE = 3600
START = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(tmp_path: Path) -> tuple[TestClient, Clock, Any]:
    settings = make_settings(tmp_path, upload_timestamp_tolerance=TOLERANCE)
    upgrade(settings.resolved_database_url)
    clock = Clock()
    app = create_app(settings, clock=clock)
    issued = app.state.services.secrets.create("clock", f"org-{uuid.uuid4().hex[:10]}")
    return TestClient(app), clock, issued


def _form(client: TestClient, token: str, album_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/albums/{album_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json()["upload_form"])


def _post(client: TestClient, form: dict[str, Any], photo: Path) -> Any:
    return client.post(urlsplit(form["url"]).path,
                       data={k: str(v) for k, v in form["params"].items()},
                       files={"file": (photo.name, photo.read_bytes(), "image/jpeg")})


@pytest.mark.parametrize(("delay", "accepted"), [
    (0, True), (TOLERANCE - 1, True), (TOLERANCE, True), (TOLERANCE + 1, False),
    (6 * TOLERANCE, False),
])
def test_upload_form_expires_after_the_tolerance(world: tuple[TestClient, Clock, Any],
                                                 photo: Path, delay: int,
                                                 accepted: bool) -> None:
    client, clock, issued = world
    album_id = f"a{uuid.uuid4().hex[:10]}"
    tenant_token = album_token(_tenant(issued), album_id)
    form = _form(client, tenant_token, album_id)
    assert form["params"]["timestamp"] == int(START)
    clock.now = START + delay
    response = _post(client, form, photo)
    if accepted:
        assert response.status_code == 200, response.text
        assert _assets(client, issued.organization_id) == 1
    else:
        assert response.status_code == 401, response.text  # as Cloudinary answers it
        assert response.json()["error"]["code"] == "stale_request"
        assert response.json()["error"]["message"].startswith("Stale request")
        assert _assets(client, issued.organization_id) == 0


def test_forms_issued_later_carry_the_later_time(world: tuple[TestClient, Clock, Any]) -> None:
    client, clock, issued = world
    album_id = f"a{uuid.uuid4().hex[:10]}"
    token = album_token(_tenant(issued), album_id)
    first = _form(client, token, album_id)
    clock.now = START + 5 * TOLERANCE
    second = _form(client, token, album_id)
    assert second["params"]["timestamp"] == int(START) + 5 * TOLERANCE
    assert second["params"]["signature"] != first["params"]["signature"]


def _tenant(issued: Any) -> Tenant:
    return Tenant(issued.organization_id, issued.id, issued.secret)


def _assets(client: TestClient, organization_id: str) -> int:
    with client.app.state.services.db.uow() as uow:  # type: ignore[attr-defined]
        return uow.assets.count(organization_id)
