"""Public image links (issue 5): `POST /api/v1/image_external_urls` and
`GET /image_external_urls/:id`, on both back ends: the stored link follows the image (its
rotation now, the placeholder once trashed) without any token, survives the secret that made
it, needs the `image_urls` claim (issue 4's gap), and refuses bad input precisely."""

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
from sqlalchemy import func, select

from tessera.db.models import Image, ImageExternalUrl
from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    auth,
    chain_of,
    client_token,
    create_image,
    fetch_image,
    now,
    renderer,
)
from tests.sharinpix.test_ability_matrix import check_refused

BASE = "c_fit,h_1920,w_1920/dpr_auto,q_auto,f_auto"  # the redirect base, no fl_attachment
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _linker(tenant: Tenant, album_id: str, **extra: Any) -> str:
    return client_token(tenant, {"image_urls": True, **extra,
                                 "abilities": {album_id: {"Access": {"image_list": True}}}})


def _create(client: TestClient, token: str | None, body: Any = None, **kwargs: Any) -> Any:
    return client.post("/api/v1/image_external_urls", json=body,
                       headers=auth(token) if token else {}, **kwargs)


def _follow(client: TestClient, url: str) -> Any:
    return client.get(urlsplit(url).path, follow_redirects=False)


def _stored(app: FastAPI, image_id: str) -> int:
    with app.state.services.db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ImageExternalUrl)
                                      .where(ImageExternalUrl.image_id == image_id)) or 0)


def _set_rotation(app: FastAPI, image_id: str, rotation: int) -> None:
    with app.state.services.db.uow() as uow:
        image = uow.session.get(Image, image_id)
        assert image is not None
        image.rotation = rotation
        uow.commit()


@pytest.fixture
def image(client: TestClient, tenant: Tenant, photo: Path) -> dict[str, Any]:
    return create_image(client, tenant, photo)


# --- making and following a link ----------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_link_follows_the_image(slash: str, client: TestClient, app: FastAPI, tenant: Tenant,
                                image: dict[str, Any]) -> None:
    token = _linker(tenant, image["album_id"])
    response = client.post(f"/api/v1/image_external_urls{slash}", headers=auth(token),
                           json={"image_id": image["id"],
                                 "transformations": [{"width": 100, "crop": "fill",
                                                      "miaim": "dropped"}]})
    assert response.status_code == 200, response.text
    assert response.headers["X-token"]
    body = response.json()
    assert set(body) == {"id", "image_id", "url"}
    assert UUID.fullmatch(body["id"]) and body["image_id"] == image["id"]
    assert body["url"] == f"http://testserver/image_external_urls/{body['id']}"
    assert _stored(app, image["id"]) == 1

    followed = _follow(client, body["url"])  # no token at all
    assert followed.status_code == 302, followed.text
    assert _follow(client, body["url"] + "/").headers["Location"] \
        == followed.headers["Location"]
    assert followed.headers["Cache-Control"] == "no-cache"
    assert chain_of(followed.headers["Location"], tenant) == f"{BASE}/c_fill,w_100"

    # Rotating the image (PUT /api/v1/images/:id) changes where the same link goes, at once.
    rotator = client_token(tenant, {"abilities": {image["album_id"]: {
        "Access": {"image_rotate": True}}}})
    turned = client.put(f"/api/v1/images/{image['id']}",
                        content=urlencode([("image[rotation]", "90")]),
                        headers={**auth(rotator),
                                 "Content-Type": "application/x-www-form-urlencoded"})
    assert turned.status_code == 200, turned.text
    again = _follow(client, body["url"])
    assert chain_of(again.headers["Location"], tenant) == f"a_90/{BASE}/c_fill,w_100"
    # And so does any later change of the row.
    _set_rotation(app, image["id"], 180)
    assert chain_of(_follow(client, body["url"]).headers["Location"], tenant) \
        == f"a_180/{BASE}/c_fill,w_100"


def test_link_renders(client: TestClient, tenant: Tenant, image: dict[str, Any]) -> None:
    renderer()
    body = _create(client, _linker(tenant, image["album_id"]),
                   {"image_id": image["id"], "transformations": [{"width": 64, "crop": "scale"}]})
    location = _follow(client, body.json()["url"]).headers["Location"]
    assert fetch_image(client, location).width == 64


def test_link_without_transformations(client: TestClient, tenant: Tenant,
                                      image: dict[str, Any]) -> None:
    body = _create(client, _linker(tenant, image["album_id"]), {"image_id": image["id"]}).json()
    assert chain_of(_follow(client, body["url"]).headers["Location"], tenant) == BASE


def test_link_outlives_its_token_and_secret(client: TestClient, app: FastAPI, tenant: Tenant,
                                            image: dict[str, Any]) -> None:
    second = app.state.services.secrets.create("short-lived", tenant.organization_id)
    maker = Tenant(tenant.organization_id, second.id, second.secret)
    token = _linker(maker, image["album_id"], exp=now() + 30)
    url = _create(client, token, {"image_id": image["id"]}).json()["url"]
    app.state.services.secrets.revoke(second.id)
    # The token is dead with its secret; the link is not, signed with the remaining secret.
    check_refused(client.get(f"/api/v1/images/{image['id']}", headers=auth(token)))
    followed = _follow(client, url)
    assert followed.status_code == 302
    assert chain_of(followed.headers["Location"], tenant) == BASE
    # A token on the link changes nothing (it is never read).
    expired = client_token(tenant, {"exp": now() - 60})
    assert client.get(f"{urlsplit(url).path}?token={expired}",
                      follow_redirects=False).status_code == 302


def test_trashed_image_links_to_the_placeholder(client: TestClient, tenant: Tenant,
                                                image: dict[str, Any]) -> None:
    url = _create(client, _linker(tenant, image["album_id"]), {"image_id": image["id"]}
                  ).json()["url"]
    deleter = client_token(tenant, {"abilities": {image["album_id"]: {
        "Access": {"image_delete": True, "trash": True}}}})
    assert client.delete(f"/api/v1/images/{image['id']}", headers=auth(deleter)
                         ).status_code == 204
    followed = _follow(client, url)
    assert followed.status_code == 302
    assert followed.headers["Location"] == "http://testserver/assets/placeholder.png"
    assert followed.headers["Cache-Control"] == "no-cache"
    placeholder = client.get("/assets/placeholder.png")
    assert placeholder.status_code == 200
    assert placeholder.headers["content-type"] == "image/png"
    picture = PILImage.open(io.BytesIO(placeholder.content))
    assert picture.format == "PNG" and picture.size == (320, 240)
    # Restored, the link shows the image again.
    assert client.delete(f"/api/v1/trashed_images/{image['id']}", headers=auth(deleter)
                         ).status_code == 204
    assert chain_of(_follow(client, url).headers["Location"], tenant) == BASE


@pytest.mark.parametrize("link_id", [str(uuid.uuid4()), "x" * 37, "not-a-link"])
def test_unknown_link_is_404(link_id: str, client: TestClient) -> None:
    response = client.get(f"/image_external_urls/{link_id}", follow_redirects=False)
    assert response.status_code == 404
    assert set(response.json()) == {"error"}


# --- several links at once ----------------------------------------------------------------------


def test_image_ids_share_transformations(client: TestClient, tenant: Tenant,
                                         photo: Path) -> None:
    album_id = f"a{uuid.uuid4().hex[:12]}"
    first = create_image(client, tenant, photo, album_id)
    second = create_image(client, tenant, photo, album_id)
    fields = [("image_ids[]", first["id"]), ("image_ids[]", second["id"]),
              ("transformations[][width]", "40"), ("transformations[][crop]", "fit")]
    response = client.post("/api/v1/image_external_urls", content=urlencode(fields),
                           headers={**auth(_linker(tenant, album_id)),
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    links = response.json()
    assert [link["image_id"] for link in links] == [first["id"], second["id"]]
    assert len({link["id"] for link in links}) == 2
    for link in links:
        assert chain_of(_follow(client, link["url"]).headers["Location"], tenant) \
            == f"{BASE}/c_fit,w_40"


def test_images_list_with_their_own_transformations(client: TestClient, tenant: Tenant,
                                                    image: dict[str, Any]) -> None:
    response = _create(client, _linker(tenant, image["album_id"]), {"images": [
        {"image_id": image["id"], "transformations": [{"width": 10, "crop": "fit"}]},
        {"image_id": image["id"]}]})
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert chain_of(_follow(client, first["url"]).headers["Location"], tenant) \
        == f"{BASE}/c_fit,w_10"
    assert chain_of(_follow(client, second["url"]).headers["Location"], tenant) == BASE


# --- the ability matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a, i: {"image_urls": True,
                               "abilities": {a: {"Access": {"image_list": True}}}}, id="album"),
    pytest.param(lambda a, i: {"admin": True}, id="admin"),
    pytest.param(lambda a, i: {"q": "*", "image_urls": True}, id="search_all"),
    pytest.param(lambda a, i: {"q": f"image_id:{i}", "image_urls": True}, id="search_image"),
])
def test_granted(claims: Any, client: TestClient, app: FastAPI, tenant: Tenant,
                 image: dict[str, Any]) -> None:
    token = client_token(tenant, claims(image["album_id"], image["id"]))
    response = _create(client, token, {"image_id": image["id"]})
    assert response.status_code == 200, response.text
    assert _stored(app, image["id"]) == 1


@pytest.mark.parametrize("claims", [
    pytest.param(lambda a, i: None, id="no_token"),
    pytest.param(lambda a, i: {"abilities": {a: {"Access": {"image_list": True}}}},
                 id="image_urls_absent"),
    pytest.param(lambda a, i: {"image_urls": False,
                               "abilities": {a: {"Access": {"image_list": True}}}},
                 id="image_urls_false"),
    pytest.param(lambda a, i: {"image_urls": "true",
                               "abilities": {a: {"Access": {"image_list": True}}}},
                 id="image_urls_not_true"),
    pytest.param(lambda a, i: {"image_urls": True, "abilities": {a: {"Access": {"see": True}}}},
                 id="image_list_absent"),
    pytest.param(lambda a, i: {"image_urls": True,
                               "abilities": {"other": {"Access": {"image_list": True}}}},
                 id="other_album"),
    pytest.param(lambda a, i: {"image_urls": True, "q": "image_id:another"},
                 id="search_not_matching"),
    pytest.param(lambda a, i: {"q": "*"}, id="search_without_image_urls"),
    pytest.param(lambda a, i: {"transformations": [{"width": 10}], "image_urls": True},
                 id="bare_token"),
])
def test_refused(claims: Any, client: TestClient, app: FastAPI, tenant: Tenant,
                 image: dict[str, Any]) -> None:
    made = claims(image["album_id"], image["id"])
    token = client_token(tenant, made) if made is not None else None
    check_refused(_create(client, token, {"image_id": image["id"]}))
    assert _stored(app, image["id"]) == 0


def test_other_organization_is_404(client: TestClient, app: FastAPI, tenant: Tenant,
                                   image: dict[str, Any]) -> None:
    other = app.state.services.secrets.create("other", f"org-{uuid.uuid4().hex[:12]}")
    outsider = Tenant(other.organization_id, other.id, other.secret)
    response = _create(client, client_token(outsider, {"admin": True}),
                       {"image_id": image["id"]})
    assert response.status_code == 404 and set(response.json()) == {"error"}
    assert _stored(app, image["id"]) == 0


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    pytest.param({}, id="nothing"),
    pytest.param({"image_id": ""}, id="empty_id"),
    pytest.param({"image_id": 12}, id="number_id"),
    pytest.param({"image_ids": []}, id="no_ids"),
    pytest.param({"image_ids": {"a": 1}}, id="ids_not_a_list"),
    pytest.param({"images": "x"}, id="images_not_a_list"),
    pytest.param({"images": [{"transformations": []}]}, id="images_without_id"),
    pytest.param({"image_id": "{id}", "transformations": {"width": 10}}, id="not_a_list"),
    pytest.param({"image_id": "{id}", "transformations": ["w_10"]}, id="not_objects"),
    pytest.param({"image_id": "{id}", "transformations": [{"crop": "fill", "width": "wide"}]},
                 id="bad_value"),
    pytest.param({"image_ids": ["{id}"] * 101}, id="too_many"),
])
def test_bad_input_is_400(body: dict[str, Any], client: TestClient, app: FastAPI,
                          tenant: Tenant, image: dict[str, Any]) -> None:
    filled = {key: (value.replace("{id}", image["id"]) if isinstance(value, str)
                    else [v.replace("{id}", image["id"]) if isinstance(v, str) else v
                          for v in value] if key == "image_ids" and isinstance(value, list)
                    else value)
              for key, value in body.items()}
    response = _create(client, _linker(tenant, image["album_id"]), filled)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}
    assert _stored(app, image["id"]) == 0


def test_malformed_json_is_400(client: TestClient, tenant: Tenant,
                               image: dict[str, Any]) -> None:
    response = client.post("/api/v1/image_external_urls", content=b"{not json",
                           headers={**auth(_linker(tenant, image["album_id"])),
                                    "Content-Type": "application/json"})
    assert response.status_code == 400 and set(response.json()) == {"error"}


def test_one_unknown_image_stores_nothing(client: TestClient, app: FastAPI, tenant: Tenant,
                                          image: dict[str, Any]) -> None:
    response = _create(client, _linker(tenant, image["album_id"]),
                       {"image_ids": [image["id"], str(uuid.uuid4())]})
    assert response.status_code == 404 and set(response.json()) == {"error"}
    assert _stored(app, image["id"]) == 0
