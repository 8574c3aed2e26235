"""A local HTTP server to import from: files, redirects, an endless body, a slow body, 404s.

It records the path, Host and headers of every request it gets, so tests can check what an
importer sent (pinned connections keep the original Host; headers stay with their origin).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Source:
    port: int
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"


def _handler(source: Source) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            source.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
            path = parts.path
            if path.startswith("/files/") and path[7:] in source.files:
                data, content_type = source.files[path[7:]]
                self._answer(200, data, content_type)
            elif path == "/redirect":
                self._redirect(query["to"], int(query.get("status", "302")))
            elif path.startswith("/chain/"):
                left = int(path.rsplit("/", 1)[-1])
                self._redirect(f"/chain/{left - 1}?{parts.query}" if left > 1
                               else f"/files/{query['file']}", 301)
            elif path == "/endless":
                self._endless()
            elif path == "/slow":
                self._slow()
            else:
                self._answer(404, b"not here", "text/plain")

        def _answer(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str, status: int) -> None:
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _endless(self) -> None:
            # No Content-Length: only the importer's own limit ends it.
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"\xff\xd8\xff" + b"\0" * (64 * 1024 - 3)
            try:
                while True:
                    self.wfile.write(chunk)
            except OSError:
                return

        def _slow(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(100000):
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                return

    return Handler


@contextmanager
def serve_source() -> Iterator[Source]:
    source = Source(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(source))
    server.daemon_threads = True
    source.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield source
    finally:
        server.shutdown()
        server.server_close()
