"""Previews over real ASGI, on every back end: an upload of a large JPEG stores its 1/8 decode
beside the original (tessera.media.preview); deliveries render from it to the same bytes; a
failed upload and the trash purge leave none behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.db.uow import UnitOfWork
from tessera.media.preview import preview_key
from tessera.services.trash_purge import TrashPurgeService
from tests.api.helpers import signed_fields, stored
from tests.api.test_delivery import decoded, sdk_path, upload
from tests.conftest import Tenant
from tests.sharinpix.helpers import auth, client_token, create_image

BIG = "jpeg/phone_photo_4032x3024_orient6.jpg"  # 12 MP, orientation 6


def _previews(app: FastAPI, tenant: Tenant) -> list[str]:
    return list(app.state.services.blobs.keys(f"previews/{tenant.organization_id}/"))


def test_large_jpegs_keep_a_preview_that_renders_the_same_bytes(
        client: TestClient, app: FastAPI, tenant: Tenant, corpus: Path) -> None:
    first = upload(client, tenant, corpus / BIG, public_id="site/big")
    _rows, originals = stored(app, tenant)
    assert _previews(app, tenant) == [preview_key(originals[0])]
    upload(client, tenant, corpus / "gps" / "paris_n_e.jpg", public_id="site/small")
    assert len(_previews(app, tenant)) == 1  # 400x300: decoding it is cheap enough

    options = {"transformation": [{"width": 200, "crop": "fit"}], "format": "jpg"}
    from_preview = client.get(sdk_path(tenant, "site/big", version=first["version"], **options))
    assert from_preview.status_code == 200
    assert (decoded(from_preview.content).width, decoded(from_preview.content).height) == \
        (200, 267)  # displayed upright

    # Same bytes under another id share the preview; without it, the original renders the same.
    twin = upload(client, tenant, corpus / BIG, public_id="site/twin")
    services = app.state.services
    services.blobs.delete(_previews(app, tenant)[0])
    services.delivery.forget_original(preview_key(originals[0]))  # a node's local copy (S3)
    from_original = client.get(sdk_path(tenant, "site/twin", version=twin["version"],
                                        **options))
    assert from_original.status_code == 200
    assert from_original.content == from_preview.content


def test_a_failed_upload_leaves_no_preview(client: TestClient, app: FastAPI, tenant: Tenant,
                                           corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_self: UnitOfWork) -> None:
        raise RuntimeError("database gone")

    blobs = app.state.services.blobs
    put, written = blobs.put, []

    def recorded(key: str, *args: object, **kwargs: object) -> None:
        written.append(key)
        put(key, *args, **kwargs)

    monkeypatch.setattr(blobs, "put", recorded)
    monkeypatch.setattr(UnitOfWork, "commit", broken)
    with pytest.raises(RuntimeError, match="database gone"):
        client.post(tenant.upload_url, data=signed_fields(tenant, public_id="site/doomed"),
                    files={"file": ("big.jpg", (corpus / BIG).read_bytes())})
    monkeypatch.undo()
    # Both were written before the commit failed, and both are gone.
    assert [key.split("/", 1)[0] for key in written] == ["originals", "previews"]
    assert stored(app, tenant) == (0, [])
    assert _previews(app, tenant) == []


def test_the_purge_removes_the_preview(client: TestClient, app: FastAPI, tenant: Tenant,
                                       corpus: Path) -> None:
    image = create_image(client, tenant, corpus / BIG)
    assert len(_previews(app, tenant)) == 1
    admin = client_token(tenant, {"admin": True})
    assert client.delete(f"/api/v1/images/{image['id']}", headers=auth(admin)).status_code == 204
    services = app.state.services
    later = datetime.now(UTC) + timedelta(days=31)
    report = TrashPurgeService(services.db, services.blobs, retention=timedelta(days=30),
                               forget_original=services.delivery.forget_original,
                               clock=lambda: later).purge(tenant.organization_id)
    assert report.originals == 1
    assert _previews(app, tenant) == []

