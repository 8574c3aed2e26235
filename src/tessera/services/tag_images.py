"""`GET /api/v1/tag_images?image_ids[]=…` (seed 003): the tags put on images, each with the
full image JSON, only for images the token may see with their tags (a search token needs
`thumbnail_tags`; an album token `image_list`). Creating tags is the next issue's.
"""

from __future__ import annotations

from typing import Any, Final

from tessera.auth.abilities import View, allows
from tessera.db.uow import Database
from tessera.errors import BadRequest
from tessera.services.access import AccessService, Principal
from tessera.services.image_json import tag_image_json
from tessera.services.image_links import ImageLinks
from tessera.services.images import facts_of

MAX_IMAGE_IDS: Final = 500


class TagImageService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks) -> None:
        self._db = db
        self._access = access
        self._links = links

    def list(self, principal: Principal, image_ids: list[str] | None) -> list[dict[str, Any]]:
        """Tag images of `image_ids` (all of the organization's when None) the token may see;
        others are left out silently, as SharinPix filters a search."""
        if image_ids is not None and len(image_ids) > MAX_IMAGE_IDS:
            raise BadRequest(f"At most {MAX_IMAGE_IDS} image_ids")
        _key, secret = self._access.signing_secret(principal)
        with self._db.uow() as uow:
            rows = uow.tag_images.for_images(principal.organization_id, image_ids)
            names = uow.tag_images.tag_names_of(list({row.image_id for row in rows}))
            return [tag_image_json(row, self._links, secret) for row in rows
                    if allows(principal.abilities, View.TAG_IMAGES,
                              row.image.album.external_id,
                              facts_of(row.image, names.get(row.image_id, set())))]
