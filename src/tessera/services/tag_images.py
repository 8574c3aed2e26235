"""Tag images (seed 003): the tags put on images, each answered with the full image JSON.

Listing (`GET /api/v1/tag_images?image_ids[]=&tag_name=&album_id=&image_id=&page=`) shows
only images the token may see with their tags (a search token needs `thumbnail_tags`; an
album token `image_list`); others are left out silently, as SharinPix filters a search.
Tagging (`POST /api/v1/tags/:tag_id_or_name/tag_images`) needs `can_tag` on the album of every
image, or nothing is tagged; it is idempotent, and a tag named in the token's `Tags` section
is created on first use. Untagging (`DELETE /api/v1/tag_images/:id`) needs `can_tag` too.
Both reindex the images they change (their tag names are search terms).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from tessera.auth.abilities import View, allows, authorize
from tessera.db.uow import Database
from tessera.errors import BadRequest, NotFound
from tessera.services import search_index
from tessera.services.access import AccessService, Principal
from tessera.services.image_json import tag_image_json
from tessera.services.image_links import ImageLinks
from tessera.services.images import facts_of
from tessera.services.params import MAX_IMAGE_IDS, check_image_ids
from tessera.services.tags import ensure_tags, find_tag

log = logging.getLogger(__name__)
TAG_IMAGES_PAGE_SIZE: Final = 1000


class TagImageService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._access = access
        self._links = links
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def tag(self, principal: Principal, tag_id_or_name: str,
            image_ids: Any) -> list[dict[str, Any]]:
        """Put the tag on every image of `image_ids`; answers their tag images (the existing
        ones for images already tagged), in the order given. Raises NotFound (unknown image
        or tag), Unauthorized (an image the token may not tag with it)."""
        ids = check_image_ids(image_ids)
        org = principal.organization_id
        abilities = principal.abilities
        with self._db.uow() as uow:
            uow.images.lock(org, ids)  # a concurrent tagging of these images waits here
            images = {image.id: image for image in uow.images.get_many(org, ids)}
            missing = [image_id for image_id in ids if image_id not in images]
            if missing:
                raise NotFound("Image not found", detail=f"unknown image {missing[0][:64]}")
            tag = find_tag(uow, org, tag_id_or_name)
            name = tag.name if tag is not None else tag_id_or_name
            if tag is None and name not in abilities.named_tags():
                raise NotFound("Tag not found")
            for image in images.values():
                authorize(abilities, View.TAG_IMAGE, image.album.external_id, tag=name)
            now = self._now()
            if tag is None:
                tag = ensure_tags(uow, org, [name], now).get(name)
                if tag is None:  # a name no tag can have
                    raise NotFound("Tag not found")
            tagged = {row.image_id for row in uow.tag_images.find(tag.id, ids)}
            new = [image_id for image_id in ids if image_id not in tagged]
            uow.tag_images.add_missing([
                {"id": str(uuid.uuid4()), "organization_id": org, "tag_id": tag.id,
                 "image_id": image_id, "user_id": abilities.user_id, "created_at": now}
                for image_id in new])
            for image_id in new:
                search_index.reindex(uow, images[image_id])
            rows = {row.image_id: row for row in uow.tag_images.find(tag.id, ids)}
            uow.commit()
            _key, secret = self._access.signing_secret(principal)
            log.info("event=images_tagged tag_id=%s count=%d new=%d", tag.id, len(ids),
                     len(new))
            return [tag_image_json(rows[image_id], self._links, secret) for image_id in ids]

    def untag(self, principal: Principal, tag_image_id: str) -> None:
        """`DELETE /api/v1/tag_images/:id`. Raises NotFound (unknown, another organization's,
        of a trashed image), Unauthorized (the token may not take that tag off)."""
        with self._db.uow() as uow:
            row = uow.tag_images.get(principal.organization_id, tag_image_id)
            if row is None:
                raise NotFound("Tag image not found")
            image = row.image
            authorize(principal.abilities, View.TAG_IMAGE, image.album.external_id,
                      tag=row.tag.name)
            uow.images.lock(principal.organization_id, [image.id])
            if not uow.tag_images.remove(row.id):
                raise NotFound("Tag image not found")
            search_index.reindex(uow, image)
            uow.commit()
        log.info("event=image_untagged tag_image_id=%s", tag_image_id)

    def list(self, principal: Principal, image_ids: list[str] | None, *,
             tag_name: str | None = None, album_id: str | None = None,
             image_id: str | None = None, page: int = 1) -> list[dict[str, Any]]:
        """Tag images of `image_ids` (all of the organization's when None), narrowed by every
        filter given, oldest first, `TAG_IMAGES_PAGE_SIZE` rows a page before filtering."""
        if image_ids is not None and len(image_ids) > MAX_IMAGE_IDS:
            raise BadRequest(f"At most {MAX_IMAGE_IDS} image_ids")
        if image_id is not None:
            image_ids = [i for i in (image_ids or [image_id]) if i == image_id]
        _key, secret = self._access.signing_secret(principal)
        org = principal.organization_id
        with self._db.uow() as uow:
            tag_id = album_pk = None
            if tag_name is not None:
                tag = uow.tags.find_by_name(org, tag_name)
                if tag is None:
                    return []
                tag_id = tag.id
            if album_id is not None:
                album = uow.albums.find(org, album_id)
                if album is None:
                    return []
                album_pk = album.id
            rows = uow.tag_images.for_images(org, image_ids, TAG_IMAGES_PAGE_SIZE,
                                             tag_id=tag_id, album_pk=album_pk,
                                             offset=(page - 1) * TAG_IMAGES_PAGE_SIZE)
            names = uow.tag_images.tag_names_of(list({row.image_id for row in rows}))
            return [tag_image_json(row, self._links, secret) for row in rows
                    if allows(principal.abilities, View.TAG_IMAGES,
                              row.image.album.external_id,
                              facts_of(row.image, names.get(row.image_id, set())))]
