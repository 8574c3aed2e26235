"""The trash of the SharinPix API (issue 5): deleting an image moves it there, the trash lists
and restores.

A trashed image keeps its row, its tags and its blob; `deleted_at` hides it from every other
use case (the repositories' ordinary reads skip it), so its JSON, its album listings, its
redirect and thumbnail links and its delivery URLs answer 404 until it is restored. Deleting
needs `image_delete` on the image's album, or a search token matching it with `image_delete`;
listing and restoring need `trash` on the album. A bulk delete is all or nothing.

`forget` drops the in-memory hot derivatives after a deletion (the delivery service's cache),
so a deleted image's URLs stop answering on this node at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from tessera.auth.abilities import Action, View, allows, authorize
from tessera.db.models import Asset, Image
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest, NotFound
from tessera.grammar.ast import Transformation
from tessera.services.access import AccessService, Principal
from tessera.services.albums import check_album_id
from tessera.services.delivery import Delivered
from tessera.services.image_json import iso_time
from tessera.services.image_links import THUMBNAIL_CHAINS, ImageLinks, chain, shown
from tessera.services.images import facts_of
from tessera.services.params import check_image_ids

log = logging.getLogger(__name__)
TRASH_PAGE_SIZE: Final = 100
# The trash's own thumbnail link: 200×200 as `external_urls.large` (seed 004), but served by
# the trash itself, since a trashed image is unknown to delivery URLs.
TRASH_LINK: Final = "trash"
TRASH_CHAIN: Final = THUMBNAIL_CHAINS["large"]


class TrashService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks,
                 forget: Callable[[], None],
                 render: Callable[[Asset, Transformation], Delivered],
                 clock: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._access = access
        self._links = links
        self._forget = forget
        self._render = render
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- deleting -------------------------------------------------------------------------

    def delete(self, principal: Principal, image_id: str) -> None:
        """`DELETE /api/v1/images/:id`. Raises NotFound (unknown, another organization's or
        already trashed), Unauthorized (no image_delete)."""
        self.delete_many(principal, [image_id])

    def delete_many(self, principal: Principal, image_ids: Any) -> list[str]:
        """`DELETE /api/v1/images` (`image_ids[]`): every id must be a deletable image of the
        organization, or nothing is deleted (NotFound for an unknown id, Unauthorized for one
        the token may not delete). Answers the deleted ids, in the order given."""
        ids = check_image_ids(image_ids)
        with self._db.uow() as uow:
            found = {image.id: image for image in uow.images.get_many(
                principal.organization_id, ids)}
            missing = [image_id for image_id in ids if image_id not in found]
            if missing:
                raise NotFound("Image not found", detail=f"unknown image {missing[0][:64]}")
            names = uow.tag_images.tag_names_of(ids)
            for image in found.values():
                authorize(principal.abilities, View.IMAGE_DELETE, image.album.external_id,
                          facts_of(image, names.get(image.id, set())))
            now = self._clock()
            for image in found.values():
                image.deleted_at = now
                image.updated_at = now
            uow.commit()
        self._forget()
        log.info("event=images_trashed count=%d", len(ids))
        return ids

    # --- the trash ------------------------------------------------------------------------

    def list(self, principal: Principal, album_id: str | None,
             page: int = 1) -> list[dict[str, Any]]:
        """`GET /api/v1/trashed_images[?album_id=]`: `{id, deleted_at, thumbnail_url}` of the
        trashed images of the albums the token holds `trash` on, most recent first,
        `TRASH_PAGE_SIZE` a page. With `album_id`, `trash` on that album is required (401)."""
        abilities = principal.abilities
        if album_id is not None:
            authorize(abilities, Action.TRASH, check_album_id(album_id))
            external_ids: frozenset[str] | None = frozenset({album_id})
        else:
            external_ids = abilities.albums_with(Action.TRASH)
            if external_ids is not None and not external_ids:
                return []  # no album with `trash`: nothing to look up
        with self._db.uow() as uow:
            album_pks: list[str] | None = None
            if external_ids is not None:
                album_pks = [album.id for album in uow.albums.find_many(
                    principal.organization_id, sorted(external_ids))]
                if not album_pks:
                    return []
            rows = uow.images.trashed(principal.organization_id, album_pks,
                                      offset=(page - 1) * TRASH_PAGE_SIZE,
                                      limit=TRASH_PAGE_SIZE)
            return [self._trashed_json(image) for image in rows
                    if allows(abilities, Action.TRASH, image.album.external_id)]

    def _trashed_json(self, image: Image) -> dict[str, Any]:
        return {"id": image.id, "deleted_at": iso_time(image.deleted_at),
                "thumbnail_url": self._links.thumbnail_link(image.id, TRASH_LINK)}

    def thumbnail(self, image_id: str, signature: str) -> Delivered:
        """`/images/:id/thumbnails/trash-<signature>.jpg` (the listing's `thumbnail_url`): the
        image's 200×200 thumbnail, in the trash or not; the signature is the proof, as for the
        other thumbnail links. Raises BadRequest `Invalid url`, NotFound."""
        if not self._links.is_thumbnail_signature(image_id, TRASH_LINK, signature):
            raise BadRequest("Invalid url")
        with self._db.uow() as uow:
            image = uow.images.get_anywhere(image_id, trashed=True)
            if image is None:
                raise NotFound("Image not found")
            asset, transformation = image.asset, shown(image, chain(TRASH_CHAIN))
        return self._render(asset, transformation)

    def restore(self, principal: Principal, image_id: str) -> None:
        """`DELETE /api/v1/trashed_images/:image_id`: the image is back, with its tags (they
        were never removed). Raises NotFound (not in the trash), Unauthorized (no trash)."""
        with self._db.uow() as uow:
            image = self._trashed(uow, principal, image_id)
            authorize(principal.abilities, Action.TRASH, image.album.external_id)
            image.deleted_at = None
            image.updated_at = self._clock()
            uow.commit()
        log.info("event=image_restored image_id=%s", image_id)

    @staticmethod
    def _trashed(uow: UnitOfWork, principal: Principal, image_id: str) -> Image:
        image = uow.images.get_trashed(principal.organization_id, image_id)
        if image is None:
            raise NotFound("Image not found in the trash")
        return image

