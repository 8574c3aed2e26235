"""Two nodes sharing one database, one blob store and Redis (`TESSERA_REDIS_URL`): a
derivative requested on both at once renders once in the cluster, and a deletion on one node
clears the other's memory cache at once instead of after its TTL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import cloudinary.utils
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.cluster.redis import RedisCoordinator
from tessera.db.migrate import upgrade
from tests.conftest import Tenant, make_settings
from tests.sharinpix.helpers import album_token, auth, create_image, renderer

pytestmark = pytest.mark.redis


@pytest.fixture
def nodes(tmp_path: Path, redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    renderer()
    settings = make_settings(tmp_path, redis_url=redis_url)
    upgrade(settings.resolved_database_url)
    first, second = create_app(settings), create_app(settings)
    with TestClient(first) as one, TestClient(second) as two:
        yield one, two


@pytest.fixture
def photo(corpus: Path) -> Path:
    return corpus / "gps" / "paris_n_e.jpg"


def _renders(client: TestClient) -> float:
    app: FastAPI = client.app  # type: ignore[assignment]
    return float(app.state.services.metrics.renders._value.get())


def _tenant(client: TestClient) -> Tenant:
    issued = client.app.state.services.secrets.create("cluster", "org-cluster")  # type: ignore[attr-defined]
    return Tenant(issued.organization_id, issued.id, issued.secret)


def _path(tenant: Tenant, image: dict[str, Any], **options: Any) -> str:
    """A signed delivery path of the image's upload, as the SDK builds it."""
    infos = image["infos"]
    url, _ = cloudinary.utils.cloudinary_url(
        infos["public_id"], cloud_name=tenant.cloud, api_key=tenant.api_key,
        api_secret=tenant.api_secret, type=infos["type"], version=infos["version"],
        format=infos["format"], sign_url=True, **options)
    return urlsplit(url).path


def test_one_render_per_derivative_across_nodes(nodes: tuple[TestClient, TestClient],
                                                photo: Path) -> None:
    one, two = nodes
    tenant = _tenant(one)
    path = _path(tenant, create_image(one, tenant, photo),
                 transformation=[{"crop": "fill", "width": 91, "height": 67}])
    before = _renders(one) + _renders(two)
    bodies: list[bytes] = []
    statuses: list[int] = []

    def fetch(client: TestClient) -> None:
        response = client.get(path)
        statuses.append(response.status_code)
        bodies.append(response.content)

    threads = [threading.Thread(target=fetch, args=(client,)) for client in (one, two) * 6]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 12
    assert len(set(bodies)) == 1
    assert _renders(one) + _renders(two) == before + 1


def test_a_deletion_clears_every_nodes_memory(nodes: tuple[TestClient, TestClient],
                                              photo: Path) -> None:
    one, two = nodes
    tenant = _tenant(one)
    image = create_image(one, tenant, photo)
    path = _path(tenant, image, transformation=[{"crop": "scale", "width": 50}])
    assert two.get(path).status_code == 200  # now in the second node's memory cache
    token = album_token(tenant, image["album_id"], image_delete=True)
    assert one.delete(f"/api/v1/images/{image['id']}", headers=auth(token)).status_code == 204
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and two.get(path).status_code == 200:
        time.sleep(0.02)
    assert two.get(path).status_code == 404


def test_without_redis_renders_run_unguarded_and_forget_stays_local() -> None:
    coordinator = RedisCoordinator("redis://127.0.0.1:9/0")  # nothing listens on port 9
    cleared: list[int] = []
    coordinator._callbacks.append(lambda: cleared.append(1))
    with coordinator.exclusive("x", hold_seconds=1, wait_seconds=0.1) as held:
        assert held is False
    coordinator.broadcast_forget()
    assert cleared == [1]
    coordinator.close()
