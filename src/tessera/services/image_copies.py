"""Copies of images that share the original's blob (album and image duplicate, issue 5).

`images.asset_id` is unique, so a copy gets its own `Asset` row: a new public_id (its delivery
URLs differ from the original's) pointing at the same content-addressed `blob_key`, with the
stored analysis copied. No blob is written; blobs are only ever deleted when no asset refers
to them any more (`AssetRepository.is_blob_referenced`), so trashing or overwriting the
original never takes the copy's pixels away.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from tessera.db.models import Asset, Image, TagImage
from tessera.db.uow import UnitOfWork
from tessera.services import search_index
from tessera.services.upload_params import random_public_id


def _fresh_public_id(uow: UnitOfWork, source: Asset) -> str:
    while True:
        candidate = random_public_id()
        if uow.assets.find(source.organization_id, source.resource_type, source.type,
                           candidate) is None:
            return candidate


def _asset_copy(uow: UnitOfWork, source: Asset, now: datetime) -> Asset:
    return Asset(
        organization_id=source.organization_id, asset_id=uuid.uuid4().hex,
        public_id=_fresh_public_id(uow, source), resource_type=source.resource_type,
        type=source.type, version=source.version, version_id=secrets.token_hex(16),
        format=source.format, width=source.width, height=source.height, pages=source.pages,
        bytes=source.bytes, etag=source.etag, blob_key=source.blob_key,
        original_filename=source.original_filename, tags=list(source.tags),
        context=dict(source.context), analysis=dict(source.analysis), created_at=now)


def copy_images(uow: UnitOfWork, images: Sequence[Image], album_pk: str, *, with_tags: bool,
                now: datetime) -> list[Image]:
    """New images in `album_pk`, one per image of `images` (same order), with the original's
    caption, rotation, crop, metadatas and upload facts (`infos` keeps the original upload
    result, as uploaded) and uploader; with `with_tags`, the same tags. Indexed for search;
    the caller commits."""
    copies: list[Image] = []
    for index, image in enumerate(images):
        # A microsecond apart: the album's order (created_at, id) stays the originals' order.
        created_at = now + timedelta(microseconds=index)
        asset = _asset_copy(uow, image.asset, now)
        uow.assets.add(asset)
        copies.append(Image(
            id=str(uuid.uuid4()), organization_id=image.organization_id, album_id=album_pk,
            asset=asset, user_id=image.user_id, infos=dict(image.infos),
            exifs=dict(image.exifs), metadatas=dict(image.metadatas),
            gps_exifs=image.gps_exifs, gps_html=image.gps_html, taken_at=image.taken_at,
            filename=image.filename, color=image.color, rotation=image.rotation,
            crop_x=image.crop_x, crop_y=image.crop_y, crop_w=image.crop_w,
            crop_h=image.crop_h, title=image.title, description=image.description,
            page=image.page, group_id=image.group_id, created_at=created_at,
            updated_at=created_at,
            annotation_svg=image.annotation_svg, annotation_object=image.annotation_object))
    uow.images.add_all(copies)
    if with_tags:
        copy_of = {image.id: copy.id for image, copy in zip(images, copies, strict=True)}
        for image_id, tag_id, user_id in uow.tag_images.links_of(list(copy_of)):
            uow.tag_images.add(TagImage(id=str(uuid.uuid4()),
                                        organization_id=copies[0].organization_id,
                                        tag_id=tag_id, image_id=copy_of[image_id],
                                        user_id=user_id, created_at=now))
    for copy in copies:
        search_index.reindex(uow, copy)
    return copies
