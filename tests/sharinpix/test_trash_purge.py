"""The trash retention (issue 5): images trashed longer than `TESSERA_TRASH_RETENTION_DAYS`
are purged for good with their tag images, search terms, external URLs, asset, original blob
(unless shared) and derivatives; by the purge use case (injected clock) and `tessera purge`,
on both back ends."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tessera.cli import app as cli
from tessera.db.models import Image, ImageExternalUrl, Import, TagImage
from tessera.services.trash_purge import PurgeReport, TrashPurgeService
from tessera.settings import Settings
from tests.conftest import Tenant
from tests.sharinpix.helpers import add_tag, auth, client_token, create_image, renderer


def _purge_at(app: FastAPI, when: datetime, org: str) -> PurgeReport:
    services = app.state.services
    purge = TrashPurgeService(services.db, services.blobs, retention=timedelta(days=30),
                              forget_original=services.delivery.forget_original,
                              clock=lambda: when)
    return purge.purge(org)


def _render(client: TestClient, image: dict[str, Any]) -> None:
    for size in ("mini", "large"):
        response = client.get(urlsplit(image["thumbnails"][size]).path,
                              headers={"Accept": "image/jpeg"})
        assert response.status_code == 200, response.text


def _derived(app: FastAPI, tenant: Tenant, image: dict[str, Any]) -> list[str]:
    prefix = f"derived/{tenant.organization_id}/{image['infos']['asset_id']}/"
    return list(app.state.services.blobs.keys(prefix))


def _rows(app: FastAPI, image_id: str) -> dict[str, Any]:
    with app.state.services.db.uow() as uow:
        count = lambda model, column: uow.session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(column == image_id))
        return {"image": count(Image, Image.id), "tags": count(TagImage, TagImage.image_id),
                "links": count(ImageExternalUrl, ImageExternalUrl.image_id),
                "terms": len(uow.search_terms.terms_of(image_id))}


def _blob_key(app: FastAPI, tenant: Tenant, image_id: str) -> str:
    with app.state.services.db.uow() as uow:
        image = uow.images.get_any_state(tenant.organization_id, image_id)
        assert image is not None
        return image.asset.blob_key


def test_images_trashed_past_the_retention_are_purged(client: TestClient, app: FastAPI,
                                                      tenant: Tenant, photo: Path,
                                                      corpus: Path, tmp_path: Path) -> None:
    renderer()
    album_id = f"a{uuid.uuid4().hex[:14]}"
    other = tmp_path / "hopper.jpg"
    shutil.copyfile(corpus / "jpeg" / "hopper_baseline.jpg", other)
    doomed = create_image(client, tenant, photo, album_id)
    twin = create_image(client, tenant, photo, album_id)     # same bytes: shares the blob
    single = create_image(client, tenant, other, album_id)  # a blob of its own
    add_tag(app, tenant, doomed["id"], name="Roof")
    services = app.state.services
    now = datetime.now(UTC)
    with services.db.uow() as uow:
        uow.session.add(ImageExternalUrl(id=str(uuid.uuid4()),
                                         organization_id=tenant.organization_id,
                                         image_id=doomed["id"], transformations=[],
                                         user_id=None, created_at=now))
        album_pk = uow.albums.find(tenant.organization_id, album_id).id
        import_id = str(uuid.uuid4())
        uow.imports.add(Import(id=import_id, organization_id=tenant.organization_id,
                               album_id=album_pk, url="https://example.com/a.jpg",
                               filename=None, metadatas={}, request_headers={}, status="done",
                               error=None, attempts=1, image_id=doomed["id"], user_id=None,
                               created_at=now, updated_at=now))
        uow.commit()
    for image in (doomed, twin, single):
        _render(client, image)
        assert _derived(app, tenant, image)
    shared_blob = _blob_key(app, tenant, doomed["id"])
    single_blob = _blob_key(app, tenant, single["id"])
    assert shared_blob == _blob_key(app, tenant, twin["id"]) != single_blob
    before = _rows(app, doomed["id"])
    assert (before["image"], before["tags"], before["links"]) == (1, 1, 1)
    assert before["terms"] > 0  # its filename and metadata words
    admin = client_token(tenant, {"admin": True})
    for image in (doomed, single):
        assert client.delete(f"/api/v1/images/{image['id']}",
                             headers=auth(admin)).status_code == 204
    twin_derived = _derived(app, tenant, twin)
    trashed_at = datetime.now(UTC)

    # Within the retention: nothing goes.
    assert _purge_at(app, trashed_at + timedelta(days=29), tenant.organization_id) == \
        PurgeReport(0, 0, 0)
    assert _rows(app, doomed["id"])["image"] == 1
    assert services.blobs.exists(single_blob) and _derived(app, tenant, single)

    doomed_derived = len(_derived(app, tenant, doomed)) + len(_derived(app, tenant, single))
    report = _purge_at(app, trashed_at + timedelta(days=30, seconds=5), tenant.organization_id)

    assert report == PurgeReport(images=2, originals=1, derivatives=doomed_derived)
    for image in (doomed, single):
        assert _rows(app, image["id"]) == {"image": 0, "tags": 0, "links": 0, "terms": 0}
        assert _derived(app, tenant, image) == []
        assert client.delete(f"/api/v1/trashed_images/{image['id']}",
                             headers=auth(admin)).status_code == 404
    assert not services.blobs.exists(single_blob)
    with services.db.uow() as uow:
        assert uow.assets.count(tenant.organization_id) == 1
        kept_import = uow.imports.get(tenant.organization_id, import_id)
        assert kept_import is not None and kept_import.image_id is None
    # The live twin keeps its (shared) original and its derivatives, and is still served.
    assert services.blobs.exists(shared_blob)
    assert _derived(app, tenant, twin) == twin_derived
    assert client.get(f"/api/v1/images/{twin['id']}", headers=auth(admin)).status_code == 200
    _render(client, twin)

    # Once the twin is purged too, the shared original goes.
    assert client.delete(f"/api/v1/images/{twin['id']}", headers=auth(admin)).status_code == 204
    later = _purge_at(app, datetime.now(UTC) + timedelta(days=31), tenant.organization_id)
    assert later == PurgeReport(images=1, originals=1, derivatives=len(twin_derived))
    assert not services.blobs.exists(shared_blob)
    assert list(services.blobs.keys(f"derived/{tenant.organization_id}/")) == []
    assert list(services.blobs.keys(f"originals/{tenant.organization_id}/")) == []


def _env(settings: Settings) -> dict[str, str]:
    env = {"TESSERA_DATA_DIR": str(settings.data_dir),
           "TESSERA_DATABASE_URL": settings.database_url,
           "TESSERA_STORAGE_URL": settings.storage_url}
    for name in ("s3_endpoint_url", "s3_region", "s3_access_key_id", "s3_secret_access_key"):
        value = getattr(settings, name)
        if value:
            env[f"TESSERA_{name.upper()}"] = value
    return env


def test_tessera_purge(client: TestClient, app: FastAPI, tenant: Tenant, photo: Path,
                       backend_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    helped = runner.invoke(cli, ["purge", "--help"])
    assert helped.exit_code == 0 and "--days" in helped.output and "--org" in helped.output
    for name, value in _env(backend_settings).items():
        monkeypatch.setenv(name, value)
    image = create_image(client, tenant, photo)
    kept = create_image(client, tenant, photo)
    admin = client_token(tenant, {"admin": True})
    assert client.delete(f"/api/v1/images/{image['id']}", headers=auth(admin)).status_code == 204
    blob = _blob_key(app, tenant, image["id"])

    waited = runner.invoke(cli, ["purge", "--org", tenant.organization_id])
    assert waited.exit_code == 0, waited.output
    assert waited.stdout == "purged 0 images, 0 originals, 0 derivatives\n"
    assert runner.invoke(cli, ["purge", "--days", "-1"]).exit_code == 2

    purged = runner.invoke(cli, ["purge", "--days", "0", "--org", tenant.organization_id])
    assert purged.exit_code == 0, purged.output
    assert purged.stdout == "purged 1 images, 0 originals, 0 derivatives\n"
    assert _rows(app, image["id"])["image"] == 0
    assert app.state.services.blobs.exists(blob)  # the kept image shares it
    assert client.get(f"/api/v1/images/{kept['id']}", headers=auth(admin)).status_code == 200
