"""Public image links (issue 5): `POST /api/v1/image_external_urls` stores a link to a
transformation of an image, `GET /image_external_urls/:id` follows it without any token.

A link outlives every token: it stores the image and the option hashes (the same hashes as a
transformation token's, seeds 000/001), not a URL, and each visit is answered with the image's
*current* signed delivery URL (its rotation, crop and version as they are now), signed with
the organization's secret, after the redirect base chain without `fl_attachment` (a link is
for showing, not downloading). Once the image is in the trash or gone, or the link cannot be
rendered any more (an overlay image deleted), it answers the placeholder image instead.

Making one needs the token's `image_urls: true` claim and seeing the image (`View.EXTERNAL_URL`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from tessera.auth.abilities import View, authorize
from tessera.db.models import ImageExternalUrl
from tessera.db.uow import Database
from tessera.errors import BadRequest, GrammarError, NotFound, Unauthorized
from tessera.services.access import AccessService, Principal
from tessera.services.image_links import ImageLinks
from tessera.services.images import facts_of
from tessera.services.redirects import RedirectService

log = logging.getLogger(__name__)
MAX_LINKS: Final = 100
PLACEHOLDER_PATH: Final = "/assets/placeholder.png"
_MAX_ID_LENGTH: Final = 36


def _hashes(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise BadRequest("transformations must be a list of option objects")
    return value


def requested_links(params: Mapping[str, Any]) -> tuple[list[tuple[str, list[Any]]], bool]:
    """(image id, option hashes) per link asked for, and whether one object is answered
    (`image_id`) rather than a list (`image_ids[]`, or `images: [{image_id, transformations}]`).

    Raises BadRequest for a missing or malformed parameter.
    """
    if "images" in params:
        items = params["images"]
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise BadRequest("images must be a list of {image_id, transformations} objects")
        links = [(item.get("image_id"), _hashes(item.get("transformations")))
                 for item in items]
        single = False
    elif "image_ids" in params:
        ids = params["image_ids"]
        ids = [ids] if isinstance(ids, str) else ids
        if not isinstance(ids, list):
            raise BadRequest("image_ids must be a list of image ids")
        shared = _hashes(params.get("transformations"))
        links = [(image_id, shared) for image_id in ids]
        single = False
    elif "image_id" in params:
        links = [(params["image_id"], _hashes(params.get("transformations")))]
        single = True
    else:
        raise BadRequest("Missing required parameter - image_id")
    if not links:
        raise BadRequest("No image to link")
    if len(links) > MAX_LINKS:
        raise BadRequest(f"At most {MAX_LINKS} links a request")
    if not all(isinstance(image_id, str) and image_id for image_id, _ in links):
        raise BadRequest("image ids must be non-empty strings")
    return [(str(image_id), hashes) for image_id, hashes in links], single


class ExternalUrlService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks,
                 redirects: RedirectService, public_url: str) -> None:
        self._db = db
        self._access = access
        self._links = links
        self._redirects = redirects
        self._public_url = public_url.rstrip("/")

    def url_of(self, link_id: str) -> str:
        return f"{self._public_url}/image_external_urls/{link_id}"

    def create(self, principal: Principal, params: Mapping[str, Any]) -> Any:
        """`{id, image_id, url}` per link, all stored or none. Raises BadRequest, NotFound
        (an image unknown in the organization), Unauthorized (no image_urls, image not
        visible), GrammarError (bad option values)."""
        wanted, single = requested_links(params)
        org = principal.organization_id
        now = datetime.now(UTC)
        with self._db.uow() as uow:
            rows = []
            names = uow.tag_images.tag_names_of(list({image_id for image_id, _ in wanted}))
            for image_id, hashes in wanted:
                image = uow.images.get(org, image_id)
                if image is None:
                    raise NotFound("Image not found", detail=f"unknown image {image_id[:64]}")
                authorize(principal.abilities, View.EXTERNAL_URL, image.album.external_id,
                          facts_of(image, names.get(image.id, set())))
                # Checked now, with the maker's abilities (overlay images it may see).
                self._redirects.chain_for(uow, org, hashes, download=False, principal=principal)
                rows.append(ImageExternalUrl(id=str(uuid.uuid4()), organization_id=org,
                                             image_id=image.id, transformations=hashes,
                                             user_id=principal.abilities.user_id,
                                             created_at=now))
            uow.external_urls.add_many(rows)
            uow.commit()
        log.info("event=external_urls_created count=%d", len(rows))
        answers = [{"id": row.id, "image_id": row.image_id, "url": self.url_of(row.id)}
                   for row in rows]
        return answers[0] if single else answers

    def target(self, link_id: str) -> str:
        """The current delivery URL of the link, or the placeholder's once its image cannot
        be shown. Raises NotFound for an unknown link."""
        return self._delivery_url(link_id) or self._public_url + PLACEHOLDER_PATH

    def _delivery_url(self, link_id: str) -> str | None:
        if not link_id or len(link_id) > _MAX_ID_LENGTH:
            raise NotFound("Link not found")
        with self._db.uow() as uow:
            link = uow.external_urls.get(link_id)
            if link is None:
                raise NotFound("Link not found")
            image = uow.images.get(link.organization_id, link.image_id)
            if image is None:  # trashed (or gone)
                return None
            try:
                transformation = self._redirects.chain_for(
                    uow, link.organization_id, link.transformations, download=False,
                    principal=None)
                secret = self._access.organization_secret(link.organization_id)
            except (NotFound, GrammarError, Unauthorized) as exc:
                # An overlay image deleted since, or no active secret left to sign with.
                log.info("event=external_url_unrenderable link_id=%s reason=%s", link_id,
                         type(exc).__name__)
                return None
            return self._links.delivery_url(image, transformation, secret)
