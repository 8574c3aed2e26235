"""A real Tessera server process (`tessera serve`) per back end, driven over real HTTP."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.e2e.browser import browser  # noqa: F401 - headless Chromium, for the page tests
from tests.support.backends import postgres_database, postgres_server_url
from tests.support.http_source import Source, serve_source

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Server:
    base_url: str
    api_key: str
    api_secret: str
    env: dict[str, str]
    data_dir: Path
    # A local HTTP server the Tessera server may import from (TESSERA_IMPORT_ALLOWED_HOSTS).
    import_source: Source


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def run_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               database: str, storage: str,
               extra_env: dict[str, str] | None = None,
               args: Sequence[str] = ()) -> Iterator[Server]:
    """`tessera serve [args]` on a free port over the given back ends, until the block ends.

    Two worker processes unless `extra_env` or `args` say otherwise: the default on a
    two-core machine, whatever the cores of the one running the tests. With `--port` in
    `args`, the environment names another port (the option must win)."""
    data_dir = tmp_path_factory.mktemp(f"e2e-{database}-{storage}")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env.update(TESSERA_DATA_DIR=str(data_dir), TESSERA_PORT=str(port),
               TESSERA_HOST="127.0.0.1", TESSERA_NOTIFICATION_RETRY_SECONDS="0.1",
               TESSERA_WORKERS="2")
    env.update(extra_env or {})
    command = [str(BIN / "tessera"), "serve", *args]
    if "--port" in args:
        command[command.index("--port") + 1] = str(port)
        env["TESSERA_PORT"] = str(free_port())
    stack = contextlib.ExitStack()
    source = stack.enter_context(serve_source())
    env["TESSERA_IMPORT_ALLOWED_HOSTS"] = source.host
    if database == "postgres":
        # A database of its own: rows made by other tests were encrypted with another key.
        request.getfixturevalue("postgres_url")  # skips or fails as the suite's policy says
        server_url = postgres_server_url()
        assert server_url is not None
        env["TESSERA_DATABASE_URL"] = stack.enter_context(postgres_database(server_url))
    if storage == "s3":
        from tessera.blobs.s3 import S3BlobStore

        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"e2e-{uuid.uuid4().hex[:12]}"
        S3BlobStore(bucket, "", endpoint_url=endpoint, region="us-east-1",
                    access_key_id="test", secret_access_key="test").ensure_bucket()  # noqa: S106
        env.update(TESSERA_STORAGE_URL=f"s3://{bucket}/tessera", TESSERA_S3_ENDPOINT_URL=endpoint,
                   TESSERA_S3_REGION="us-east-1", TESSERA_S3_ACCESS_KEY_ID="test",
                   TESSERA_S3_SECRET_ACCESS_KEY="test")
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("server did not start:\n" + (data_dir / "server.log").read_text())
            output = (data_dir / "server.log").read_text()
            # Every worker up: one that is still starting takes no connections yet, and
            # tests of several workers need them all.
            workers = re.search(r"libvips [^,]+, (\d+) workers?\)", output)
            if workers and output.count("Application startup complete") >= int(workers[1]):
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        match = re.search(r"Secret URL: sharinpix://([^:]+):([^@]+)@127\.0\.0\.1:(\d+)/api/v1",
                          output)
        assert match, output
        assert int(match.group(3)) == port
        yield Server(base_url, match.group(1), match.group(2), env, data_dir, source)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        stack.close()


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    database, storage = request.param
    with run_server(request, tmp_path_factory, database, storage) as running:
        yield running


@pytest.fixture
def sdk(server: Server) -> Iterator[None]:
    """The official Cloudinary SDK configured against the server's default cloud."""
    import cloudinary

    cloudinary.reset_config()
    cloudinary.config(cloud_name="tessera", api_key=server.api_key, api_secret=server.api_secret,
                      upload_prefix=server.base_url, secure=False)
    yield
    cloudinary.reset_config()
