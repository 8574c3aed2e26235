"""Annotations (issue 5): `GET` and `PUT /api/v1/images/:id/annotation`, on both back ends,
through the public API: `{svg, object}`, the SVG stored sanitised."""

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
from tests.sharinpix.helpers import (
    access_token,
    admin_token,
    auth,
    client_token,
    create_image,
    other_tenant,
)
from tests.sharinpix.test_ability_matrix import check_refused

DRAWING = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
           '<rect x="1" y="1" width="4" height="4" stroke="#f00" fill="none"/></svg>')
FABRIC = {"version": "5.3.0", "objects": [{"type": "rect", "left": 1, "top": 1, "width": 4,
                                           "height": 4, "stroke": "#f00"}]}


def get_annotation(client: TestClient, token: str | None, image_id: str,
                   slash: str = "") -> Any:
    return client.get(f"/api/v1/images/{image_id}/annotation{slash}",
                      headers=auth(token) if token else {})


def put_annotation(client: TestClient, token: str | None, image_id: str, body: Any,
                   slash: str = "") -> Any:
    return client.put(f"/api/v1/images/{image_id}/annotation{slash}", json=body,
                      headers=auth(token) if token else {})


def stored(client: TestClient, tenant: Tenant, image: dict[str, Any]) -> Any:
    response = get_annotation(client, admin_token(tenant), image["id"])
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("slash", ["", "/"])
def test_put_then_get(slash: str, client: TestClient, tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    reader = access_token(tenant, image["album_id"], image_list=True)
    empty = get_annotation(client, reader, image["id"], slash)
    assert empty.status_code == 200, empty.text
    assert empty.headers["X-token"]
    assert empty.json() == {"svg": None, "object": None}

    writer = access_token(tenant, image["album_id"], image_annotate=True)
    response = put_annotation(client, writer, image["id"], {"svg": DRAWING, "object": FABRIC},
                              slash)

    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    body = response.json()
    assert list(body) == ["svg", "object"]
    assert body["object"] == FABRIC
    assert body["svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">')
    assert '<rect x="1" y="1" width="4" height="4" stroke="#f00" fill="none" />' in body["svg"]
    assert get_annotation(client, reader, image["id"]).json() == body


def test_a_form_put_and_clearing(client: TestClient, tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    token = admin_token(tenant)
    response = client.put(f"/api/v1/images/{image['id']}/annotation",
                          content=urlencode({"svg": DRAWING, "object": json.dumps(FABRIC)}),
                          headers={**auth(token),
                                   "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    assert response.json()["object"] == FABRIC
    # PUT replaces both parts: the object alone drops the drawing; nulls clear everything.
    only_object = put_annotation(client, token, image["id"], {"object": {"objects": []}})
    assert only_object.json() == {"svg": None, "object": {"objects": []}}
    cleared = put_annotation(client, token, image["id"], {"svg": None, "object": None})
    assert cleared.status_code == 200 and cleared.json() == {"svg": None, "object": None}
    assert stored(client, tenant, image) == {"svg": None, "object": None}


def test_hostile_svg_is_stored_inert(client: TestClient, tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    hostile = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/'
               'xlink" onload="alert(1)"><script>alert(2)</script>'
               '<image xlink:href="http://evil.example/t.png"/>'
               '<foreignObject><iframe src="http://evil.example"/></foreignObject>'
               '<rect width="3" onclick="alert(3)" fill="url(http://evil.example/#p)"/></svg>')
    response = put_annotation(client, admin_token(tenant), image["id"], {"svg": hostile})
    assert response.status_code == 200, response.text
    svg = response.json()["svg"]
    assert svg == '<svg xmlns="http://www.w3.org/2000/svg"><rect width="3" /></svg>'
    assert stored(client, tenant, image)["svg"] == svg


@pytest.mark.parametrize(("body", "status"), [
    ({}, 400),
    ({"svg": 3}, 400),
    ({"svg": ["<svg/>"]}, 400),
    ({"svg": "<svg"}, 400),
    ({"svg": "<html/>"}, 400),
    ({"svg": '<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>'}, 400),
    ({"svg": '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>'}, 400),
    ({"svg": "<svg>" + "<g>" * 100 + "</g>" * 100 + "</svg>"}, 400),
    ({"svg": "<svg>" + "<rect/>" * 200_000 + "</svg>"}, 413),
    ({"object": [1, 2]}, 400),
    ({"object": "not json"}, 400),
    ({"object": "[1]"}, 400),
    ({"object": 3}, 400),
    ({"object": {"a": json.loads("[" * 70 + "]" * 70)}}, 400),
    ({"object": {"text": "x" * (1024 * 1024)}}, 413),
])
def test_bad_annotations_are_refused(body: dict[str, Any], status: int, client: TestClient,
                                     tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    assert put_annotation(client, admin_token(tenant), image["id"],
                          {"svg": DRAWING, "object": FABRIC}).status_code == 200
    before = stored(client, tenant, image)
    response = put_annotation(client, admin_token(tenant), image["id"], body)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert stored(client, tenant, image) == before


def test_an_oversized_body_is_413_before_reading(client: TestClient, tenant: Tenant,
                                                 photo: Path) -> None:
    image = create_image(client, tenant, photo)
    response = client.put(f"/api/v1/images/{image['id']}/annotation",
                          content=b"{" + b" " * (8 * 1024 * 1024) + b"}",
                          headers={**auth(admin_token(tenant)), "Content-Type": "application/json"})
    assert response.status_code == 413 and set(response.json()) == {"error"}
    malformed = client.put(f"/api/v1/images/{image['id']}/annotation", content=b"{",
                           headers={**auth(admin_token(tenant)),
                                    "Content-Type": "application/json"})
    assert malformed.status_code == 400 and set(malformed.json()) == {"error"}


def test_unknown_foreign_and_trashed_images_are_404(client: TestClient, app: FastAPI,
                                                    tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    foreign_admin = admin_token(other_tenant(app))
    for token, image_id in ((admin_token(tenant), str(uuid.uuid4())), (foreign_admin, image["id"])):
        for response in (get_annotation(client, token, image_id),
                         put_annotation(client, token, image_id, {"svg": DRAWING})):
            assert response.status_code == 404 and set(response.json()) == {"error"}
    assert stored(client, tenant, image) == {"svg": None, "object": None}
    assert client.delete(f"/api/v1/images/{image['id']}",
                         headers=auth(admin_token(tenant))).status_code == 204
    assert get_annotation(client, admin_token(tenant), image["id"]).status_code == 404
    assert put_annotation(client, admin_token(tenant), image["id"], {"svg": DRAWING}
                          ).status_code == 404


def _claims(ability: str, value: Any = True, album: str | None = None) -> Any:
    return lambda a: {"abilities": {album or a: {"Access": {ability: value}}}}


@pytest.mark.parametrize(("route", "claims", "granted"), [
    ("get", _claims("image_list"), True),
    ("get", lambda a: {"admin": True}, True),
    ("get", lambda a: None, False),
    ("get", _claims("image_annotate"), False),
    ("get", _claims("image_list", False), False),
    ("get", _claims("image_list", "true"), False),
    ("get", _claims("image_list", album="another"), False),
    ("get", lambda a: {"q": "*", "thumbnail_tags": True}, False),
    ("put", _claims("image_annotate"), True),
    ("put", lambda a: {"admin": True}, True),
    ("put", lambda a: None, False),
    ("put", _claims("image_list"), False),
    ("put", _claims("image_annotate", False), False),
    ("put", _claims("image_annotate", 1), False),
    ("put", _claims("image_annotate", album="another"), False),
    ("put", lambda a: {"q": "*", "image_delete": True}, False),
])
def test_ability_matrix(route: str, claims: Any, granted: bool, client: TestClient,
                        tenant: Tenant, photo: Path) -> None:
    image = create_image(client, tenant, photo)
    given = claims(image["album_id"])
    token = client_token(tenant, given) if given is not None else None
    if route == "get":
        response = get_annotation(client, token, image["id"])
    else:
        response = put_annotation(client, token, image["id"], {"svg": DRAWING})
    if granted:
        assert response.status_code == 200, response.text
        assert response.headers["X-token"]
    else:
        check_refused(response)
    assert stored(client, tenant, image)["svg"] == (
        response.json()["svg"] if granted and route == "put" else None)
