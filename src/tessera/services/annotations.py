"""An image's annotation (issue 5): `GET /api/v1/images/:id/annotation` (`image_list` on its
album) answers `{svg, object}`, nulls when there is none; `PUT` (`image_annotate`) replaces
both. `svg` is stored sanitised (`media.svg_sanitise`), `object` (the editor's own JSON, a
fabric.js canvas for instance) as given, within size and depth budgets; sending both as null
removes the annotation.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from tessera.auth.abilities import Action, authorize
from tessera.db.models import Image
from tessera.db.uow import Database
from tessera.errors import BadRequest, PayloadTooLarge
from tessera.media.svg_sanitise import MAX_SVG_BYTES, sanitise_svg
from tessera.services.access import Principal
from tessera.services.images import live_image

log = logging.getLogger(__name__)
MAX_OBJECT_BYTES: Final = 1024 * 1024
MAX_OBJECT_DEPTH: Final = 64
# What a PUT body may weigh: both parts at their limits, form-encoded (up to 3 bytes a byte).
MAX_BODY_BYTES: Final = 3 * (MAX_SVG_BYTES + MAX_OBJECT_BYTES) + 64 * 1024


def _depth(value: Any) -> int:
    """Nesting depth of a JSON value, computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_OBJECT_DEPTH:
            break
        children = item.values() if isinstance(item, Mapping) else \
            item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_object(value: Any) -> dict[str, Any] | None:
    """The editor object: a JSON object (or its JSON text, as a form sends it) or null."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if len(value) > MAX_OBJECT_BYTES:
            raise PayloadTooLarge(f"The annotation object is over {MAX_OBJECT_BYTES} bytes")
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise BadRequest("object must be a JSON object") from None
    if not isinstance(value, dict):
        raise BadRequest("object must be a JSON object")
    if _depth(value) > MAX_OBJECT_DEPTH:
        raise BadRequest(f"object nests deeper than {MAX_OBJECT_DEPTH} levels")
    if len(json.dumps(value, separators=(",", ":"))) > MAX_OBJECT_BYTES:
        raise PayloadTooLarge(f"The annotation object is over {MAX_OBJECT_BYTES} bytes")
    return value


def annotation_json(image: Image) -> dict[str, Any]:
    return {"svg": image.annotation_svg, "object": image.annotation_object}


class AnnotationService:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def get(self, principal: Principal, image_id: str) -> dict[str, Any]:
        """Raises NotFound (unknown, another organization's, trashed), Unauthorized."""
        with self._db.uow() as uow:
            image = live_image(uow, principal, image_id)
            authorize(principal.abilities, Action.IMAGE_LIST, image.album.external_id)
            return annotation_json(image)

    def put(self, principal: Principal, image_id: str,
            params: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the annotation. Raises NotFound, Unauthorized, BadRequest,
        PayloadTooLarge."""
        if "svg" not in params and "object" not in params:
            raise BadRequest("Missing required parameter - svg or object")
        svg = params.get("svg")
        if svg is not None and not isinstance(svg, str):
            raise BadRequest("svg must be a string")
        with self._db.uow() as uow:
            image = live_image(uow, principal, image_id)
            authorize(principal.abilities, Action.IMAGE_ANNOTATE, image.album.external_id)
            # Checked once authorized: a refused token learns nothing about its input.
            image.annotation_svg = sanitise_svg(svg) if svg else None
            image.annotation_object = check_object(params.get("object"))
            image.updated_at = self._now()
            uow.commit()
            log.info("event=image_annotated image_id=%s", image.id)
            return annotation_json(image)

