"""The delivery lookup (`DeliverableAssets.find`) on both databases: on a SQLite file it reads
through a connection each thread keeps, which must still see every commit, from any thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from tessera.db.migrate import upgrade
from tessera.db.models import Asset, Organization
from tessera.db.uow import Database


def _asset(public_id: str, version: int) -> Asset:
    return Asset(organization_id="acme", asset_id=f"id{public_id}", public_id=public_id,
                 resource_type="image", type="upload", version=version, version_id="v",
                 format="jpg", width=4, height=3, pages=1, bytes=10, etag="e" * 32,
                 blob_key=f"originals/acme/{public_id}", original_filename=public_id,
                 tags=[], context={}, analysis={"raw_width": 4, "preview": True},
                 created_at=datetime.now(UTC))


def test_find_sees_every_commit(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    find = db.deliverable_assets.find
    with db.uow() as uow:
        uow.session.add(Organization(id="acme", name="Acme", created_at=datetime.now(UTC)))
        uow.flush()
        uow.session.add(_asset("roof", 1))
        uow.commit()
    record = find("acme", "image", "upload", "roof")
    assert record is not None
    assert (record.version, record.width, record.analysis) == (1, 4, {"raw_width": 4,
                                                                       "preview": True})
    assert find("acme", "image", "upload", "wall") is None

    with db.uow() as uow:  # committed after this thread's connection first read
        uow.session.add(_asset("wall", 1))
        roof_row = uow.assets.find("acme", "image", "upload", "roof")
        assert roof_row is not None
        roof_row.version = 2
        uow.commit()
    wall, roof = find("acme", "image", "upload", "wall"), find("acme", "image", "upload", "roof")
    assert wall is not None and roof is not None and roof.version == 2

    seen: list[object] = []
    other = threading.Thread(target=lambda: seen.append(find("acme", "image", "upload", "wall")))
    other.start()
    other.join()
    assert seen == [wall]

    with db.uow() as uow:
        uow.session.delete(uow.assets.find("acme", "image", "upload", "wall"))
        uow.commit()
    assert find("acme", "image", "upload", "wall") is None
    db.dispose()
