"""Downloads of the SharinPix API (issue 5): a ZIP of originals, streamed.

`POST /api/v1/downloads` (`image_ids[]`, `album_id` for a whole album, or `q`: what
`GET /api/v1/search?q=` finds for the token, all pages, at most `MAX_IMAGE_IDS`) checks that the
token may download every image (`image_download` on its album, a search token matching it
with `download`, or admin; otherwise nothing: 401) and records a `Download` that expires
after `DOWNLOAD_LIFETIME`; its `zip_url` carries an HMAC of the download id made with the
server key, so it works without a bearer token yet cannot be guessed.
`GET /api/v1/organizations/:org/albums/:album/zip` streams an album for a token holding
`image_download` on it (another organization's album is unknown: 404).

The ZIP is produced while it is sent (zipstream-ng): each original is read from the blob
store in chunks and stored uncompressed (JPEG, PNG, WebP… are compressed already), so memory
stays flat whatever the number or size of the images. Entry names are the images' filenames
(with their format's extension), made safe and unique: ` (2)`, ` (3)`… on collisions.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from zipstream import ZIP_STORED, ZipStream

from tessera.auth.abilities import Action, View, authorize
from tessera.db.models import Download
from tessera.db.uow import Database
from tessera.errors import BadRequest, NotFound, Unauthorized
from tessera.services.access import Principal
from tessera.services.albums import check_album_id
from tessera.services.images import facts_of
from tessera.services.params import check_image_ids
from tessera.services.ports import BlobStore
from tessera.services.search import SearchService

log = logging.getLogger(__name__)
DOWNLOAD_LIFETIME: Final = timedelta(hours=1)
MAX_IMAGE_IDS: Final = 1000
MAX_NAME_LENGTH: Final = 150
_READ_CHUNK: Final = 1 << 20
# Characters no archive tool or file system takes in a name, and path separators.
_UNSAFE: Final = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


@dataclass(frozen=True, slots=True)
class ZipEntry:
    name: str
    blob_key: str
    size: int


@dataclass(frozen=True, slots=True)
class ZipPlan:
    """What one ZIP holds, decided (and authorized) before the first byte is sent."""

    filename: str
    entries: tuple[ZipEntry, ...]


def safe_name(filename: str, fallback: str) -> str:
    """One path segment a user can read: no separators, controls or reserved characters,
    no leading dots (hidden files, `..`), at most `MAX_NAME_LENGTH` characters."""
    text = unicodedata.normalize("NFC", filename)
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        text = text[:MAX_NAME_LENGTH - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return text or fallback


def entry_names(images: Sequence[tuple[str, str, str]]) -> list[str]:
    """(filename, format, image id) → unique entry names, in order: `roof.jpg`,
    `roof (2).jpg`… Unique ignoring case, as Windows and macOS extract them."""
    taken: set[str] = set()
    names: list[str] = []
    for filename, format_, image_id in images:
        name = safe_name(filename, image_id)
        extension = "." + format_.lower()
        stem = name[:-len(extension)] if name.lower().endswith(extension) else name
        if format_ in ("jpg", "jpeg") and stem.lower().endswith(".jpeg"):
            stem, extension = stem[:-5], stem[-5:]
        candidate, number = stem + extension, 1
        while candidate.lower() in taken:
            number += 1
            candidate = f"{stem} ({number}){extension}"
        taken.add(candidate.lower())
        names.append(candidate)
    return names


def _plan(filename: str, rows: Sequence[tuple[str, str, str, str, int]]) -> ZipPlan:
    """`rows`: (image id, filename, format, blob key, bytes), in the ZIP's order."""
    names = entry_names([(name, format_, image_id) for image_id, name, format_, _, _ in rows])
    return ZipPlan(filename, tuple(ZipEntry(name, row[3], row[4])
                                   for name, row in zip(names, rows, strict=True)))


class DownloadService:
    def __init__(self, db: Database, blobs: BlobStore, search: SearchService, server_key: str,
                 public_url: str, clock: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._search = search
        self._blobs = blobs
        self._key = hashlib.sha256(b"tessera-download-links\0" + server_key.encode()).digest()
        self._public_url = public_url.rstrip("/")
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- POST /api/v1/downloads -----------------------------------------------------------

    def create(self, principal: Principal, params: Mapping[str, Any]) -> dict[str, Any]:
        """`{id, zip_url}` of a new download. Raises BadRequest, NotFound (an unknown image or
        album), Unauthorized (one image the token may not download: nothing is)."""
        image_ids, album_id, q = (params.get("image_ids"), params.get("album_id"),
                                  params.get("q"))
        org = principal.organization_id
        if image_ids is None and album_id is None and q is not None:
            if not isinstance(q, str):
                raise BadRequest("q must be a string")
            image_ids = self._search.matching_ids(principal, q, MAX_IMAGE_IDS + 1)
            if not image_ids:
                raise BadRequest("No image matches q")
            if len(image_ids) > MAX_IMAGE_IDS:
                raise BadRequest(f"More than {MAX_IMAGE_IDS} images match q")
        with self._db.uow() as uow:
            if image_ids is None and isinstance(album_id, str):
                authorize(principal.abilities, Action.IMAGE_DOWNLOAD, check_album_id(album_id))
                album = uow.albums.find(org, album_id)
                if album is None:
                    raise NotFound("Album not found")
                ids = [r[0] for r in uow.images.zip_rows(org, album_pk=album.id)]
                if not ids:
                    raise BadRequest("The album has no images")
                if len(ids) > MAX_IMAGE_IDS:
                    raise BadRequest(f"The album has more than {MAX_IMAGE_IDS} images: "
                                     "download it from its zip route")
            else:
                ids = check_image_ids(image_ids, limit=MAX_IMAGE_IDS,
                                      missing="Missing required parameter - image_ids "
                                      "(or album_id)")
                found = {image.id: image for image in uow.images.get_many(org, ids)}
                missing = [image_id for image_id in ids if image_id not in found]
                if missing:
                    raise NotFound("Image not found", detail=f"unknown image {missing[0][:64]}")
                names = uow.tag_images.tag_names_of(ids)
                for image in found.values():
                    authorize(principal.abilities, View.IMAGE_DOWNLOAD,
                              image.album.external_id,
                              facts_of(image, names.get(image.id, set())))
            now = self._clock()
            download_id = str(uuid.uuid4())
            uow.downloads.add(Download(id=download_id, organization_id=org, image_ids=ids,
                                       expires_at=now + DOWNLOAD_LIFETIME, created_at=now))
            uow.downloads.delete_expired(now)
            uow.commit()
        log.info("event=download_created download_id=%s images=%d", download_id, len(ids))
        return {"id": download_id, "zip_url": self.zip_url(download_id)}

    def zip_url(self, download_id: str) -> str:
        return (f"{self._public_url}/api/v1/downloads/{download_id}/zip"
                f"?signature={self._signature(download_id)}")

    def _signature(self, download_id: str) -> str:
        return hmac.new(self._key, download_id.encode(), hashlib.sha256).hexdigest()[:43]

    # --- the ZIPs -------------------------------------------------------------------------

    def download_zip(self, download_id: str, signature: str | None) -> ZipPlan:
        """The ZIP of `zip_url`. Raises Unauthorized (bad signature), NotFound (unknown or
        expired)."""
        if not signature or not hmac.compare_digest(
                self._signature(download_id).encode(), signature.encode("utf-8", "replace")):
            raise Unauthorized("Access denied", detail="bad zip_url signature")
        with self._db.uow() as uow:
            row = uow.downloads.get(download_id)
            if row is None or _aware(row.expires_at) <= self._clock():
                raise NotFound("Download not found or expired")
            ids = [str(i) for i in row.image_ids]
            found = {r[0]: r for r in uow.images.zip_rows(row.organization_id, image_ids=ids)}
        # Images trashed since the download was made are left out.
        return _plan(f"download-{download_id[:8]}.zip", [found[i] for i in ids if i in found])

    def album_zip(self, principal: Principal, organization_id: str, album_id: str) -> ZipPlan:
        """`GET /api/v1/organizations/:org/albums/:album/zip`. Raises NotFound (another
        organization, unknown album), Unauthorized (no image_download)."""
        check_album_id(album_id)
        if organization_id != principal.organization_id:
            raise NotFound("Album not found")
        authorize(principal.abilities, Action.IMAGE_DOWNLOAD, album_id)
        with self._db.uow() as uow:
            album = uow.albums.find(principal.organization_id, album_id)
            if album is None:
                raise NotFound("Album not found")
            rows = uow.images.zip_rows(principal.organization_id, album_pk=album.id)
        return _plan(f"{safe_name(album_id, 'album')}.zip", rows)

    def stream(self, plan: ZipPlan) -> ZipStream:
        """The ZIP, produced as it is iterated; `len()` is its exact size."""
        archive = ZipStream(compress_type=ZIP_STORED, sized=True)
        for entry in plan.entries:
            archive.add(self._chunks(entry.blob_key), entry.name, size=entry.size)
        return archive

    def _chunks(self, blob_key: str) -> Iterator[bytes]:
        with self._blobs.open(blob_key) as source:
            while chunk := source.read(_READ_CHUNK):
                yield chunk



def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
