"""Albums of the SharinPix API: addressed by any external id, created on first use by a token
holding an ability on that id (issue 4 item 2), and their `upload_form`.

`upload_form` is what a browser needs to upload straight to Tessera's own Cloudinary-compatible
endpoint: the absolute URL (from the configured public URL, never the Host header) and the
signed params, signed with the token's secret (or the organization's first active one), with
`tags` = album id (how the notification finds the album) and a `notification_url` carrying a
server-signed token limited to uploading into this album, so the upload registers itself
even when the client never calls back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from tessera.auth.abilities import ALBUM_ACTIONS, Action
from tessera.auth.signing import api_sign
from tessera.db.models import Album, Image
from tessera.db.uow import Database
from tessera.errors import BadRequest, Conflict, NotFound, Unauthorized
from tessera.services.access import AccessService, Principal
from tessera.services.image_links import ImageLinks
from tessera.services.pagination import Listing, PageRequest
from tessera.services.secrets import SecretService

MAX_ALBUM_ID_LENGTH: Final = 255
# The notification may be retried for ~20 minutes (grammar §9.5); its token outlives that.
NOTIFICATION_TOKEN_LIFETIME: Final = 24 * 3600


@dataclass(frozen=True, slots=True)
class AlbumRef:
    """An album's row values, usable after its unit of work closed."""

    id: str
    external_id: str
    organization_id: str
    views_count: int

    @classmethod
    def of(cls, album: Album) -> AlbumRef:
        return cls(album.id, album.external_id, album.organization_id, album.views_count)


@dataclass(frozen=True, slots=True)
class AlbumView:
    body: dict[str, Any]
    access_headers: dict[str, str]


def check_album_id(album_id: str) -> str:
    if not album_id or len(album_id) > MAX_ALBUM_ID_LENGTH or not album_id.isprintable():
        raise BadRequest(f"Album ids are 1-{MAX_ALBUM_ID_LENGTH} printable characters")
    return album_id


class AlbumService:
    def __init__(self, db: Database, secrets: SecretService, access: AccessService,
                 links: ImageLinks, public_url: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._secrets = secrets
        self._access = access
        self._links = links
        self._public_url = public_url.rstrip("/")
        self._clock = clock

    def ensure(self, principal: Principal, album_id: str) -> AlbumRef:
        """The album `album_id` of the principal's organization, created if new. The caller
        has authorized an ability on it. Concurrent first uses end with the same row."""
        check_album_id(album_id)
        org = principal.organization_id
        for attempt in range(2):
            with self._db.uow() as uow:
                album = uow.albums.find(org, album_id)
                if album is not None:
                    return AlbumRef.of(album)
                album = Album(id=str(uuid.uuid4()), organization_id=org, external_id=album_id,
                              views_count=0, created_at=datetime.now(UTC))
                uow.albums.add(album)
                try:
                    uow.commit()
                except Conflict:
                    if attempt:
                        raise
                    continue
                return AlbumRef.of(album)
        raise AssertionError("unreachable")  # pragma: no cover

    def open(self, principal: Principal, album_id: str) -> AlbumView:
        """`GET /api/v1/albums/:id`: any ability on the id opens (and creates) the album, and
        counts one view (the answer shows the count including it)."""
        check_album_id(album_id)
        if not principal.abilities.has_any_on(album_id):
            raise Unauthorized("Access denied", detail=f"no ability on album {album_id}")
        album = self.ensure(principal, album_id)
        with self._db.uow() as uow:
            views_count = uow.albums.count_view(album.id)
            uow.commit()
        if views_count is None:  # renamed or merged away meanwhile
            raise NotFound("Album not found")
        return self.view(principal, replace(album, views_count=views_count))

    def view(self, principal: Principal, album: AlbumRef) -> AlbumView:
        """The album JSON of `GET /api/v1/albums/:id` and its `X-access-*` headers."""
        api_key, api_secret = self._access.signing_secret(principal)
        with self._db.uow() as uow:
            images_count = uow.albums.count_images(album.id)
            first = uow.albums.first_image(album.id)
            body = self._album_json(principal, album, images_count, first, api_key,
                                    api_secret)
        return AlbumView(body, principal.abilities.access_headers(album.external_id,
                                                                  ALBUM_ACTIONS))

    def list(self, principal: Principal, request: PageRequest) -> Listing:
        """`GET /api/v1/albums`: the existing albums the token holds any ability on (an
        admin: all of the organization's), oldest first, each as `GET /api/v1/albums/:id`
        shows it (without counting a view)."""
        visible = principal.abilities.albums_with_any()
        external_ids = sorted(visible) if visible is not None else None
        if external_ids == []:
            return Listing.of([], request, 0)
        api_key, api_secret = self._access.signing_secret(principal)
        org = principal.organization_id
        with self._db.uow() as uow:
            total = uow.albums.count(org, external_ids)
            albums = [AlbumRef.of(album) for album in uow.albums.page(
                org, external_ids, offset=request.offset, limit=request.per_page)]
            pks = [album.id for album in albums]
            counts = uow.albums.image_counts(pks)
            firsts = uow.albums.first_images(pks)
            body = [self._album_json(principal, album, counts.get(album.id, 0),
                                     firsts.get(album.id), api_key, api_secret)
                    for album in albums]
        return Listing.of(body, request, total)

    def _album_json(self, principal: Principal, album: AlbumRef, images_count: int,
                    first: Image | None, api_key: str, api_secret: str) -> dict[str, Any]:
        can_upload = principal.abilities.can(Action.IMAGE_UPLOAD, album.external_id)
        return {
            "id": album.external_id,
            "public_id": album.id,
            "images_count": images_count,
            "views_count": album.views_count,
            "upload_form": (self.upload_form(principal, album.external_id, api_key,
                                             api_secret) if can_upload else None),
            "organization_id": album.organization_id,
            "thumbnails": self._links.thumbnails(first, api_secret) if first else {},
        }

    def upload_form(self, principal: Principal, album_id: str, api_key: str,
                    api_secret: str) -> dict[str, Any]:
        """URL and signed params; every value a string or a number (the Node client passes
        them to `superagent.field`, which refuses booleans). Valid for the upload endpoint's
        timestamp tolerance."""
        now = int(self._clock())
        claims: dict[str, Any] = {"abilities": {album_id: {"Access": {"image_upload": True}}}}
        if principal.secret_id is not None:
            claims["iss"] = principal.secret_id
        if principal.abilities.user_id is not None:
            claims["user_id"] = principal.abilities.user_id
        token = self._access.codec.sign_until(claims, now + NOTIFICATION_TOKEN_LIFETIME)
        params: dict[str, Any] = {
            "colors": 1,
            "faces": 1,
            "image_metadata": 1,
            "phash": 1,
            "tags": album_id,
            "timestamp": now,
            "type": "authenticated",
            "notification_url": f"{self._public_url}/api/v1/cloudinary?token={quote(token)}",
        }
        params["signature"] = api_sign(params, api_secret)
        params["api_key"] = api_key
        cloud = self._secrets.cloud_of(principal.organization_id)
        return {"url": f"{self._public_url}/v1_1/{cloud}/image/upload", "params": params}
