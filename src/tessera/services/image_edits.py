"""Changing images (issue 5): caption, rotation and crop (`PUT /api/v1/images/:id`),
duplicating (`POST /api/v1/images/:id/duplicate`) and moving between albums
(`POST /api/v1/images/move`).

- `image[title]`/`image[description]` need `image_caption`, `image[rotation]` (a multiple of
  90, absolute, normalised to 0/90/180/270) `image_rotate`, `image[crop][x|y|width|height]`
  (pixels of the rotated image, inside it; width = height = 0 removes the crop) `image_crop`;
  a request with any refused field changes nothing (401). Rotation and crop are the `a_…` and
  `c_crop,…` prefix of every URL of the image (`image_links.image_prefix`), so every URL
  changes with them. Rotating a cropped image without a new crop rotates the crop box with
  the image: the same part of the picture stays shown.
- Duplicate: `image_duplicate` on the image's album; into `album_id` (default: the same
  album) with `image_upload` there; `tags=true` copies its tags; the copy shares the blob.
- Move (`move_operations[<image_id>]=<album_id>`): each image needs what deleting it needs
  (`image_delete` on its album, or a search token matching it with `image_delete`: it leaves
  that album) and `image_upload` on its target; all or nothing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from tessera.auth.abilities import IMAGE_HEADER_ACTIONS, Action, View, authorize
from tessera.db.models import Image
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest, NotFound
from tessera.services import search_index
from tessera.services.access import AccessService, Principal
from tessera.services.album_edits import flag_param
from tessera.services.albums import AlbumService, check_album_id
from tessera.services.image_copies import copy_images
from tessera.services.image_json import image_json
from tessera.services.image_links import ImageLinks
from tessera.services.images import ImageView, facts_of, live_image

log = logging.getLogger(__name__)
MAX_TITLE_LENGTH: Final = 1000
MAX_DESCRIPTION_LENGTH: Final = 10_000
MAX_MOVES: Final = 500
_CROP_KEYS: Final = ("x", "y", "width", "height")
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class ImageChanges:
    """What a `PUT /api/v1/images/:id` asks for; None (or absent) is "unchanged"."""

    caption: dict[str, str | None]
    rotation: int | None = None
    crop: Box | None = None

    @property
    def actions(self) -> list[Action]:
        return ([Action.IMAGE_CAPTION] if self.caption else []) \
            + ([Action.IMAGE_ROTATE] if self.rotation is not None else []) \
            + ([Action.IMAGE_CROP] if self.crop is not None else [])


def _text(name: str, value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"image[{name}] must be a string")
    if len(value) > limit:
        raise BadRequest(f"image[{name}] is longer than {limit} characters")
    return value or None  # an empty caption clears it


def _rotation(value: Any) -> int:
    try:
        angle = int(value) if not isinstance(value, bool | float) else None
    except (TypeError, ValueError):
        angle = None
    if angle is None or angle % 90:
        raise BadRequest("image[rotation] must be a multiple of 90")
    return angle % 360


def _crop(value: Any) -> Box:
    if not isinstance(value, Mapping) or set(value) != set(_CROP_KEYS):
        raise BadRequest("image[crop] needs exactly x, y, width and height")
    numbers: list[float] = []
    for key in _CROP_KEYS:
        try:
            number = float(value[key]) if not isinstance(value[key], bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise BadRequest(f"image[crop][{key}] must be a number of pixels, at least 0")
        numbers.append(number)
    x, y, width, height = numbers
    return x, y, width, height


def parse_changes(params: Any) -> ImageChanges:
    """The `image[…]` hash. Raises BadRequest (nothing to change, malformed values)."""
    if not isinstance(params, Mapping) or not params:
        raise BadRequest("Missing required parameter - image")
    unknown = set(params) - {"title", "description", "rotation", "crop"}
    if unknown:
        raise BadRequest(f"Unknown image field {sorted(unknown)[0][:40]!r}")
    caption = {name: _text(name, params[name], limit) for name, limit in (
        ("title", MAX_TITLE_LENGTH), ("description", MAX_DESCRIPTION_LENGTH))
        if name in params}
    return ImageChanges(
        caption=caption,
        rotation=_rotation(params["rotation"]) if "rotation" in params else None,
        crop=_crop(params["crop"]) if "crop" in params else None)


def _frame(image: Image, rotation: int) -> tuple[int, int]:
    """The size crop boxes are measured in: the original turned by `rotation`."""
    width, height = image.asset.width, image.asset.height
    return (height, width) if rotation % 180 else (width, height)


def _turn_box(box: Box, frame: tuple[int, int], quarter_turns: int) -> Box:
    """`box` in `frame` after the picture turns clockwise by `quarter_turns` × 90°."""
    x, y, width, height = box
    frame_width, frame_height = frame
    for _ in range(quarter_turns % 4):
        x, y, width, height = frame_height - y - height, x, height, width
        frame_width, frame_height = frame_height, frame_width
    return x, y, width, height


def _check_inside(box: Box, frame: tuple[int, int]) -> Box:
    x, y, width, height = box
    if width == 0 and height == 0:
        if x or y:
            raise BadRequest("A crop of width and height 0 (no crop) must be at x=0, y=0")
        return box
    if width < 1 or height < 1:
        raise BadRequest("image[crop] width and height must be at least 1 pixel")
    if x + width > frame[0] or y + height > frame[1]:
        raise BadRequest(f"image[crop] must lie inside the {frame[0]}x{frame[1]} image")
    return box


def apply_changes(image: Image, changes: ImageChanges) -> None:
    """Caption, rotation and crop of `changes` onto the row (validated against the image)."""
    for name, value in changes.caption.items():
        setattr(image, name, value)
    rotation = image.rotation if changes.rotation is None else changes.rotation
    box: Box = (image.crop_x, image.crop_y, image.crop_w, image.crop_h)
    if changes.crop is not None:
        box = _check_inside(changes.crop, _frame(image, rotation))
    elif rotation != image.rotation and image.crop_w > 0 and image.crop_h > 0:
        box = _turn_box(box, _frame(image, image.rotation), (rotation - image.rotation) // 90)
    image.rotation = rotation
    image.crop_x, image.crop_y, image.crop_w, image.crop_h = box


class ImageEditService:
    def __init__(self, db: Database, access: AccessService, albums: AlbumService,
                 links: ImageLinks, clock: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._access = access
        self._albums = albums
        self._links = links
        self._clock = clock or (lambda: datetime.now(UTC))

    def update(self, principal: Principal, image_id: str, params: Any) -> ImageView:
        """Raises BadRequest, NotFound, Unauthorized (any field's ability missing)."""
        changes = parse_changes(params)
        with self._db.uow() as uow:
            image = live_image(uow, principal, image_id)
            for action in changes.actions:
                authorize(principal.abilities, action, image.album.external_id)
            apply_changes(image, changes)
            image.updated_at = self._clock()
            if changes.caption:
                search_index.reindex(uow, image)
            uow.commit()
            return self._view(principal, image)

    def duplicate(self, principal: Principal, image_id: str, album_id: Any,
                  tags: Any) -> ImageView:
        """Raises BadRequest, NotFound, Unauthorized."""
        with_tags = flag_param("tags", tags)
        if album_id is not None and not isinstance(album_id, str):
            raise BadRequest("album_id must be a string")
        with self._db.uow() as uow:
            source_album = live_image(uow, principal, image_id).album.external_id
        authorize(principal.abilities, Action.IMAGE_DUPLICATE, source_album)
        target = check_album_id(album_id) if album_id else source_album
        if target != source_album:
            authorize(principal.abilities, Action.IMAGE_UPLOAD, target)
        album = self._albums.ensure(principal, target)
        with self._db.uow() as uow:
            image = live_image(uow, principal, image_id)
            if image.album.external_id != source_album:
                raise NotFound("Image not found")  # moved meanwhile: ask again
            (copy,) = copy_images(uow, [image], album.id, with_tags=with_tags,
                                  now=self._clock())
            uow.commit()
            log.info("event=image_duplicated image_id=%s copy_id=%s", image.id, copy.id)
            return self._view(principal, live_image(uow, principal, copy.id))

    def move(self, principal: Principal, operations: Any) -> list[dict[str, Any]]:
        """Raises BadRequest, NotFound (an unknown image: nothing moves), Unauthorized."""
        moves = self._check_moves(operations)
        org = principal.organization_id
        with self._db.uow() as uow:
            self._authorize_moves(uow, principal, moves)
        albums = {album_id: self._albums.ensure(principal, album_id)
                  for album_id in sorted(set(moves.values()))}
        with self._db.uow() as uow:
            # Again in the writing unit: an image may have moved meanwhile.
            self._authorize_moves(uow, principal, moves)
            targets = {album.external_id: album
                       for album in uow.albums.find_many(org, list(albums))}
            images = {image.id: image for image in uow.images.get_many(org, list(moves))}
            now = self._clock()
            for image_id, album_id in moves.items():
                if album_id not in targets:
                    raise NotFound("Album not found")  # merged away meanwhile
                image = images[image_id]
                if image.album_id != targets[album_id].id:
                    image.album = targets[album_id]
                    image.updated_at = now
            uow.commit()
            _key, secret = self._access.signing_secret(principal)
            log.info("event=images_moved count=%d", len(moves))
            return [image_json(images[image_id], self._links, secret) for image_id in moves]

    @staticmethod
    def _check_moves(operations: Any) -> dict[str, str]:
        if not isinstance(operations, Mapping) or not operations:
            raise BadRequest("Missing required parameter - move_operations")
        if len(operations) > MAX_MOVES:
            raise BadRequest(f"At most {MAX_MOVES} move_operations")
        moves: dict[str, str] = {}
        for image_id, album_id in operations.items():
            if not isinstance(album_id, str):
                raise BadRequest("move_operations[<image_id>] must be an album id")
            moves[str(image_id)] = check_album_id(album_id)
        return moves

    @staticmethod
    def _authorize_moves(uow: UnitOfWork, principal: Principal,
                         moves: dict[str, str]) -> None:
        found = {image.id: image for image in uow.images.get_many(
            principal.organization_id, list(moves))}
        missing = [image_id for image_id in moves if image_id not in found]
        if missing:
            raise NotFound("Image not found", detail=f"unknown image {missing[0][:64]}")
        names = uow.tag_images.tag_names_of(list(found))
        for image_id, album_id in moves.items():
            image = found[image_id]
            authorize(principal.abilities, View.IMAGE_DELETE, image.album.external_id,
                      facts_of(image, names.get(image.id, set())))
            authorize(principal.abilities, Action.IMAGE_UPLOAD, album_id)

    def _view(self, principal: Principal, image: Image) -> ImageView:
        _key, secret = self._access.signing_secret(principal)
        album_id = image.album.external_id
        return ImageView(image_json(image, self._links, secret),
                         principal.abilities.access_headers(album_id, IMAGE_HEADER_ACTIONS))
