"""Seeds 002, 003 and 004 replayed against the app (both back ends), ids and tokens re-created
through the public API: status, every header the seed shows, every JSON key and its type, and
every URL's transformation chain. Seeds 000 and 001 are in `test_seeds_redirects.py`."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.sharinpix.helpers import (
    BASE_CHAIN,
    NO_STORE,
    SECURITY_HEADERS,
    add_tag,
    album_token,
    auth,
    chain_of,
    check_headers,
    claims_of,
    client_token,
    create_image,
    fetch_image,
    now,
    post_form,
    rails_fields,
    renderer,
    server_token,
    upload_through_form,
)

API_HEADERS = {**SECURITY_HEADERS, "X-Frame-Options": "DENY",
               "Content-Type": "application/json; charset=utf-8"}
# Seed 004's response body, key by key, with the JSON type of each value.
SEED_004_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str, "public_id": str, "infos": dict, "exifs": dict, "gps": (list, type(None)),
    "gps_ip": type(None), "gps_exifs": (list, type(None)), "gps_html": (list, type(None)),
    "created_at": str, "updated_at": str, "taken_at": (str, type(None)), "width": int,
    "height": int, "rotation": int, "crop_x": float, "crop_y": float, "crop_w": float,
    "crop_h": float, "metadatas": dict, "original_url": str, "original_width": int,
    "original_height": int, "external_urls": dict, "filename": str, "format": str,
    "title": type(None), "description": type(None), "page": int, "group_id": type(None),
    "color": str, "size": str, "processed": bool, "processing_error": type(None),
    "album_id": str, "thumbnails": dict,
}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def check_x_token(app: FastAPI, response: Any, sent: dict[str, Any]) -> dict[str, Any]:
    """The X-token re-issues the sent claims with iat = now and exp = iat + 14400 (seed 003)
    and works on the next call."""
    renewed = claims_of(response.headers["X-token"])
    assert renewed["exp"] - renewed["iat"] == 14400
    assert abs(renewed["iat"] - now()) < 60
    assert {k: v for k, v in renewed.items() if k not in ("iat", "exp")} == \
        {k: v for k, v in sent.items() if k not in ("iat", "exp")}
    return renewed


# --- seed 004: POST /api/v1/albums/:album_id/images/ ---------------------------------------

def test_seed_004_create_an_image(client: TestClient, app: FastAPI,
                                  default_tenant: Tenant, photo: Path) -> None:
    tenant = default_tenant
    album_id = "00100000123BB146"
    user_id = str(uuid.uuid4())
    upload_token = album_token(tenant, album_id, see=True, image_upload=True)
    result = upload_through_form(client, upload_token, album_id, photo)
    # The seed's token: Tessera's own (server key, no iss), exp, iat, user_id, image_upload.
    claims = {"exp": now() + 3600, "iat": now(), "user_id": user_id,
              "abilities": {album_id: {"Access": {"image_upload": True}}}}
    token = server_token(app, claims)
    fields = list(rails_fields(result, "cloudinary")) + [("metadatas[meta]", "data")]
    response = post_form(client, f"/api/v1/albums/{album_id}/images/", fields, token)

    assert response.status_code == 200, response.text
    check_headers(response, {**API_HEADERS, "Cache-Control": NO_STORE})
    check_x_token(app, response, claims_of(token))
    body = response.json()
    assert list(body) == list(SEED_004_TYPES)
    for key, kind in SEED_004_TYPES.items():
        assert isinstance(body[key], kind), key
    assert body["id"] == body["public_id"]
    assert body["album_id"] == album_id
    assert body["metadatas"] == {"meta": "data"}
    # infos: the upload result with every scalar as a string, as SharinPix stores it.
    infos = body["infos"]
    assert infos["public_id"] == result["public_id"]
    assert infos["version"] == str(result["version"])
    assert infos["signature"] == result["signature"]
    assert infos["width"] == "400" and infos["height"] == "300"
    assert infos["bytes"] == str(photo.stat().st_size) == body["size"]
    assert infos["tags"] == [album_id]
    assert infos["type"] == "authenticated"
    assert infos["semi_transparent"] == "false" and infos["grayscale"] == "false"
    assert all(isinstance(v, str) for v in infos["colors"])
    assert all(isinstance(v, str) for v in infos["predominant"]["google"])
    assert infos["image_metadata"] == body["exifs"]
    assert isinstance(infos["coordinates"]["faces"], list)
    assert infos["original_filename"] == "paris_n_e" == body["filename"]
    # EXIF date → taken_at; EXIF GPS → gps_exifs and gps (corpus manifest values).
    assert body["taken_at"] == "2023-08-05T17:16:53.000+00:00"
    assert body["exifs"]["DateTimeOriginal"] == "2023:08:05 17:16:53"
    assert body["gps_exifs"] == body["gps"]
    assert body["gps_exifs"][0] == pytest.approx(48.822083, abs=1e-5)
    assert body["gps_html"] is None
    assert TIME.match(body["created_at"]) and TIME.match(body["updated_at"])
    assert (body["width"], body["height"]) == (400, 300)
    assert (body["original_width"], body["original_height"]) == (400, 300)
    assert body["format"] == "jpg" and body["page"] == 1 and body["processed"] is False
    assert re.fullmatch(r"#[0-9A-F]{6}", body["color"])
    check_image_urls(body, tenant, result)
    with app.state.services.db.uow() as uow:
        stored = uow.images.get(tenant.organization_id, body["id"])
        assert stored is not None and stored.user_id == user_id


def check_image_urls(body: dict[str, Any], tenant: Tenant, result: dict[str, Any]) -> None:
    """Every URL points at Tessera: delivery URLs with seed 004's chains, thumbnail links."""
    suffix = f"/v{result['version']}/{result['public_id']}.jpg"
    assert body["original_url"].endswith(suffix)
    assert chain_of(body["original_url"], tenant) == "fl_attachment"
    assert set(body["thumbnails"]) == {"original", "full_no_sharinpix", "full", "large", "mini"}
    assert {name: chain_of(url, tenant) for name, url in body["thumbnails"].items()} == {
        "original": "fl_attachment/dpr_auto,q_auto,f_auto",
        "full_no_sharinpix": BASE_CHAIN,
        "full": BASE_CHAIN,
        "large": "c_fit,h_1920,w_1920/c_fill,h_200,w_200/fl_attachment/dpr_auto,q_auto,f_auto",
        "mini": "c_fit,h_1920,w_1920/c_fill,h_100,w_100/fl_attachment/dpr_auto,q_auto,f_auto",
    }
    urls = body["external_urls"]
    assert list(urls) == ["fill100", "fit2000", "mini", "large", "full"]
    assert chain_of(urls["fill100"], tenant) == "c_fit,w_300"
    assert chain_of(urls["fit2000"], tenant) == "c_fit,h_2000,w_2000"
    for name, link in (("mini", "mini"), ("large", "thumbnail"), ("full", "full")):
        assert re.fullmatch(rf"http://testserver/images/{body['id']}/thumbnails/"
                            rf"{link}-[0-9a-f]{{11}}\.jpg", urls[name]), urls[name]


def test_seed_004_json_body_and_empty_metadatas(client: TestClient, tenant: Tenant,
                                                photo: Path) -> None:
    """The Node client's shape: a JSON body, integers in the result, `"metadatas": []`."""
    album_id = f"a{uuid.uuid4().hex[:12]}"
    token = album_token(tenant, album_id)
    result = upload_through_form(client, token, album_id, photo)
    response = client.post(f"/api/v1/albums/{album_id}/images",
                           json={"cloudinary": result, "album_id": album_id, "metadatas": []},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadatas"] == {}
    assert body["infos"]["width"] == "400" and body["infos"]["version"] == str(result["version"])
    assert body["infos"]["colors"][0][0].startswith("#")  # pairs stay pairs, as strings
    assert isinstance(body["infos"]["colors"][0][1], str)


def test_seed_004_thumbnails_render(client: TestClient, tenant: Tenant, photo: Path) -> None:
    renderer()
    body = create_image(client, tenant, photo)
    assert fetch_image(client, body["thumbnails"]["mini"]).size == (100, 100)
    assert fetch_image(client, body["thumbnails"]["large"]).size == (200, 200)
    assert fetch_image(client, body["thumbnails"]["full"]).size == (1920, 1440)
    assert fetch_image(client, body["external_urls"]["fill100"]).size == (300, 225)


# --- seed 002: GET /api/v1/images/:id -----------------------------------------------------

@pytest.mark.parametrize("signer", ["server_key", "client_secret"])
def test_seed_002_retrieve_an_image(signer: str, client: TestClient, app: FastAPI,
                                    default_tenant: Tenant, photo: Path) -> None:
    tenant = default_tenant
    created = create_image(client, tenant, photo)
    album_id = created["album_id"]
    # Seed 002's claims: exp, abilities (image_list only), user_id; no iss (server key).
    claims = {"exp": now() + 3600,
              "abilities": {album_id: {"Access": {"image_list": True}}},
              "user_id": str(uuid.uuid4())}
    token = server_token(app, claims) if signer == "server_key" else \
        client_token(tenant, claims)
    response = client.get(f"/api/v1/images/{created['id']}", headers=auth(token))

    assert response.status_code == 200, response.text
    check_headers(response, {
        **API_HEADERS,
        "Cache-Control": "no-cache, no-store, must-revalidate, private, max-age=0",
        "X-access-crop": "false", "X-access-rotate": "false", "X-access-duplicate": "false"})
    check_x_token(app, response, claims_of(token))
    body = response.json()
    # Seed 002's keys (an older, shorter form of seed 004's) with their types.
    seed_002 = {"public_id": str, "infos": dict, "exifs": dict, "gps": (list, type(None)),
                "gps_ip": type(None), "gps_exifs": (list, type(None)),
                "gps_html": (list, type(None)), "created_at": str, "width": int, "height": int,
                "rotation": int, "crop_x": float, "crop_y": float, "crop_w": float,
                "crop_h": float, "album_id": str, "thumbnails": dict}
    for key, kind in seed_002.items():
        assert isinstance(body[key], kind), key
    assert {"full", "large", "mini"} <= set(body["thumbnails"])
    assert {k: v for k, v in body.items() if k != "external_urls"} == \
        {k: v for k, v in created.items() if k != "external_urls"}
    assert body["external_urls"] == created["external_urls"]

    # The X-token works on the next call, with the same abilities.
    again = client.get(f"/api/v1/images/{created['id']}",
                       headers=auth(response.headers["X-token"]))
    assert again.status_code == 200
    check_x_token(app, again, claims_of(token))


def test_seed_002_browser_location_gives_gps_html(client: TestClient, tenant: Tenant,
                                                  corpus: Path) -> None:
    album_id = f"a{uuid.uuid4().hex[:12]}"
    token = album_token(tenant, album_id)
    result = upload_through_form(client, token, album_id, corpus / "jpeg" / "hopper_baseline.jpg")
    result["location"] = {"accuracy": 36, "latitude": 48.861934399999996, "longitude": 2.348967}
    response = client.post(f"/api/v1/albums/{album_id}/images", json={"cloudinary": result},
                           headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["gps_exifs"] is None
    assert body["gps_html"] == [48.861934399999996, 2.348967] == body["gps"]
    assert body["infos"]["location"] == {"accuracy": "36", "latitude": "48.861934399999996",
                                         "longitude": "2.348967"}


# --- seed 003: GET /api/v1/tag_images ------------------------------------------------------

def test_seed_003_tag_images_of_image_ids(client: TestClient, app: FastAPI, tenant: Tenant,
                                          photo: Path) -> None:
    tagged = create_image(client, tenant, photo)
    untagged = create_image(client, tenant, photo)
    user = str(uuid.uuid4())
    tag_id, tag_image_id = add_tag(app, tenant, tagged["id"], user=user)
    claims = {"q": "*", "thumbnail_tags": True}
    token = client_token(tenant, claims)
    missing = str(uuid.uuid4())
    response = client.get("/api/v1/tag_images", params=[
        ("image_ids[]", tagged["id"]), ("image_ids[]", untagged["id"]), ("image_ids[]", missing)],
        headers=auth(token))

    assert response.status_code == 200, response.text
    check_headers(response, {**API_HEADERS, "Cache-Control": NO_STORE})
    renewed = check_x_token(app, response, claims_of(token))
    assert list(renewed) == ["exp", "iat", "iss", "q", "thumbnail_tags"]  # seed 003's order
    rows = response.json()
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == ["id", "created_at", "user", "image", "tag"]
    assert row["id"] == tag_image_id and row["user"] == user and TIME.match(row["created_at"])
    image = row["image"]
    assert list(image) == list(SEED_004_TYPES)
    for key, kind in SEED_004_TYPES.items():
        assert isinstance(image[key], kind), key
    assert image["id"] == tagged["id"]
    tag = row["tag"]
    assert tag == {
        "id": tag_id, "created_at": tag["created_at"], "name": "MyTag",
        "label": '{"en":"MyTag","fr":"MyTag"}', "url": f"/public_tags/{tag_id}",
        "public": False, "listed": True, "action": {"actions": []}, "visible": False,
        "color": "#009688", "color_contrast": "#ffffff", "allow_download": False,
        "label_en": "MyTag", "label_fr": "MyTag"}
    assert TIME.match(tag["created_at"])


