"""Reading images (issue 5): an album's images a page at a time, a signed delivery URL of an
image, its uploader, and the `updated_at` of images a client keeps in sync.

- `GET /api/v1/albums/:album_id/images`: `image_list` on the album; image JSON (seed 004
  shape), oldest first (`created_at`, then id: stable across pages), `page`/`per_page`
  (default 30, at most 100), with `X-Total-Count`, `X-Page` and `X-Per-Page` headers. An album
  never used yet has no images (it is not created by listing it).
- `GET /api/v1/images/:id/image_url`: `{"url": …}`, the signed delivery URL of the image as
  displayed (its rotation and crop), for anyone who may read the image JSON; with
  `transformations` (SharinPix option hashes, as tokens carry them: nested params or JSON
  text) the token also needs `image_transform` on the album.
- `GET /api/v1/images/:id/user`: `{"id": <user_id>}` of the token that uploaded it (null when
  the upload carried none); Tessera keeps no other user facts.
- `GET /api/v1/image_syncs?ids[]=…`: `[{id, updated_at}]` for the ids the token may read, in
  the order asked; an id missing from the answer is unknown, trashed or out of reach.
"""

from __future__ import annotations

import json
from typing import Any, Final

from tessera.auth.abilities import Action, View, allows, authorize
from tessera.db.models import Image
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest
from tessera.grammar.ast import Transformation
from tessera.services.access import AccessService, Principal
from tessera.services.albums import check_album_id
from tessera.services.image_json import image_json, iso_time
from tessera.services.image_links import ImageLinks
from tessera.services.images import authorized_image, facts_of
from tessera.services.pagination import Listing, PageRequest
from tessera.services.redirects import RedirectService

MAX_SYNC_IDS: Final = 500


def _hashes(value: Any) -> list[Any]:
    """`transformations` as nested params (a list or one hash) or as JSON text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise BadRequest("transformations must be a list of option hashes") from exc
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise BadRequest("transformations must be a list of option hashes")
    return value


class ImageQueryService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks,
                 redirects: RedirectService) -> None:
        self._db = db
        self._access = access
        self._links = links
        self._redirects = redirects

    def album_images(self, principal: Principal, album_id: str,
                     request: PageRequest) -> Listing:
        """Raises BadRequest, Unauthorized (no image_list)."""
        authorize(principal.abilities, Action.IMAGE_LIST, check_album_id(album_id))
        _key, secret = self._access.signing_secret(principal)
        with self._db.uow() as uow:
            album = uow.albums.find(principal.organization_id, album_id)
            if album is None:
                return Listing.of([], request, 0)
            total = uow.albums.count_images(album.id)
            images = uow.images.in_album(album.id, offset=request.offset,
                                         limit=request.per_page)
            return Listing.of([image_json(image, self._links, secret) for image in images],
                              request, total)

    def image_url(self, principal: Principal, image_id: str,
                  transformations: Any) -> dict[str, str]:
        """Raises BadRequest, GrammarError, NotFound, Unauthorized."""
        with self._db.uow() as uow:
            image = self._readable(uow, principal, image_id)
            transformation = Transformation()
            if transformations not in (None, "", []):
                authorize(principal.abilities, Action.IMAGE_TRANSFORM,
                          image.album.external_id)
                transformation = self._redirects.options_transformation(
                    uow, principal, _hashes(transformations))
            _key, secret = self._access.signing_secret(principal)
            return {"url": self._links.delivery_url(image, transformation, secret)}

    def user(self, principal: Principal, image_id: str) -> dict[str, str | None]:
        """Raises NotFound, Unauthorized."""
        with self._db.uow() as uow:
            return {"id": self._readable(uow, principal, image_id).user_id}

    def syncs(self, principal: Principal, ids: Any) -> list[dict[str, Any]]:
        """Raises BadRequest (no ids, too many, not strings)."""
        if isinstance(ids, str):
            ids = [ids]
        if not isinstance(ids, list) or not ids:
            raise BadRequest("Missing required parameter - ids")
        if len(ids) > MAX_SYNC_IDS:
            raise BadRequest(f"At most {MAX_SYNC_IDS} ids")
        if not all(isinstance(i, str) and i for i in ids):
            raise BadRequest("ids must be non-empty strings")
        wanted = list(dict.fromkeys(ids))
        with self._db.uow() as uow:
            found = {image.id: image for image in uow.images.get_many(
                principal.organization_id, wanted)}
            names = uow.tag_images.tag_names_of(list(found))
            readable = [found[i] for i in wanted if i in found and self._may_read(
                principal, found[i], names.get(i, set()))]
            return [{"id": image.id, "updated_at": iso_time(image.updated_at)}
                    for image in readable]

    @staticmethod
    def _may_read(principal: Principal, image: Image, tags: set[str]) -> bool:
        return allows(principal.abilities, View.IMAGE_JSON, image.album.external_id,
                      facts_of(image, tags))

    def _readable(self, uow: UnitOfWork, principal: Principal, image_id: str) -> Image:
        image = authorized_image(uow, principal, image_id, View.IMAGE_JSON)
        return image
