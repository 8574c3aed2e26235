"""Creating, renaming (and merging), duplicating albums and recording `upload_done`
(issue 5).

- Create (`POST /api/v1/albums`): SharinPix creates albums on first use, so creating is
  idempotent: any ability on the id (or admin) creates it, an existing album is answered as is.
- Rename (`PUT /api/v1/albums/:id`, `album[public_id]`): `rename` on the album, and any ability
  on the new id (without one a token may not even learn whether that album exists: 401). Onto
  an existing album the rename is refused (409) unless `merge=true`, which needs
  `image_upload` on the target (it puts images there) and moves every image of the album
  (trashed ones too), its events and imports into the target, then removes it.
- Duplicate (`POST /api/v1/albums/:id/duplicate`, `album[public_id]` or `new_album_id`):
  `image_duplicate` on the album and `image_upload` on the new id, which must be new (409);
  copies share the originals' blobs (`image_copies`), `tags=true` copies their tags.
- upload_done (`POST /api/v1/albums/:id/upload_done`): `image_upload`; the posted params are
  kept as an `AlbumEvent` (a client says an upload batch is over).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from tessera.auth.abilities import Action, authorize
from tessera.db.models import Album, AlbumEvent
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest, Conflict, NotFound, Unauthorized
from tessera.services.access import Principal
from tessera.services.albums import AlbumRef, AlbumService, AlbumView, check_album_id
from tessera.services.image_copies import copy_images
from tessera.services.image_json import iso_time
from tessera.services.upload_params import parse_bool

log = logging.getLogger(__name__)
MAX_DUPLICATED_IMAGES: Final = 5000
MAX_EVENT_PAYLOAD: Final = 16 * 1024


def album_id_param(value: Any, name: str) -> str:
    """A new album id from the request. Raises BadRequest (missing or malformed)."""
    if value is None or value == "":
        raise BadRequest(f"Missing required parameter - {name}")
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return check_album_id(value)


def flag_param(name: str, value: Any) -> bool:
    """`true`/`false`/`1`/`0` as a query or form value, or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if value is None or isinstance(value, str):
        return parse_bool(name, value)
    raise BadRequest(f"Invalid value for {name} (expected true or false)")


def nested_album_id(params: Mapping[str, Any], *aliases: str) -> Any:
    """`album[public_id]`, else the first of `aliases` present."""
    album = params.get("album")
    if isinstance(album, Mapping) and "public_id" in album:
        return album["public_id"]
    return next((params[name] for name in aliases if name in params), None)


class AlbumEditService:
    def __init__(self, db: Database, albums: AlbumService,
                 clock: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._albums = albums
        self._clock = clock or (lambda: datetime.now(UTC))

    def create(self, principal: Principal, album_id: Any) -> AlbumView:
        """Raises BadRequest, Unauthorized (no ability on the id)."""
        album_id = album_id_param(album_id, "album[public_id]")
        self._require_any(principal, album_id)
        return self._albums.view(principal, self._albums.ensure(principal, album_id))

    def rename(self, principal: Principal, album_id: str, new_id: Any,
               merge: Any) -> AlbumView:
        """Raises BadRequest, Unauthorized, NotFound (no such album), Conflict."""
        authorize(principal.abilities, Action.RENAME, check_album_id(album_id))
        new_id = album_id_param(new_id, "album[public_id]")
        merging = flag_param("merge", merge)
        self._require_any(principal, new_id)
        with self._db.uow() as uow:
            album = self._existing(uow, principal, album_id)
            if new_id == album_id:
                return self._albums.view(principal, AlbumRef.of(album))
            target = uow.albums.find(principal.organization_id, new_id)
            if target is None:
                album.external_id = new_id
                self._record(uow, principal, album.id, "rename", {"from": album_id, "to": new_id})
                kept = album
            else:
                if not merging:
                    raise Conflict("An album with this id exists; merge=true moves the "
                                   "images into it")
                authorize(principal.abilities, Action.IMAGE_UPLOAD, new_id)
                self._record(uow, principal, target.id, "merge", {"from": album_id, "to": new_id})
                uow.albums.merge_into(album, target)
                kept = target
            uow.commit()
            ref = AlbumRef.of(kept)
        log.info("event=album_renamed merged=%s", target is not None)
        return self._albums.view(principal, ref)

    def duplicate(self, principal: Principal, album_id: str, new_id: Any,
                  tags: Any) -> AlbumView:
        """Raises BadRequest, Unauthorized, NotFound (no such album), Conflict (new id
        taken)."""
        authorize(principal.abilities, Action.IMAGE_DUPLICATE, check_album_id(album_id))
        new_id = album_id_param(new_id, "album[public_id]")
        with_tags = flag_param("tags", tags)
        authorize(principal.abilities, Action.IMAGE_UPLOAD, new_id)
        org = principal.organization_id
        with self._db.uow() as uow:
            source = self._existing(uow, principal, album_id)
            if uow.albums.find(org, new_id) is not None:
                raise Conflict("An album with this id exists already")
            if uow.albums.count_images(source.id) > MAX_DUPLICATED_IMAGES:
                raise BadRequest(f"At most {MAX_DUPLICATED_IMAGES} images are duplicated "
                                 "at once")
            now = self._clock()
            target = Album(id=str(uuid.uuid4()), organization_id=org, external_id=new_id,
                           views_count=0, created_at=now)
            uow.albums.add(target)
            uow.flush()  # a concurrent creation of the same id: Conflict
            copies = copy_images(uow, uow.images.in_album(source.id), target.id,
                                 with_tags=with_tags, now=now)
            self._record(uow, principal, target.id, "duplicate",
                         {"from": album_id, "images_count": len(copies), "tags": with_tags})
            uow.commit()
            ref = AlbumRef.of(target)
        log.info("event=album_duplicated images=%d", len(copies))
        return self._albums.view(principal, ref)

    def upload_done(self, principal: Principal, album_id: str,
                    params: Mapping[str, Any]) -> dict[str, Any]:
        """Raises BadRequest (payload over 16 KiB), Unauthorized (no image_upload)."""
        authorize(principal.abilities, Action.IMAGE_UPLOAD, check_album_id(album_id))
        payload = {str(k): v for k, v in params.items() if k != "token"}
        if len(json.dumps(payload)) > MAX_EVENT_PAYLOAD:
            raise BadRequest(f"The upload_done parameters exceed {MAX_EVENT_PAYLOAD} bytes")
        ref = self._albums.ensure(principal, album_id)
        with self._db.uow() as uow:
            event = self._record(uow, principal, ref.id, "upload_done", payload)
            uow.commit()  # an album merged away meanwhile: Conflict
        return {"id": event.id, "kind": event.kind, "album_id": album_id,
                "user_id": event.user_id, "payload": payload,
                "created_at": iso_time(event.created_at)}

    @staticmethod
    def _require_any(principal: Principal, album_id: str) -> None:
        if not principal.abilities.has_any_on(album_id):
            raise Unauthorized("Access denied", detail=f"no ability on album {album_id}")

    @staticmethod
    def _existing(uow: UnitOfWork, principal: Principal, album_id: str) -> Album:
        album = uow.albums.find(principal.organization_id, album_id)
        if album is None:
            raise NotFound("Album not found")
        return album

    def _record(self, uow: UnitOfWork, principal: Principal, album_pk: str, kind: str,
                payload: dict[str, Any]) -> AlbumEvent:
        event = AlbumEvent(id=str(uuid.uuid4()), organization_id=principal.organization_id,
                           album_id=album_pk, kind=kind, user_id=principal.abilities.user_id,
                           payload=payload, created_at=self._clock())
        uow.album_events.add(event)
        return event
