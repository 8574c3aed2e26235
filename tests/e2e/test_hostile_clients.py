"""Hostile or broken clients against a real server: interrupted and oversized bodies, curl."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_sdk_corpus import _stored

pytestmark = pytest.mark.slow


def test_interrupted_upload_leaves_nothing_and_server_stays_up(server: Server,
                                                               corpus: Path) -> None:
    before = _stored(server)
    body = (corpus / "gps" / "paris_n_e.jpg").read_bytes()
    host, port = server.base_url.removeprefix("http://").split(":")
    boundary = "tesseraboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall((f"POST /v1_1/tessera/image/upload HTTP/1.1\r\nHost: {host}\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                      f"Content-Length: {len(head) + len(body) + 1000}\r\n\r\n").encode())
        sock.sendall(head + body[: len(body) // 2])  # then hang up mid-file
    deadline = time.monotonic() + 10
    while any((server.data_dir / "tmp").glob("upload-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any((server.data_dir / "tmp").glob("upload-*")), "temporary file left behind"
    assert httpx.get(f"{server.base_url}/healthz").json() == {"status": "ok"}
    assert _stored(server) == before
    # A client that went away is not a failure of ours: no traceback, no internal error.
    log = (server.data_dir / "server.log").read_text()
    assert "Traceback" not in log and "internal_error" not in log, log


def test_declared_oversized_body_is_refused_before_reading(server: Server) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((f"POST /v1_1/tessera/image/upload HTTP/1.1\r\nHost: {host}\r\n"
                      "Content-Type: multipart/form-data; boundary=x\r\n"
                      "Content-Length: 60000000\r\n\r\n").encode())
        reply = sock.recv(65536).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply
    assert '"File size too large' in reply or "File size too large" in reply


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_upload_as_the_readme_shows(server: Server, corpus: Path) -> None:
    photo = corpus / "jpeg" / "hopper_baseline.jpg"
    timestamp = str(int(time.time()))
    to_sign = f"public_id=readme-curl&timestamp={timestamp}{server.api_secret}"
    signature = hashlib.sha1(to_sign.encode()).hexdigest()  # noqa: S324 - the protocol's SHA-1
    out = subprocess.run(  # noqa: S603
        ["curl", "-sS", "-F", f"file=@{photo}", "-F", "public_id=readme-curl",  # noqa: S607
         "-F", f"timestamp={timestamp}", "-F", f"api_key={server.api_key}",
         "-F", f"signature={signature}", f"{server.base_url}/v1_1/tessera/image/upload"],
        capture_output=True, text=True, check=True, timeout=60).stdout
    result = httpx.Response(200, content=out).json()
    assert result["public_id"] == "readme-curl"
    assert (result["width"], result["height"], result["format"]) == (128, 128, "jpg")
