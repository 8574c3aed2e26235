"""The published SharinPix Node client (npm `sharinpix@0.0.9`) works unchanged against a real
Tessera server: album → upload_form → multipart upload to Tessera's upload endpoint → POST
images, while the upload's notification_url registers the same upload concurrently."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.e2e.conftest import Server, server  # noqa: F401 - the real-server fixture

pytestmark = pytest.mark.slow

SCRIPT = """
const Sharinpix = require('sharinpix');
const [endpoint, id, secret, file, album] = process.argv.slice(2);
Sharinpix.configure({endpoint: endpoint, id: id, secret: secret});
Sharinpix.upload(file, album, {source: 'node'}).then(
  (image) => { process.stdout.write(JSON.stringify(image)); },
  (error) => {
    const detail = error.response ? error.response.text : String(error);
    process.stderr.write(String(error.status) + ' ' + detail);
    process.exit(1);
  });
"""


@pytest.fixture(scope="session")
def node_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm is not installed")
    folder = tmp_path_factory.mktemp("sharinpix-node")
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "sharinpix@0.0.9"],
                   cwd=folder, check=True, capture_output=True, timeout=300)
    (folder / "upload.js").write_text(SCRIPT)
    yield folder


def _token(server: Server, claims: dict[str, object]) -> str:  # noqa: F811
    return jwt.encode({**claims, "iss": server.api_key}, server.api_secret, algorithm="HS256")


def test_node_client_uploads_an_image(node_client: Path, server: Server,  # noqa: F811
                                      photo: Path) -> None:
    album_id = f"a{uuid.uuid4().hex[:14]}"
    run = subprocess.run(
        [shutil.which("node") or "node", "upload.js", f"{server.base_url}/api/v1",
         server.api_key, server.api_secret, str(photo), album_id],
        cwd=node_client, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + (server.data_dir / "server.log").read_text()[-3000:]
    image = json.loads(run.stdout)
    assert image["album_id"] == album_id
    assert image["metadatas"] == {"source": "node"}
    assert (image["width"], image["height"]) == (400, 300)
    assert image["infos"]["width"] == "400"
    assert image["thumbnails"]["mini"].startswith(server.base_url + "/")

    headers = {"Authorization": f'Token token="{_token(server, {"admin": True})}"'}
    response = httpx.get(f"{server.base_url}/api/v1/images/{image['id']}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["infos"]["public_id"] == image["infos"]["public_id"]
    assert response.headers["X-token"]
    album = httpx.get(f"{server.base_url}/api/v1/albums/{album_id}", headers=headers)
    assert album.status_code == 200 and album.json()["images_count"] == 1

    # An upload whose client never calls back is registered by its notification_url alone.
    silent_album = f"a{uuid.uuid4().hex[:14]}"
    form = httpx.get(f"{server.base_url}/api/v1/albums/{silent_album}",
                     headers=headers).json()["upload_form"]
    uploaded = httpx.post(form["url"], data={k: str(v) for k, v in form["params"].items()},
                          files={"file": (photo.name, photo.read_bytes(), "image/jpeg")})
    assert uploaded.status_code == 200, uploaded.text
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.base_url}/api/v1/albums/{silent_album}",
                    headers=headers).json()["images_count"] == 0:
        assert time.monotonic() < deadline, "the upload notification never arrived"
        time.sleep(0.2)
    # By now the Node upload's notification (sent earlier) was handled too: still one image.
    album = httpx.get(f"{server.base_url}/api/v1/albums/{album_id}", headers=headers)
    assert album.json()["images_count"] == 1
    location = httpx.get(image["external_urls"]["mini"], follow_redirects=False)
    assert location.status_code == 302
    assert location.headers["Location"] == image["thumbnails"]["mini"]
