"""Driving the SharinPix API as its clients do: client tokens signed with a secret, the album's
upload_form, the Cloudinary-style upload, the Rails-style image callback (seed 004)."""

from __future__ import annotations

import base64
import io
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from tessera.db.models import Tag, TagImage
from tessera.grammar.url import parse_delivery_path, verify_delivery_signature
from tests.conftest import Tenant

FULL_ACCESS = {"see": True, "image_list": True, "image_upload": True}
BASE_CHAIN = "c_fit,h_1920,w_1920/fl_attachment/dpr_auto,q_auto,f_auto"
NO_STORE = "no-cache, no-store"
# Headers every SharinPix response of the seeds carries.
SECURITY_HEADERS = {
    "Pragma": "no-cache",
    "Expires": "Fri, 01 Jan 1990 00:00:00 GMT",
    "X-XSS-Protection": "1; mode=block",
    "X-Content-Type-Options": "nosniff",
    "X-Download-Options": "noopen",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Vary": "Accept-Encoding",
    "P3P": 'CP="NOI ADM DEV PSAi COM NAV OUR OTRo STP IND DEM"',
    "Referrer-Policy": "origin-when-cross-origin, strict-origin-when-cross-origin",
}


def client_token(tenant: Tenant, claims: dict[str, Any], *, with_iss: bool = True) -> str:
    """A client token as the Node client signs it: `{"alg":"HS256","cty":"JWT"}`, no typ."""
    payload = {**claims, **({"iss": tenant.api_key} if with_iss else {})}
    return jwt.encode(payload, tenant.api_secret, algorithm="HS256", headers={"cty": "JWT"})


def server_token(app: FastAPI, claims: dict[str, Any]) -> str:
    """A Tessera-own token (no iss, server key): the shape of seeds 002 and 004."""
    return str(app.state.services.access.codec.sign(claims))


def album_token(tenant: Tenant, album_id: str, **access: bool) -> str:
    return client_token(tenant, {"abilities": {album_id: {"Access": access or FULL_ACCESS}}})


def new_album() -> str:
    return f"a{uuid.uuid4().hex[:14]}"


def access_token(tenant: Tenant, album_id: str, **grants: Any) -> str:
    """A client token with exactly these `Access` grants on one album (none: no ability)."""
    return client_token(tenant, {"abilities": {album_id: {"Access": grants}}})


def admin_token(tenant: Tenant) -> str:
    return client_token(tenant, {"admin": True})


def other_tenant(app: FastAPI) -> Tenant:
    """A secret of a new organization: what another customer's client holds."""
    org = f"org-{uuid.uuid4().hex[:12]}"
    issued = app.state.services.secrets.create("other", org)
    return Tenant(org, issued.id, issued.secret)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f'Token token="{token}"'}


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def rails_fields(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """Form fields as SharinPix's uploader posts a result (seed 004): hashes as `[key]`,
    arrays flattened into `[]`, scalars as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from rails_fields(item, f"{prefix}[{key}]")
    elif isinstance(value, list):
        flat: list[Any] = []
        stack = list(value)
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            else:
                flat.append(item)
        if not flat:
            yield f"{prefix}[]", ""
        for item in flat:
            yield f"{prefix}[]", _text(item)
    else:
        yield prefix, _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def upload_through_form(client: TestClient, token: str, album_id: str,
                        photo: Path) -> dict[str, Any]:
    """GET the album, post the file to its upload_form as a browser does, return the result."""
    album = client.get(f"/api/v1/albums/{album_id}", headers=auth(token))
    assert album.status_code == 200, album.text
    form = album.json()["upload_form"]
    response = client.post(urlsplit(form["url"]).path,
                           data={k: str(v) for k, v in form["params"].items()},
                           files={"file": (photo.name, photo.read_bytes(), "image/jpeg")})
    assert response.status_code == 200, response.text
    return dict(response.json())


def create_image(client: TestClient, tenant: Tenant, photo: Path, album_id: str | None = None,
                 metadatas: dict[str, str] | None = None) -> dict[str, Any]:
    """An image registered through the public API only (album → upload → callback)."""
    album_id = album_id or f"a{uuid.uuid4().hex[:14]}"
    token = album_token(tenant, album_id)
    result = upload_through_form(client, token, album_id, photo)
    fields = list(rails_fields(result, "cloudinary"))
    fields += list(rails_fields(metadatas or {"meta": "data"}, "metadatas"))
    response = post_form(client, f"/api/v1/albums/{album_id}/images/", fields, token)
    assert response.status_code == 200, response.text
    return dict(response.json())


def post_form(client: TestClient, path: str, fields: list[tuple[str, str]],
              token: str) -> Any:
    """A urlencoded POST with repeated keys, as seed 004's body."""
    return client.post(path, content=urlencode(fields),
                       headers={**auth(token),
                                "Content-Type": "application/x-www-form-urlencoded"})


def now() -> int:
    return int(time.time())


def renderer() -> None:
    pytest.importorskip("tessera.render.pipeline")


def chain_of(url: str, tenant: Tenant, public_url: str = "http://testserver") -> str:
    """The transformation text of a Tessera delivery URL, after checking host, cloud and
    signature (signed with the tenant's secret, as the SDK signs)."""
    assert url.startswith(public_url + "/"), url
    path = parse_delivery_path(urlsplit(url).path)
    assert path.cloud == tenant.cloud
    assert path.signature is not None
    assert verify_delivery_signature(path.signed_text, path.signature, tenant.api_secret)
    return path.transformation_text


def fetch_image(client: TestClient, url: str) -> PILImage.Image:
    response = client.get(urlsplit(url).path, headers={"Accept": "image/jpeg"})
    assert response.status_code == 200, response.text
    return PILImage.open(io.BytesIO(response.content))


def add_tag(app: FastAPI, tenant: Tenant, image_id: str, name: str = "MyTag",
            user: str | None = None) -> tuple[str, str]:
    """Tags and tag images through the data layer (issue 4 item 5 allows it)."""
    tag_id, tag_image_id = str(uuid.uuid4()), str(uuid.uuid4())
    with app.state.services.db.uow() as uow:
        uow.tags.add(Tag(id=tag_id, organization_id=tenant.organization_id, name=name,
                         label={"en": name, "fr": name}, is_public=False, listed=True,
                         action={"actions": []}, visible=False, color="#009688",
                         color_contrast="#ffffff", allow_download=False,
                         created_at=datetime.now(UTC)))
        uow.tag_images.add(TagImage(id=tag_image_id, organization_id=tenant.organization_id,
                                    tag_id=tag_id, image_id=image_id, user_id=user,
                                    created_at=datetime.now(UTC)))
        uow.commit()
    return tag_id, tag_image_id


def check_headers(response: Any, expected: dict[str, str]) -> None:
    for name, value in expected.items():
        assert response.headers.get(name) == value, name
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["X-Request-Id"])
    assert float(response.headers["X-Runtime"]) >= 0
