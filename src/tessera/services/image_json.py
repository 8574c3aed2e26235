"""The SharinPix image JSON (seed 004, the full form; seeds 002 and 003 show older subsets).

Pure formatting of an `Image` row: key order and value types as seed 004 shows them —
`infos` as stored (scalars as strings), `size` taken from `infos.bytes` (so a string there),
`width`/`height` integers, crop values floats, dates with milliseconds and an offset.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tessera.db.models import Image, Tag, TagImage
from tessera.services.image_links import ImageLinks


def iso_time(value: datetime | None) -> str | None:
    """`2019-04-08T17:38:54.558+00:00` (seed 004 shape); naive values are UTC (SQLite)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def gps_of(image: Image) -> list[float] | None:
    """EXIF position first, else the browser's (seed 002: `gps` equals `gps_html` then)."""
    return image.gps_exifs or image.gps_html or None


def displayed_size(image: Image) -> tuple[int, int]:
    """Width and height as delivered: rotated, then cropped (the order of the URL prefix,
    `image_links.image_prefix`), so a crop box is measured in the rotated image."""
    if image.crop_w > 0 and image.crop_h > 0:
        return round(image.crop_w), round(image.crop_h)
    width, height = image.asset.width, image.asset.height
    return (height, width) if image.rotation % 180 == 90 else (width, height)


def image_json(image: Image, links: ImageLinks, api_secret: str) -> dict[str, Any]:
    width, height = displayed_size(image)
    asset = image.asset
    return {
        "id": image.id,
        "public_id": image.id,
        "infos": image.infos,
        "exifs": image.exifs,
        "gps": gps_of(image),
        "gps_ip": None,
        "gps_exifs": image.gps_exifs,
        "gps_html": image.gps_html,
        "created_at": iso_time(image.created_at),
        "updated_at": iso_time(image.updated_at),
        "taken_at": iso_time(image.taken_at),
        "width": width,
        "height": height,
        "rotation": image.rotation,
        "crop_x": float(image.crop_x),
        "crop_y": float(image.crop_y),
        "crop_w": float(image.crop_w),
        "crop_h": float(image.crop_h),
        "metadatas": image.metadatas,
        "original_url": links.original_url(image, api_secret),
        "original_width": asset.width,
        "original_height": asset.height,
        "external_urls": links.external_urls(image, api_secret),
        "filename": image.filename,
        "format": asset.format,
        "title": image.title,
        "description": image.description,
        "page": image.page,
        "group_id": image.group_id,
        "color": image.color,
        # SharinPix copies the posted `bytes`, a string once form-encoded (seed 004).
        "size": image.infos.get("bytes", str(asset.bytes)),
        "processed": False,
        "processing_error": None,
        "album_id": image.album.external_id,
        "thumbnails": links.thumbnails(image, api_secret),
    }


def tag_json(tag: Tag) -> dict[str, Any]:
    """Seed 003 `tag`: `label` is the JSON text of the translations, as SharinPix sends it."""
    return {
        "id": tag.id,
        "created_at": iso_time(tag.created_at),
        "name": tag.name,
        "label": json.dumps(tag.label, separators=(",", ":"), ensure_ascii=False),
        "url": f"/public_tags/{tag.id}",
        "public": tag.is_public,
        "listed": tag.listed,
        "action": tag.action,
        "visible": tag.visible,
        "color": tag.color,
        "color_contrast": tag.color_contrast,
        "allow_download": tag.allow_download,
        "label_en": tag.label.get("en"),
        "label_fr": tag.label.get("fr"),
    }


def tag_image_json(tag_image: TagImage, links: ImageLinks, api_secret: str) -> dict[str, Any]:
    return {
        "id": tag_image.id,
        "created_at": iso_time(tag_image.created_at),
        "user": tag_image.user_id,
        "image": image_json(tag_image.image, links, api_secret),
        "tag": tag_json(tag_image.tag),
    }
