"""Upload size limits (413), pixel limits, and notification_url delivery with retries."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import cloudinary.utils
import pytest
from fastapi.testclient import TestClient

from tessera.db.migrate import upgrade
from tests.api.helpers import signed_fields, stored
from tests.conftest import Tenant, make_settings


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, object]]:
    from tessera.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("limits"), max_upload_bytes=20_000,
                             max_pixels=100_000)
    upgrade(settings.resolved_database_url)
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, app


@pytest.fixture
def small_tenant(small_app: tuple[TestClient, object]) -> Tenant:
    _, app = small_app
    issued = app.state.services.secrets.create("t", "limits")  # type: ignore[attr-defined]
    return Tenant("limits", issued.id, issued.secret)


def test_oversized_upload_is_413(small_app: tuple[TestClient, object], small_tenant: Tenant,
                                 corpus: Path) -> None:
    client, app = small_app
    big = corpus / "gps" / "paris_n_e.jpg"  # 143 kB > 20 kB
    response = client.post(small_tenant.upload_url, data=signed_fields(small_tenant),
                           files={"file": (big.name, big.read_bytes())})
    assert response.status_code == 413, response.text
    assert "File size too large" in response.json()["error"]["message"]
    assert stored(app, small_tenant) == (0, [])  # type: ignore[arg-type]


def test_too_many_pixels_is_400(small_app: tuple[TestClient, object], small_tenant: Tenant,
                                corpus: Path) -> None:
    client, app = small_app
    wide = corpus / "gps" / "null_island_0_0.jpg"  # 403x302 = 121,706 px > 100,000, 19 kB
    response = client.post(small_tenant.upload_url, data=signed_fields(small_tenant),
                           files={"file": (wide.name, wide.read_bytes())})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "image_too_large"
    assert stored(app, small_tenant) == (0, [])  # type: ignore[arg-type]


class _Receiver(http.server.BaseHTTPRequestHandler):
    calls: list[tuple[dict[str, str], str]] = []
    fail_first = 1
    done = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).calls.append((dict(self.headers), body))
        status = 500 if len(type(self).calls) <= type(self).fail_first else 200
        self.send_response(status)
        self.end_headers()
        if status == 200:
            type(self).done.set()

    def log_message(self, *args: object) -> None:
        pass


def test_notification_url_is_posted_signed_and_retried(client: TestClient, tenant: Tenant,
                                                       corpus: Path) -> None:
    receiver = type("Receiver", (_Receiver,), {"calls": [], "done": threading.Event()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        photo = corpus / "gps" / "apple_n_w.jpg"
        result = client.post(tenant.upload_url, data=signed_fields(tenant, notification_url=url,
                                                        public_id="notified"),
                             files={"file": (photo.name, photo.read_bytes())}).json()
        assert receiver.done.wait(20), "notification never arrived"
    finally:
        server.shutdown()
    assert len(receiver.calls) == 2  # one failure (500), one retry
    headers, body = receiver.calls[-1]
    payload = json.loads(body)
    assert payload["notification_type"] == "upload"
    assert payload["public_id"] == "notified" and payload["version"] == result["version"]
    assert headers["Content-Type"] == "application/json"
    cloudinary.config(api_secret=tenant.api_secret)
    assert cloudinary.utils.verify_notification_signature(
        body, int(headers["X-Cld-Timestamp"]), headers["X-Cld-Signature"])
