"""Images of the SharinPix API: register an upload in an album (seed 004, and the
notification_url route), read one image (seed 002).

Registration verifies the posted upload result against the stored asset
(`services.upload_results`); the image's facts (size, format, EXIF, GPS, capture time) come
from that asset. One image per asset: whichever of the two registration routes arrives first
creates it, the other gets the same image back (the unique constraint settles races).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tessera.auth.abilities import IMAGE_HEADER_ACTIONS, Action, ImageFacts, View, authorize
from tessera.db.models import Asset, Image
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest, Conflict, NotFound, Unauthorized
from tessera.grammar.url import build_delivery_url
from tessera.services import search_index, upload_results
from tessera.services.access import AccessService, Principal
from tessera.services.albums import AlbumService
from tessera.services.image_json import image_json
from tessera.services.image_links import ImageLinks
from tessera.services.secrets import SecretService

log = logging.getLogger(__name__)
_MAX_METADATAS_KEYS = 200


@dataclass(frozen=True, slots=True)
class ImageView:
    """Image JSON and the `X-access-*` headers of its album abilities (seed 002)."""

    body: dict[str, Any]
    access_headers: dict[str, str]


def facts_of(image: Image, tags: set[str] | None = None) -> ImageFacts:
    return ImageFacts(image_id=image.id, album_id=image.album.external_id,
                      tags=frozenset(tags or ()))


def live_image(uow: UnitOfWork, principal: Principal, image_id: str) -> Image:
    """The organization's image `image_id`, not in the trash. Raises NotFound (another
    organization's image is as unknown as a missing one)."""
    image = uow.images.get(principal.organization_id, image_id)
    if image is None:
        raise NotFound("Image not found")
    return image


def authorized_image(uow: UnitOfWork, principal: Principal, image_id: str,
                     view: View) -> Image:
    """`live_image`, if the token may `view` it (its tags count for search tokens)."""
    image = live_image(uow, principal, image_id)
    tags = uow.tag_images.tag_names_of([image.id]).get(image.id, set())
    authorize(principal.abilities, view, image.album.external_id, facts_of(image, tags))
    return image


def _taken_at(text: str | None) -> datetime | None:
    """`2018:01:01 08:00:00` (EXIF, no zone) → that time in UTC (seed 004 `taken_at`)."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _browser_position(location: Any) -> list[float] | None:
    """`infos.location` (`{latitude, longitude, accuracy}`, seed 002) → `gps_html`."""
    if not isinstance(location, Mapping):
        return None
    try:
        latitude, longitude = float(location["latitude"]), float(location["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return [latitude, longitude]


def _dominant_color(asset: Asset) -> str:
    colors = asset.analysis.get("colors") or []
    # SharinPix answers "#" when it has no colour (seed 004).
    return str(colors[0][0]) if colors and colors[0] else "#"


def clean_metadatas(metadatas: Any) -> dict[str, Any]:
    """`metadatas[…]` as a dict; some clients send `[]` for none (issue 4, observed)."""
    if metadatas in (None, "", []):
        return {}
    if not isinstance(metadatas, Mapping):
        raise BadRequest("metadatas must be an object")
    if len(metadatas) > _MAX_METADATAS_KEYS:
        raise BadRequest(f"metadatas has more than {_MAX_METADATAS_KEYS} keys")
    return {str(k): v for k, v in metadatas.items()}


def _new_image(organization_id: str, album_pk: str, asset: Asset, user_id: str | None,
               infos: dict[str, Any], metadatas: dict[str, Any], *,
               gps_html: list[float] | None, filename: str) -> Image:
    """A new image row of `asset`; its facts (EXIF, GPS, capture time, colour) from the asset."""
    now = datetime.now(UTC)
    facts = asset.analysis
    return Image(
        id=str(uuid.uuid4()), organization_id=organization_id, album_id=album_pk,
        asset_id=asset.id, user_id=user_id, infos=infos,
        exifs=dict(facts.get("image_metadata") or {}), metadatas=metadatas,
        gps_exifs=list(facts["gps"]) if facts.get("gps") else None, gps_html=gps_html,
        taken_at=_taken_at(facts.get("datetime_original")), filename=filename,
        color=_dominant_color(asset), rotation=0, crop_x=0.0, crop_y=0.0, crop_w=0.0,
        crop_h=0.0, title=None, description=None, page=1, group_id=None, created_at=now,
        updated_at=now)


class ImageService:
    def __init__(self, db: Database, secrets: SecretService, access: AccessService,
                 albums: AlbumService, links: ImageLinks, public_url: str) -> None:
        self._db = db
        self._secrets = secrets
        self._access = access
        self._albums = albums
        self._links = links
        self._public_url = public_url

    # --- registration ---------------------------------------------------------------------

    def register(self, principal: Principal, album_id: str, result: Any,
                 metadatas: Any) -> ImageView:
        """`POST /api/v1/albums/:album_id/images` (seed 004). Raises Unauthorized (no
        image_upload, forged result), BadRequest, Conflict (asset already in another album)."""
        authorize(principal.abilities, Action.IMAGE_UPLOAD, album_id)
        if not isinstance(result, Mapping):
            raise BadRequest("Missing required parameter - cloudinary")
        return self._register(principal, album_id, result, clean_metadatas(metadatas))

    def register_notification(self, principal: Principal, result: Any) -> ImageView:
        """`POST /api/v1/cloudinary?token=` (the upload form's notification_url): the album is
        the result's tag (upload_form sets `tags` = album id) the token may upload to."""
        if not isinstance(result, Mapping):
            raise BadRequest("The notification body must be an upload result")
        tags = result.get("tags")
        names = tags.split(",") if isinstance(tags, str) else tags if isinstance(tags, list) \
            else []
        album_id = next((str(t) for t in names
                         if principal.abilities.can(Action.IMAGE_UPLOAD, str(t))), None)
        if album_id is None:
            raise Unauthorized("Access denied", detail="no uploadable album in the tags")
        return self._register(principal, album_id, result, {})

    def _register(self, principal: Principal, album_id: str, result: Mapping[str, Any],
                  metadatas: dict[str, Any]) -> ImageView:
        org = principal.organization_id
        type_, public_id, _version, _signature = upload_results.upload_key(result)
        secrets = self._secrets.active_secrets(org)
        album = self._albums.ensure(principal, album_id)
        for attempt in range(2):
            with self._db.uow() as uow:
                asset = uow.assets.find(org, "image", type_, public_id)
                verified = upload_results.verify(result, asset, secrets, self._original_url)
                existing = uow.images.find_by_asset(verified.asset)
                if existing is not None:
                    return self._registered_again(uow, principal, existing, album_id, metadatas)
                image = _new_image(org, album.id, verified.asset, principal.abilities.user_id,
                                   verified.infos, metadatas,
                                   gps_html=_browser_position(result.get("location")),
                                   filename=str(verified.infos.get("original_filename")
                                                or verified.asset.original_filename))
                uow.images.add(image)
                try:
                    uow.flush()  # the unique asset_id settles a race with the other route
                    search_index.reindex(uow, image)
                    uow.commit()
                except Conflict:
                    if attempt:
                        raise
                    continue  # the other registration route won the race: answer its image
                log.info("event=image_registered image_id=%s", image.id)
                return self._view(uow, principal, image.id, album_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def register_stored(self, organization_id: str, album_pk: str, asset: Asset, *,
                        filename: str, metadatas: dict[str, Any],
                        user_id: str | None) -> str:
        """An asset the server stored itself (a remote import) becomes an image of the album:
        there is no client upload result to verify, its `infos` are what the upload endpoint
        would have answered. Answers the image id."""
        secrets = self._secrets.active_secrets(organization_id)
        if not secrets:
            raise Unauthorized("Access denied", detail="the organization has no active secret")
        infos = {key: upload_results.stringify(value) for key, value in
                 upload_results.authoritative_fields(
                     asset, self._original_url(asset, secrets[0])).items()}
        with self._db.uow() as uow:
            image = _new_image(organization_id, album_pk, asset, user_id, infos, metadatas,
                               gps_html=None, filename=filename)
            uow.images.add(image)
            uow.flush()
            search_index.reindex(uow, image)
            uow.commit()
        log.info("event=image_registered image_id=%s source=import", image.id)
        return image.id

    def _registered_again(self, uow: UnitOfWork, principal: Principal, image: Image,
                          album_id: str, metadatas: dict[str, Any]) -> ImageView:
        if image.album.external_id != album_id:
            raise Conflict("This upload is already registered in another album")
        if image.deleted_at is not None:
            raise Conflict("This upload is registered to an image in the trash")
        log.info("event=image_registered_again image_id=%s", image.id)
        if metadatas:  # the client's callback after the notification: keep what it adds
            image.metadatas = {**image.metadatas, **metadatas}
            image.updated_at = datetime.now(UTC)
            search_index.reindex(uow, image)
            uow.commit()
        return self._view(uow, principal, image.id, album_id)

    def _original_url(self, asset: Asset, secret: str) -> str:
        # The `url` the upload endpoint answered (UploadService.delivery_url).
        return build_delivery_url(asset.public_id,
                                  cloud=self._secrets.cloud_of(asset.organization_id),
                                  type=asset.type, format=asset.format, version=asset.version,
                                  sign_url=asset.type != "upload", api_secret=secret,
                                  base_url=self._public_url)

    # --- reading --------------------------------------------------------------------------

    def get(self, principal: Principal, image_id: str) -> ImageView:
        """`GET /api/v1/images/:id` (seed 002): image_list on its album or a matching search
        token. Another organization's image is as unknown as a missing one (404)."""
        with self._db.uow() as uow:
            image = authorized_image(uow, principal, image_id, View.IMAGE_JSON)
            return self._view(uow, principal, image.id, image.album.external_id)

    def _view(self, uow: UnitOfWork, principal: Principal, image_id: str,
              album_id: str) -> ImageView:
        image = uow.images.get(principal.organization_id, image_id)
        assert image is not None
        _key, secret = self._access.signing_secret(principal)
        return ImageView(image_json(image, self._links, secret),
                         principal.abilities.access_headers(album_id, IMAGE_HEADER_ACTIONS))
