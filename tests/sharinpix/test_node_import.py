"""The published SharinPix Node client (npm `sharinpix@0.0.9`) runs its `import` and
`image_delete` calls unchanged against a real Tessera server. The image is served by a local
HTTP server the server is told to allow (`TESSERA_IMPORT_ALLOWED_HOSTS`).

What the client sends (read from its source, `src/sharinpix.coffee`): `import` POSTs JSON
`{import_type: "url", album_id, url, metadatas}` to `/imports` with an admin token and resolves
with the body of any 2xx; `image_delete` sends `DELETE /images/:id` with an admin token."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.conftest import Server, server  # noqa: F401 - the real-server fixture
from tests.sharinpix.test_node_client import node_client  # noqa: F401 - npm install

pytestmark = pytest.mark.slow

IMPORT = """
const Sharinpix = require('sharinpix');
const [endpoint, id, secret, url, album, metadatas] = process.argv.slice(2);
Sharinpix.configure({endpoint: endpoint, id: id, secret: secret});
Sharinpix.import(url, album, JSON.parse(metadatas)).then(
  (body) => { process.stdout.write(JSON.stringify(body)); },
  (error) => {
    const detail = error.response ? error.response.text : String(error);
    process.stderr.write(String(error.status) + ' ' + detail);
    process.exit(1);
  });
"""

# sharinpix@0.0.9 reads `status` from the first argument of superagent's `end` callback,
# which is the error: for any 2xx it is null and the client throws; only a 404 resolves (it
# reads "already gone" as done). The script reports which of the three happened.
DELETE = """
const Sharinpix = require('sharinpix');
const [endpoint, id, secret, image] = process.argv.slice(2);
Sharinpix.configure({endpoint: endpoint, id: id, secret: secret});
process.on('uncaughtException', (error) => {
  process.stdout.write(JSON.stringify({thrown: error.message}));
  process.exit(0);
});
Sharinpix.image_delete(image).then(
  (value) => { process.stdout.write(JSON.stringify({resolved: value})); },
  (value) => { process.stdout.write(JSON.stringify({rejected: value})); });
"""


def _admin(server: Server) -> dict[str, str]:  # noqa: F811
    token = jwt.encode({"admin": True, "iss": server.api_key}, server.api_secret,
                       algorithm="HS256")
    return {"Authorization": f'Token token="{token}"'}


def _node(folder: Path, script: str, *args: str) -> Any:
    run = subprocess.run([shutil.which("node") or "node", script, *args], cwd=folder,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_node_client_imports_and_deletes(node_client: Path, server: Server,  # noqa: F811
                                         photo: Path) -> None:
    (node_client / "import.js").write_text(IMPORT)
    (node_client / "delete.js").write_text(DELETE)
    server.import_source.files["site-photo.jpg"] = (photo.read_bytes(), "image/jpeg")
    album_id = f"a{uuid.uuid4().hex[:14]}"
    endpoint = f"{server.base_url}/api/v1"
    url = server.import_source.url("/files/site-photo.jpg")

    created = _node(node_client, "import.js", endpoint, server.api_key, server.api_secret,
                    url, album_id, json.dumps({"source": "node-import"}))

    assert created["album_id"] == album_id and created["url"] == url
    assert created["status"] in {"pending", "running", "done"}
    headers = _admin(server)
    deadline = time.monotonic() + 60
    while True:
        state = httpx.get(f"{endpoint}/imports/{created['id']}", headers=headers).json()
        if state["status"] not in {"pending", "running"}:
            break
        assert time.monotonic() < deadline, "the import never finished"
        time.sleep(0.2)
    assert state["status"] == "done", state
    image = httpx.get(f"{endpoint}/images/{state['image_id']}", headers=headers).json()
    assert image["album_id"] == album_id
    assert image["metadatas"] == {"source": "node-import"}
    assert image["filename"] == "site-photo.jpg"
    assert (image["width"], image["height"]) == (400, 300)

    # The delete reaches Tessera (204) and trashes the image, though this client version then
    # throws on the 2xx; deleting again answers 404, which the client resolves as done.
    first = _node(node_client, "delete.js", endpoint, server.api_key, server.api_secret,
                  image["id"])
    assert set(first) == {"thrown"}, first
    assert httpx.get(f"{endpoint}/images/{image['id']}", headers=headers).status_code == 404
    trash = httpx.get(f"{endpoint}/trashed_images", params={"album_id": album_id},
                      headers=headers).json()
    assert [row["id"] for row in trash] == [image["id"]]
    again = _node(node_client, "delete.js", endpoint, server.api_key, server.api_secret,
                  image["id"])
    assert again == {"resolved": True}
