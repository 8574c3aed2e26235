"""Parameters several use cases read the same way."""

from __future__ import annotations

from typing import Any, Final

from tessera.errors import BadRequest

MAX_IMAGE_IDS: Final = 500


def check_image_ids(image_ids: Any, *, limit: int = MAX_IMAGE_IDS,
                    missing: str = "Missing required parameter - image_ids") -> list[str]:
    """`image_ids[]`: 1-`limit` non-empty strings, each kept once, in the order given."""
    if isinstance(image_ids, str):
        image_ids = [image_ids]
    if not isinstance(image_ids, list) or not image_ids:
        raise BadRequest(missing)
    if len(image_ids) > limit:
        raise BadRequest(f"At most {limit} image_ids")
    if not all(isinstance(i, str) and i for i in image_ids):
        raise BadRequest("image_ids must be non-empty strings")
    return list(dict.fromkeys(image_ids))
