"""A real `tessera serve` with its access log on never prints a token: the album page's
`?token=`, a token in an API query, nor the upload notification's own token."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import jwt
import pytest

from tests.e2e.conftest import run_server

pytestmark = pytest.mark.slow


def test_tokens_never_reach_the_access_log(request: pytest.FixtureRequest,
                                           tmp_path_factory: pytest.TempPathFactory,
                                           corpus: Path) -> None:
    with run_server(request, tmp_path_factory, "sqlite", "local",
                    {"TESSERA_ACCESS_LOG": "true"}) as server:
        album_id = "log-album"
        token = jwt.encode({"iss": server.api_key, "abilities": {
            album_id: {"Access": {"image_upload": True, "image_list": True}}}},
            server.api_secret, algorithm="HS256")
        base = server.base_url
        page = httpx.get(f"{base}/pagelayout/{album_id}", params={"token": token})
        assert page.status_code == 200
        album = httpx.get(f"{base}/api/v1/albums/{album_id}", params={"token": token})
        assert album.status_code == 200
        x_token = album.headers["X-token"]
        form = album.json()["upload_form"]
        photo = corpus / "jpeg" / "hopper_baseline.jpg"
        uploaded = httpx.post(form["url"], data={k: str(v) for k, v in form["params"].items()},
                              files={"file": (photo.name, photo.read_bytes(), "image/jpeg")})
        assert uploaded.status_code == 200, uploaded.text
        notification_token = form["params"]["notification_url"].split("token=", 1)[1]
        log_path = server.data_dir / "server.log"
        deadline = time.monotonic() + 20
        while "POST /api/v1/cloudinary" not in log_path.read_text():  # the notification
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        log = log_path.read_text()
    assert f"GET /pagelayout/{album_id}?token=[REDACTED] HTTP/1.1" in log
    assert f"GET /api/v1/albums/{album_id}?token=[REDACTED] HTTP/1.1" in log
    assert "POST /api/v1/cloudinary?token=[REDACTED] HTTP/1.1" in log
    for secret in (token, x_token, notification_token):
        assert secret not in log
