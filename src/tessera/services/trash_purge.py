"""The trash's retention (issue 5): images trashed longer than `retention` are deleted for
good, with everything that hangs on them: tag images, search terms, external URLs, the image
row, its asset (no other image uses it: one image per asset), the original blob unless another
asset holds the same bytes, and every derivative (stored under the asset: see
`delivery.derivatives_prefix`).

Rows go first, in one transaction per batch; blobs after the commit, so a crash in between
leaves unreferenced blobs (harmless, purged by nothing worse than an audit) and never a row
pointing at a missing blob. Run hourly by the server and by `tessera purge`; running it on
several nodes at once is safe (deleting what is gone already is a no-op).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from tessera.db.uow import Database
from tessera.media.preview import original_keys
from tessera.services.delivery import derivatives_prefix
from tessera.services.ports import BlobStore

log = logging.getLogger(__name__)
PURGE_BATCH: Final = 200


@dataclass(frozen=True, slots=True)
class PurgeReport:
    images: int = 0
    originals: int = 0
    derivatives: int = 0


class TrashPurgeService:
    def __init__(self, db: Database, blobs: BlobStore, *, retention: timedelta,
                 forget_original: Callable[[str], None] = lambda _key: None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._blobs = blobs
        self._retention = retention
        self._forget_original = forget_original
        self._clock = clock or (lambda: datetime.now(UTC))

    def purge(self, organization_id: str | None = None) -> PurgeReport:
        """Delete every image trashed before now − retention (of one organization only, when
        given); answers what went."""
        cutoff = self._clock() - self._retention
        images = originals = derivatives = 0
        while True:
            with self._db.uow() as uow:
                batch = uow.images.trashed_before(cutoff, PURGE_BATCH, organization_id)
                if not batch:
                    break
                uow.images.purge([image.id for image in batch])
                assets = uow.assets.delete_unused([image.asset_id for image in batch])
                uow.commit()
            images += len(batch)
            for asset in assets:
                derivatives += self._blobs.delete_prefix(derivatives_prefix(asset))
                with self._db.uow() as uow:
                    shared = uow.assets.is_blob_referenced(asset.blob_key)
                if not shared:
                    for key in original_keys(asset.blob_key):
                        self._blobs.delete(key)
                        self._forget_original(key)
                    originals += 1
        report = PurgeReport(images, originals, derivatives)
        if images:
            log.info("event=trash_purged images=%d originals=%d derivatives=%d", images,
                     originals, derivatives)
        return report
