"""Shared fixtures: real back ends (SQLite or PostgreSQL, local directory or S3 via moto), the
app over real ASGI, and a fresh organization + secret per test so tests never see each other."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.db.migrate import upgrade
from tessera.settings import Settings
from tests.support.backends import postgres_database, postgres_server_url, redis_server_url
from tests.support.s3server import run_s3_server

REPO = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path:
    return Path(os.environ.get("TESSERA_CORPUS_DIR") or REPO.parent / "shared" / "corpus")


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    if not (path / "manifest.json").exists():
        pytest.fail(f"corpus not found at {path} (set TESSERA_CORPUS_DIR)")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    server = postgres_server_url()
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL must answer in CI (TESSERA_TEST_POSTGRES_URL)")
        pytest.skip("PostgreSQL is not reachable")
    with postgres_database(server) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = redis_server_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("Redis must answer in CI (TESSERA_TEST_REDIS_URL)")
        pytest.skip("Redis is not reachable")
    return url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with run_s3_server() as endpoint:
        yield endpoint


BACKENDS = [
    pytest.param(("sqlite", "local"), id="sqlite-local"),
    pytest.param(("postgres", "s3"), id="postgres-s3", marks=[pytest.mark.postgres,
                                                              pytest.mark.s3]),
]


def make_settings(data_dir: Path, database_url: str = "", storage_url: str = "",
                  s3_endpoint_url: str | None = None, **extra: object) -> Settings:
    return Settings(
        data_dir=data_dir, database_url=database_url, storage_url=storage_url,
        s3_endpoint_url=s3_endpoint_url,
        s3_region="us-east-1" if s3_endpoint_url else None,
        s3_access_key_id="test" if s3_endpoint_url else None,
        s3_secret_access_key="test" if s3_endpoint_url else None,  # noqa: S106 - moto accepts any
        secret_key="", public_url="http://testserver", notification_retry_seconds=0.05,
        **extra,
    )


@pytest.fixture(scope="session", params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Settings:
    database, storage = request.param
    data_dir = tmp_path_factory.mktemp(f"{database}-{storage}")
    database_url = request.getfixturevalue("postgres_url") if database == "postgres" else ""
    if storage == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"tessera-{uuid.uuid4().hex[:12]}"
        settings = make_settings(data_dir, database_url, f"s3://{bucket}/originals-test",
                                 endpoint)
        from tessera.app import build_blob_store
        from tessera.blobs.s3 import S3BlobStore

        store = build_blob_store(settings)
        assert isinstance(store, S3BlobStore)
        store.ensure_bucket()
    else:
        settings = make_settings(data_dir, database_url)
    upgrade(settings.resolved_database_url)
    return settings


@pytest.fixture(scope="session")
def app(backend_settings: Settings) -> FastAPI:
    from tessera.app import create_app

    return create_app(backend_settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass(frozen=True)
class Tenant:
    """A fresh organization (its own Cloudinary cloud, named after it) and one secret."""

    organization_id: str
    api_key: str
    api_secret: str

    @property
    def cloud(self) -> str:
        return self.organization_id

    @property
    def upload_url(self) -> str:
        return f"/v1_1/{self.cloud}/image/upload"


@pytest.fixture
def tenant(app: FastAPI) -> Tenant:
    org = f"org-{uuid.uuid4().hex[:12]}"
    issued = app.state.services.secrets.create("test", org)
    return Tenant(org, issued.id, issued.secret)
