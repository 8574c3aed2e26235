"""Seeds 000 and 001 (`GET /images/:image_id?token=`) and the thumbnail links of seed 004's
`external_urls`, replayed with images and tokens made through the public API: status, headers,
body, and the exact transformation chain of each Location; following a Location renders an
image of the expected size (once `tessera.render.pipeline` imports)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tessera.auth.server_key import load_server_key
from tessera.services.image_links import ImageLinks
from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    BASE_CHAIN,
    NO_STORE,
    SECURITY_HEADERS,
    chain_of,
    check_headers,
    client_token,
    create_image,
    fetch_image,
    renderer,
)

# --- seeds 000 and 001: GET /images/:image_id?token= ----------------------------------------

def check_redirect(response: Any) -> str:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    for name, value in {"Cache-Control": NO_STORE, "Pragma": "no-cache",
                        "Expires": "Fri, 01 Jan 1990 00:00:00 GMT",
                        "Access-Control-Allow-Origin": "*",
                        "Content-Type": "text/html; charset=utf-8"}.items():
        assert response.headers[name] == value, name
    assert response.text == (f'<html><body>You are being <a href="{location}">redirected</a>.'
                             "</body></html>")
    assert response.headers["Content-Length"] == str(len(response.content))
    check_headers(response, SECURITY_HEADERS)
    return location


def test_seed_000_three_images_tiled(client: TestClient, tenant: Tenant, photo: Path) -> None:
    base, left, right = (create_image(client, tenant, photo) for _ in range(3))
    token = client_token(tenant, {"transformations": [
        {"crop": "fit", "width": 800},
        {"overlay": left["id"], "crop": "fit", "width": 800, "x": 800},
        {"overlay": right["id"], "crop": "fit", "width": 800, "x": 1200}]})
    response = client.get(f"/images/{base['id']}", params={"token": token},
                          follow_redirects=False)
    location = check_redirect(response)
    layer = {body["id"]: f"l_authenticated:{body['infos']['public_id']}"
             for body in (left, right)}
    assert chain_of(location, tenant) == (
        f"{BASE_CHAIN}/c_fit,w_800/c_fit,{layer[left['id']]},w_800,x_800/"
        f"c_fit,{layer[right['id']]},w_800,x_1200")
    assert location.endswith(f"/v{base['infos']['version']}/{base['infos']['public_id']}.jpg")

    renderer()
    # Each layer outside the base grows the canvas; centre gravity works on the grown canvas.
    assert fetch_image(client, location).size == (2400, 600)


def test_seed_001_private_overlay_and_dropped_keys(client: TestClient, tenant: Tenant,
                                                   photo: Path) -> None:
    base, overlay = create_image(client, tenant, photo), create_image(client, tenant, photo)
    token = client_token(tenant, {"transformations": [
        {"width": 200, "overlay": overlay["id"], "flags": "tiled", "miaim": "hey hey !",
         "super_plop": "test?"},
        {"width": 101, "flags": "tiled", "height": 102, "crop": "fit"}], "sharinpix": {}})
    response = client.get(f"/images/{base['id']}?token={token}", follow_redirects=False)
    location = check_redirect(response)
    # `miaim`/`super_plop` dropped, `tiled` kept only next to a layer (seed 001).
    assert chain_of(location, tenant) == (
        f"{BASE_CHAIN}/fl_tiled,l_authenticated:{overlay['infos']['public_id']},w_200/"
        "c_fit,h_102,w_101")

    renderer()
    assert fetch_image(client, location).size == (101, 76)


def test_seed_001_token_image_id_and_no_download(client: TestClient, tenant: Tenant,
                                                 photo: Path) -> None:
    first, second = create_image(client, tenant, photo), create_image(client, tenant, photo)
    token = client_token(tenant, {"image_id": second["id"], "sharinpix": {"download": False},
                                  "transformations": [{"width": 300}, {"effect": "grayscale"},
                                                      {"overlay": "text:Arial_20:Hi"}]})
    location = check_redirect(client.get(f"/images/{first['id']}?token={token}",
                                         follow_redirects=False))
    # Ruby drops w without crop (grammar §10); text layers pass through; no fl_attachment.
    assert chain_of(location, tenant) == (
        "c_fit,h_1920,w_1920/dpr_auto,q_auto,f_auto/e_grayscale/l_text:Arial_20:Hi")
    assert f"/{second['infos']['public_id']}.jpg" in location


# --- item 7: thumbnails ------------------------------------------------------------------

def test_thumbnail_links(client: TestClient, tenant: Tenant, photo: Path) -> None:
    body = create_image(client, tenant, photo)
    for name, chain in (("mini", "c_fill,h_100,w_100"), ("large", "c_fill,h_200,w_200"),
                        ("full", None)):
        response = client.get(urlsplit(body["external_urls"][name]).path,
                              follow_redirects=False)
        location = check_redirect(response)
        assert location == body["thumbnails"][name]
        assert (chain or "c_fit") in chain_of(location, tenant)
    bad = urlsplit(body["external_urls"]["mini"]).path.replace("/mini-", "/mini-0")
    response = client.get(bad)
    assert response.status_code == 400 and response.json()["error"]["message"] == "Invalid url"
    assert client.get(f"/images/{body['id']}/thumbnails/huge-0123.jpg").status_code == 400
    services = client.app.state.services  # type: ignore[attr-defined]
    settings = services.settings
    links = ImageLinks(services.secrets, settings.resolved_public_url,
                       load_server_key(settings.secret_key, settings.data_dir))
    assert links.thumbnail_link(body["id"], "mini") == body["external_urls"]["mini"]
    unknown = str(uuid.uuid4())
    assert client.get(urlsplit(links.thumbnail_link(unknown, "mini")).path).status_code == 404
