"""Delivery over real ASGI: URLs built by the official SDK, rendered by Tessera, on every
back end. Pixels are checked by decoding the response with libvips."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import cloudinary.utils
import pytest
import pyvips
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.http.routes.delivery import is_delivery_path
from tests.api.helpers import signed_fields
from tests.conftest import Tenant

pytest.importorskip("tessera.render.pipeline")


def upload(client: TestClient, tenant: Tenant, path: Path, **params: object) -> dict:
    response = client.post(tenant.upload_url, data=signed_fields(tenant, **params),
                           files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    return response.json()


def sdk_path(tenant: Tenant, public_id: str, **options: object) -> str:
    url, _ = cloudinary.utils.cloudinary_url(public_id, cloud_name=tenant.cloud,
                                             api_key=tenant.api_key,
                                             api_secret=tenant.api_secret, **options)
    return urlsplit(url).path


def decoded(body: bytes) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(body, "")


@pytest.fixture
def photo(client: TestClient, tenant: Tenant, corpus: Path) -> dict:
    return upload(client, tenant, corpus / "gps" / "paris_n_e.jpg", public_id="site/paris")


def test_fit_renders_caches_and_revalidates(client: TestClient, app: FastAPI, tenant: Tenant,
                                           photo: dict) -> None:
    path = sdk_path(tenant, "site/paris", transformation=[{"crop": "fit", "width": 200,
                                                           "height": 100}],
                    format="jpg", version=photo["version"])
    renders = app.state.services.metrics.renders._value.get()
    first = client.get(path)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/jpeg"
    image = decoded(first.content)
    assert (image.width, image.height) == (133, 100)  # 400x300 source fits by height
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    second = client.get(path)
    assert second.content == first.content and second.headers["etag"] == etag
    assert app.state.services.metrics.renders._value.get() == renders + 1  # second was cached
    assert re.fullmatch(r"render;dur=\d+\.\d", first.headers["server-timing"])
    assert second.headers["server-timing"] == "cache;desc=hit"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))


def test_original_is_served_as_uploaded(client: TestClient, tenant: Tenant, photo: dict,
                                        corpus: Path) -> None:
    response = client.get(sdk_path(tenant, "site/paris", format="jpg"))
    assert response.status_code == 200
    assert response.content == (corpus / "gps" / "paris_n_e.jpg").read_bytes()
    # No real version in the URL (the SDK's v1 for folders): cacheable, not immutable.
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert "server-timing" not in response.headers  # nothing rendered, nothing cached


def test_format_from_extension_and_f_auto(client: TestClient, tenant: Tenant,
                                          photo: dict) -> None:
    png = client.get(sdk_path(tenant, "site/paris", transformation=[{"width": 50}],
                              format="png"))
    assert png.headers["content-type"] == "image/png" and decoded(png.content).width == 50
    path = sdk_path(tenant, "site/paris", transformation=[{"width": 60, "fetch_format": "auto"}],
                    format="jpg")
    webp = client.get(path, headers={"Accept": "image/webp,*/*"})
    assert webp.status_code == 200 and webp.headers["content-type"] == "image/webp"
    assert "Accept" in webp.headers["vary"]
    jpeg = client.get(path, headers={"Accept": "image/jpeg"})
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert jpeg.headers["etag"] != webp.headers["etag"]


def test_attachment_flag(client: TestClient, tenant: Tenant, photo: dict) -> None:
    response = client.get(sdk_path(tenant, "site/paris",
                                   transformation=[{"flags": "attachment:roof", "width": 40}],
                                   format="jpg"))
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="roof.jpg"'


def test_authenticated_images_need_the_signature(client: TestClient, tenant: Tenant,
                                                 corpus: Path) -> None:
    result = upload(client, tenant, corpus / "jpeg" / "hopper_baseline.jpg",
                    public_id="secret-photo", type="authenticated")
    options = {"type": "authenticated", "format": "jpg", "version": result["version"],
               "transformation": [{"crop": "fill", "width": 32, "height": 32}]}
    signed = sdk_path(tenant, "secret-photo", sign_url=True, **options)
    ok = client.get(signed)
    assert ok.status_code == 200, ok.text
    assert (decoded(ok.content).width, decoded(ok.content).height) == (32, 32)
    assert client.get(sdk_path(tenant, "secret-photo", **options)).status_code == 401
    forged = signed.split("/s--")[0] + "/s--AAAAAAAA--/" + signed.split("--/", 1)[1]
    response = client.get(forged)
    assert response.status_code == 401 and "X-Cld-Error" in response.headers
    assert client.get(result["url"].replace("http://testserver", "")).status_code == 200


def test_errors(client: TestClient, tenant: Tenant, photo: dict) -> None:
    bad = client.get(f"/{tenant.cloud}/image/upload/c_bogus,w_abc/site/paris.jpg")
    assert bad.status_code == 400 and bad.headers["X-Cld-Error"]
    assert client.get(f"/{tenant.cloud}/image/upload/w_10/nobody.jpg").status_code == 404
    # Any version number serves the current image (Cloudinary; seed 000's v123123), but only
    # the current one is cached as immutable.
    other = client.get(sdk_path(tenant, "site/paris", format="jpg", version=photo["version"] - 5))
    assert other.status_code == 200
    assert other.headers["cache-control"] == "public, max-age=3600"
    assert client.get("/no-such-cloud/image/upload/w_10/site/paris.jpg").status_code == 404


def test_an_unexpected_failure_of_a_delivery_is_a_json_500_and_the_next_request_is_served(
        client: TestClient, app: FastAPI, tenant: Tenant, photo: dict,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Deliveries are answered in front of the middleware stack, so outside its error
    # middleware: the delivery entrance maps an unexpected error itself.
    delivery = app.state.services.delivery
    path = sdk_path(tenant, "site/paris", transformation=[{"width": 31}], format="jpg",
                    version=photo["version"])

    def broken(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(delivery, "deliver", broken)
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append  # type: ignore[method-assign]
    logging.getLogger("tessera.http.errors").addHandler(handler)
    try:
        failed = client.get(path)
    finally:
        logging.getLogger("tessera.http.errors").removeHandler(handler)
    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "internal"
    assert "disk on fire" not in failed.text  # logged, not shown
    assert any("event=internal_error" in r.getMessage() and r.exc_info for r in logged)
    monkeypatch.undo()
    served = client.get(path)
    assert served.status_code == 200 and decoded(served.content).width == 31


def test_other_resource_types_get_json_errors_from_the_route(client: TestClient,
                                                           tenant: Tenant) -> None:
    video = client.get(f"/{tenant.cloud}/video/upload/w_10/clip.mp4")
    assert video.status_code == 404 and video.json()["error"]["code"]
    assert client.head(f"/{tenant.cloud}/raw/upload/file.txt").status_code == 404


def test_private_layers_need_a_signed_url(client: TestClient, tenant: Tenant, photo: dict,
                                          corpus: Path) -> None:
    upload(client, tenant, corpus / "png" / "rgba.png", public_id="logo", type="private")
    options = {"format": "jpg", "transformation": [
        {"width": 200}, {"overlay": "private:logo", "width": 40, "gravity": "north_east"}]}
    assert client.get(sdk_path(tenant, "site/paris", **options)).status_code == 401
    signed = client.get(sdk_path(tenant, "site/paris", sign_url=True, **options))
    assert signed.status_code == 200, signed.text
    assert decoded(signed.content).width == 200


def test_hot_url_renders_once(client: TestClient, app: FastAPI, tenant: Tenant,
                              photo: dict) -> None:
    path = sdk_path(tenant, "site/paris", transformation=[{"crop": "fill", "width": 77,
                                                           "height": 55}], format="webp")
    renders = app.state.services.metrics.renders._value.get()
    statuses: list[int] = []
    bodies: set[bytes] = set()
    timings: list[str] = []

    def fetch() -> None:
        response = client.get(path)
        statuses.append(response.status_code)
        bodies.add(response.content)
        timings.append(response.headers.get("server-timing", ""))

    threads = [threading.Thread(target=fetch) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 16 and len(bodies) == 1
    assert app.state.services.metrics.renders._value.get() == renders + 1
    # Only the request that rendered reports a render; the others shared it or read it.
    assert sum(timing.startswith("render;dur=") for timing in timings) == 1
    assert timings.count("cache;desc=hit") == 15


def test_svg_is_never_served_as_svg(client: TestClient, tenant: Tenant, corpus: Path) -> None:
    svg = next(p for p in sorted((corpus / "svg").iterdir()) if p.suffix == ".svg")
    upload(client, tenant, svg, public_id="drawing")
    response = client.get(sdk_path(tenant, "drawing"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"


def test_strict_transformations(tmp_path: Path, corpus: Path) -> None:
    from tessera.app import create_app
    from tessera.db.migrate import upgrade
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, strict_transformations=True)
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    issued = app.state.services.secrets.create("t", "strict")
    tenant = Tenant("strict", issued.id, issued.secret)
    with TestClient(app) as client:
        upload(client, tenant, corpus / "jpeg" / "hopper_baseline.jpg", public_id="p")
        options = {"format": "jpg", "transformation": [{"width": 20}]}
        assert client.get(sdk_path(tenant, "p", **options)).status_code == 401
        assert client.get(sdk_path(tenant, "p", format="jpg")).status_code == 200  # original
        assert client.get(sdk_path(tenant, "p", sign_url=True, **options)).status_code == 200
        # Once generated, the unsigned URL serves the cached derivative.
        assert client.get(sdk_path(tenant, "p", **options)).status_code == 200


def test_hot_versioned_urls_are_served_from_memory(client: TestClient, app: FastAPI,
                                                   tenant: Tenant, photo: dict) -> None:
    delivery = app.state.services.delivery
    path = sdk_path(tenant, "site/paris", transformation=[{"crop": "scale", "width": 41}],
                    format="png", version=photo["version"])
    first = client.get(path)
    assert first.status_code == 200
    # Remove the stored derivatives: the next answer can only come from memory.
    delivery.writer.flush()  # derivatives are stored after the answer
    blobs = app.state.services.blobs
    derived = [k for k in blobs.keys(f"derived/{tenant.organization_id}/")]
    for key in derived:
        blobs.delete(key)
    renders = app.state.services.metrics.renders._value.get()
    again = client.get(path)
    assert again.content == first.content
    assert again.headers["server-timing"] == "cache;desc=hit"  # not the first's render time
    assert client.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert app.state.services.metrics.renders._value.get() == renders
    delivery.forget()
    rebuilt = client.get(path)
    assert rebuilt.content == first.content  # deterministic re-render
    assert app.state.services.metrics.renders._value.get() == renders + 1


def test_an_overwrite_drops_the_old_versions_hot_derivatives(client: TestClient,
                                                             tenant: Tenant, photo: dict,
                                                             corpus: Path) -> None:
    old = sdk_path(tenant, "site/paris", transformation=[{"crop": "scale", "width": 40}],
                   format="png", version=photo["version"])
    before = client.get(old)
    assert before.headers["cache-control"] == "public, max-age=31536000, immutable"
    replaced = upload(client, tenant, corpus / "gps" / "kodak_s_e.jpg", public_id="site/paris",
                      overwrite=True)
    assert replaced["version"] != photo["version"]
    # The old URL now names a replaced version: rendered from the new original, revalidated.
    after = client.get(old)
    assert after.status_code == 200
    assert after.headers["cache-control"] == "public, max-age=3600"
    current = client.get(sdk_path(tenant, "site/paris", format="png",
                                  transformation=[{"crop": "scale", "width": 40}],
                                  version=replaced["version"]))
    assert after.content == current.content != before.content


@pytest.mark.parametrize(("path", "delivery"), [
    ("/tessera/image/upload/v1/p.jpg", True),
    ("/org-x/image/authenticated/s--abc--/c_fit,w_5/v1/a/b.png", True),
    ("/api/image/upload/p.jpg", False),  # the API's own 404s
    ("/tessera/video/upload/p.mp4", False),  # other resource types go through the route
    ("/images/abc/thumbnails/mini-0123.jpg", False),
    ("/tessera/image/upload/", False),
    ("/v1_1/tessera/image/upload", False),
])
def test_delivery_paths_are_recognised_before_routing(path: str, delivery: bool) -> None:
    assert is_delivery_path(path) is delivery
