"""`TESSERA_KEEP_ALIVE` reaches the server: an idle keep-alive connection stays open for that
long (not uvicorn's 5 s), then the server closes it."""

from __future__ import annotations

import re
import select
import socket
import time
from urllib.parse import urlsplit

import pytest

from tessera.settings import Settings
from tests.e2e.conftest import run_server

pytestmark = pytest.mark.slow

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: tessera\r\n\r\n"


def _answer(sock: socket.socket) -> bytes:
    """One whole response: the head, then as many body bytes as its Content-Length says."""
    data = b""
    while True:
        head, end, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head) if end else None
        if length and len(body) >= int(length[1]):
            return data
        chunk = sock.recv(65536)
        assert chunk, f"closed mid-answer: {data!r}"
        data += chunk


def _closed_by_server(sock: socket.socket, within: float) -> float | None:
    """Seconds until the server closed the connection, or None if it stayed open."""
    started = time.monotonic()
    readable, _, _ = select.select([sock], [], [], within)
    if readable and sock.recv(1) == b"":
        return time.monotonic() - started
    return None


def test_idle_connections_stay_open_as_long_as_configured(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    # The default outlives a load balancer's idle timeout (AWS ALB: 60 s).
    assert Settings.model_fields["keep_alive"].default > 60
    with run_server(request, tmp_path_factory, "sqlite", "local",
                    {"TESSERA_KEEP_ALIVE": "2"}) as server:
        address = urlsplit(server.base_url)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            sock.sendall(REQUEST)
            assert _answer(sock).startswith(b"HTTP/1.1 200")
            assert _closed_by_server(sock, 1.0) is None  # idle for 1 s: still open
            sock.sendall(REQUEST)  # the same connection serves the next request
            assert _answer(sock).startswith(b"HTTP/1.1 200")
            closed_after = _closed_by_server(sock, 6.0)
        assert closed_after is not None and 1.5 <= closed_after <= 4.5, closed_after
