"""Remote imports of the SharinPix API (issue 5): `POST /api/v1/imports` records an import of
a URL into an album and queues it; a background worker fetches it (SSRF-safe, size and time
limits: `tessera.fetch.remote`), runs the bytes through the upload pipeline (same probing and
refusals as an upload) and registers the image; `GET /api/v1/imports/:id` tells how it went.

Both routes need `image_upload` on the album. An import is `pending`, `running`, then `done`
(with `image_id`) or `failed` (with `error`); a failed import leaves no blob and no row behind
but its own. The job is the import id: the worker claims the row in the database, so a
restarted server resumes pending imports and two workers never run the same one.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

from tessera.auth.abilities import Action, authorize
from tessera.db.models import Import
from tessera.db.uow import Database
from tessera.errors import BadRequest, NotFound, TesseraError
from tessera.fetch.remote import RemoteFetcher, check_headers, check_url
from tessera.metrics import Metrics
from tessera.services.access import Principal
from tessera.services.albums import AlbumService, check_album_id
from tessera.services.image_json import iso_time
from tessera.services.images import ImageService, clean_metadatas
from tessera.services.ports import JobQueue
from tessera.services.upload_params import UploadParams
from tessera.services.uploads import IncomingFile, UploadService

log = logging.getLogger(__name__)
MAX_URL_LENGTH: Final = 4096
MAX_FILENAME_LENGTH: Final = 255
RESUME_BATCH: Final = 1000
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


def import_json(row: Import, album_external_id: str) -> dict[str, Any]:
    return {"id": row.id, "album_id": album_external_id, "url": row.url,
            "filename": row.filename, "status": row.status, "image_id": row.image_id,
            "error": row.error, "created_at": iso_time(row.created_at),
            "updated_at": iso_time(row.updated_at)}


def _optional_text(params: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise BadRequest(f"{name} must be a string of at most {limit} printable characters")
    return value


class ImportService:
    def __init__(self, db: Database, albums: AlbumService, uploads: UploadService,
                 images: ImageService, fetcher: RemoteFetcher, queue: JobQueue,
                 metrics: Metrics, *, work_dir: Path, timeout: float,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._albums = albums
        self._uploads = uploads
        self._images = images
        self._fetcher = fetcher
        self._queue = queue
        self._metrics = metrics
        self._work_dir = work_dir
        # A `running` import untouched this long was abandoned by a worker that died.
        self._stale_after = timedelta(seconds=max(60.0, 5 * timeout))
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- the routes ---------------------------------------------------------------------------

    def create(self, principal: Principal, params: Mapping[str, Any]) -> dict[str, Any]:
        """`POST /api/v1/imports`: `album_id`, `url`, optional `filename`, `metadatas`,
        `request_headers` (or `headers`). Raises BadRequest, Unauthorized (no image_upload)."""
        album_id = params.get("album_id")
        if not isinstance(album_id, str) or not album_id:
            raise BadRequest("Missing required parameter - album_id")
        authorize(principal.abilities, Action.IMAGE_UPLOAD, check_album_id(album_id))
        url = params.get("url")
        if not isinstance(url, str) or not url:
            raise BadRequest("Missing required parameter - url")
        if len(url) > MAX_URL_LENGTH:
            raise BadRequest(f"url is longer than {MAX_URL_LENGTH} characters")
        check_url(url)
        import_type = params.get("import_type", "url")
        if import_type != "url":
            raise BadRequest("import_type must be url")
        filename = _optional_text(params, "filename", MAX_FILENAME_LENGTH)
        metadatas = clean_metadatas(params.get("metadatas"))
        raw_headers = params.get("request_headers", params.get("headers")) or {}
        if not isinstance(raw_headers, Mapping):
            raise BadRequest("request_headers must be an object")
        headers = check_headers(raw_headers)
        album = self._albums.ensure(principal, album_id)
        now = self._clock()
        row = Import(id=str(uuid.uuid4()), organization_id=principal.organization_id,
                     album_id=album.id, url=url, filename=filename, metadatas=metadatas,
                     request_headers=headers, status=PENDING, error=None, attempts=0,
                     image_id=None, user_id=principal.abilities.user_id, created_at=now,
                     updated_at=now)
        with self._db.uow() as uow:
            uow.imports.add(row)
            uow.commit()
        log.info("event=import_queued import_id=%s", row.id)
        self._queue.enqueue(row.id)
        return import_json(row, album_id)

    def get(self, principal: Principal, import_id: str) -> dict[str, Any]:
        """`GET /api/v1/imports/:id`. Raises NotFound (unknown or another organization's),
        Unauthorized (no image_upload on its album)."""
        with self._db.uow() as uow:
            row = uow.imports.get(principal.organization_id, import_id)
            album = None
            if row is not None:
                album = next(iter(uow.albums.by_pks([row.album_id])), None)
            if row is None or album is None:
                raise NotFound("Import not found")
            authorize(principal.abilities, Action.IMAGE_UPLOAD, album.external_id)
            return import_json(row, album.external_id)

    # --- the job ------------------------------------------------------------------------------

    def resume(self) -> int:
        """Queue again every import left pending (or abandoned) by a previous run."""
        with self._db.uow() as uow:
            ids = uow.imports.waiting(self._clock() - self._stale_after, RESUME_BATCH)
        for import_id in ids:
            self._queue.enqueue(import_id)
        if ids:
            log.info("event=imports_resumed count=%d", len(ids))
        return len(ids)

    def run(self, import_id: str) -> None:
        """Fetch, store and register one import; records `done` or `failed`."""
        now = self._clock()
        with self._db.uow() as uow:
            if not uow.imports.claim(import_id, now, now - self._stale_after):
                return  # finished, or another worker holds it
            uow.commit()
            row = uow.imports.get_anywhere(import_id)
            assert row is not None
            album = next(iter(uow.albums.by_pks([row.album_id])))
        try:
            image_id = self._import(row, album.external_id)
        except TesseraError as exc:
            self._finish(import_id, FAILED, error=exc.message)
            log.info("event=import_failed import_id=%s code=%s detail=%s", import_id,
                     exc.code, exc.detail)
        except Exception:  # noqa: BLE001 - recorded as failed, never left running
            log.exception("event=import_failed import_id=%s", import_id)
            self._finish(import_id, FAILED, error="Internal error while importing")
        else:
            self._finish(import_id, DONE, image_id=image_id)
            log.info("event=import_done import_id=%s image_id=%s", import_id, image_id)

    def _import(self, row: Import, album_external_id: str) -> str:
        self._work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self._work_dir, prefix="import-") as spooled:
            fetched = self._fetcher.fetch(row.url, row.request_headers,
                                          cast(BinaryIO, spooled))
            spooled.flush()
            filename = row.filename or fetched.filename or "import"
            # The upload form's parameters (albums.upload_form): the same analysis, the same
            # delivery type, the album as tag.
            params = UploadParams(public_id=None, type="authenticated",
                                  tags=(album_external_id,), colors=True, faces=True,
                                  image_metadata=True, phash=True)
            stored = self._uploads.store(row.organization_id, params,
                                         IncomingFile(Path(spooled.name), filename))
        try:
            return self._images.register_stored(row.organization_id, row.album_id,
                                                stored.asset, filename=filename,
                                                metadatas=dict(row.metadatas),
                                                user_id=row.user_id)
        except BaseException:
            self._uploads.discard(stored.asset)
            raise

    def _finish(self, import_id: str, status: str, *, image_id: str | None = None,
                error: str | None = None) -> None:
        with self._db.uow() as uow:
            row = uow.imports.get_anywhere(import_id)
            assert row is not None
            row.status, row.image_id, row.error = status, image_id, error
            # The caller's headers may hold the source's credentials: kept only while needed.
            row.request_headers = {}
            row.updated_at = self._clock()
            uow.commit()
        self._metrics.jobs.labels(job="import", outcome=status).inc()
