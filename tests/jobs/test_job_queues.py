"""The job queues of imports: the embedded thread pool, and the Redis list a cluster shares
(two queues on one list stand for two nodes: each job runs once, on either)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.db.migrate import upgrade
from tessera.jobs.queue import ThreadJobQueue, open_job_queue
from tessera.jobs.redis_queue import RedisJobQueue
from tests.conftest import Tenant, make_settings
from tests.sharinpix.helpers import auth, client_token
from tests.support.http_source import serve_source


def test_the_embedded_queue_survives_a_failing_job() -> None:
    queue = ThreadJobQueue(workers=2, name="test")
    with pytest.raises(RuntimeError):
        queue.enqueue("early")  # no handler yet
    done: list[str] = []

    def handler(job_id: str) -> None:
        if job_id == "bad":
            raise ValueError("boom")
        done.append(job_id)

    queue.start(handler)
    for job_id in ("a", "bad", "b", "c"):
        queue.enqueue(job_id)
    assert queue.wait_idle(10)
    assert sorted(done) == ["a", "b", "c"]
    queue.close()


def test_open_job_queue_picks_by_the_redis_url() -> None:
    embedded = open_job_queue("", workers=1, name="x")
    assert isinstance(embedded, ThreadJobQueue)
    embedded.close()


@pytest.mark.redis
def test_two_nodes_share_the_redis_queue(redis_url: str) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    nodes = [RedisJobQueue(redis_url, workers=2, name=name) for _ in range(2)]
    seen: Counter[str] = Counter()
    where: dict[str, int] = {}
    lock = threading.Lock()

    def handler_for(node: int):  # type: ignore[no-untyped-def]
        def handler(job_id: str) -> None:
            with lock:
                seen[job_id] += 1
                where[job_id] = node
            if job_id == "job-3":
                raise ValueError("a failing job does not stop the worker")
        return handler

    for index, node in enumerate(nodes):
        node.start(handler_for(index))
    ids = [f"job-{i}" for i in range(40)]
    for job_id in ids:
        nodes[0].enqueue(job_id)  # all from one node: the other still takes its share
    try:
        assert all(node.wait_idle(30) for node in nodes)
        assert seen == Counter({job_id: 1 for job_id in ids})
    finally:
        for node in nodes:
            node.close()
    assert set(where.values()) <= {0, 1}


@pytest.mark.redis
def test_an_import_runs_through_the_redis_queue(redis_url: str, tmp_path: Path,
                                                photo: Path) -> None:
    with serve_source() as source:
        source.files["photo.jpg"] = (photo.read_bytes(), "image/jpeg")
        settings = make_settings(tmp_path, redis_url=redis_url,
                                 import_allowed_hosts=source.host)
        upgrade(settings.resolved_database_url)
        app = create_app(settings)
        assert isinstance(app.state.import_queue, RedisJobQueue)
        with TestClient(app) as client:
            issued = app.state.services.secrets.create("redis", "org-redis")
            tenant = Tenant("org-redis", issued.id, issued.secret)
            token = client_token(tenant, {"admin": True})
            created = client.post("/api/v1/imports", headers=auth(token), json={
                "album_id": "A1", "url": source.url("/files/photo.jpg")})
            assert created.status_code == 202, created.text
            assert app.state.import_queue.wait_idle(60)
            body = client.get(f"/api/v1/imports/{created.json()['id']}",
                              headers=auth(token)).json()
            assert body["status"] == "done", body
            assert client.get(f"/api/v1/images/{body['image_id']}",
                              headers=auth(token)).status_code == 200


@pytest.fixture
def photo(corpus: Path) -> Path:
    return corpus / "gps" / "paris_n_e.jpg"
