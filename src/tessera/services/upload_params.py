"""Upload parameters as the Cloudinary protocol spells them, parsed into one typed value."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from tessera.errors import BadRequest

DELIVERY_TYPES = frozenset({"upload", "private", "authenticated"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
# Control characters and the characters Cloudinary refuses in public ids.
_BAD_PUBLIC_ID = re.compile(r"[\x00-\x1f\x7f?#&\\<>%]")
_PUBLIC_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def parse_bool(name: str, value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadRequest(f"Invalid value for {name}: {value!r} (expected true/false or 1/0)")


def parse_context(text: str) -> dict[str, str]:
    """`k=v|k2=v2`, with `\\=` and `\\|` escaping separators inside values (§9.1)."""
    context: dict[str, str] = {}
    for pair in re.split(r"(?<!\\)\|", text):
        if not pair:
            continue
        parts = re.split(r"(?<!\\)=", pair, maxsplit=1)
        if len(parts) != 2:
            raise BadRequest(f"Invalid context entry {pair!r}: expected key=value")
        key, value = parts
        context[key.replace("\\=", "=").replace("\\|", "|")] = (
            value.replace("\\=", "=").replace("\\|", "|"))
    return context


def random_public_id() -> str:
    """20 lowercase alphanumerics, the shape of Cloudinary's generated ids."""
    return "".join(secrets.choice(_PUBLIC_ID_ALPHABET) for _ in range(20))


def validate_public_id(public_id: str) -> str:
    public_id = public_id.strip("/")
    if not public_id:
        raise BadRequest("Invalid public_id: empty")
    if len(public_id) > 255:
        raise BadRequest("Invalid public_id: longer than 255 characters")
    if _BAD_PUBLIC_ID.search(public_id):
        raise BadRequest(f"Invalid public_id {public_id!r}: forbidden character")
    if any(part in ("", ".", "..") for part in public_id.split("/")):
        raise BadRequest(f"Invalid public_id {public_id!r}: empty or dot path segment")
    return public_id


@dataclass(frozen=True, slots=True)
class UploadParams:
    public_id: str | None
    type: str = "upload"
    tags: tuple[str, ...] = ()
    context: dict[str, str] = field(default_factory=dict)
    colors: bool = False
    faces: bool = False
    image_metadata: bool = False
    phash: bool = False
    overwrite: bool = True
    notification_url: str | None = None
    filename_override: str | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> UploadParams:
        type_ = fields.get("type") or "upload"
        if type_ not in DELIVERY_TYPES:
            raise BadRequest(f"Invalid type {type_!r}: expected upload, private or authenticated")
        public_id = fields.get("public_id") or None
        folder = (fields.get("folder") or "").strip("/")
        if public_id is not None or folder:
            public_id = validate_public_id(
                "/".join(p for p in (folder, public_id or random_public_id()) if p))
        tags = tuple(t.strip() for t in (fields.get("tags") or "").split(",") if t.strip())
        notification_url = fields.get("notification_url") or None
        if notification_url and not notification_url.startswith(("http://", "https://")):
            raise BadRequest("Invalid notification_url: only http(s) URLs are accepted")
        metadata_flag = next((fields[k] for k in ("image_metadata", "exif", "media_metadata")
                              if k in fields), None)
        return cls(
            public_id=public_id,
            type=type_,
            tags=tags,
            context=parse_context(fields.get("context") or ""),
            colors=parse_bool("colors", fields.get("colors")),
            faces=parse_bool("faces", fields.get("faces")),
            image_metadata=parse_bool("image_metadata", metadata_flag),
            phash=parse_bool("phash", fields.get("phash")),
            overwrite=parse_bool("overwrite", fields.get("overwrite"), default=True),
            notification_url=notification_url,
            filename_override=fields.get("filename_override") or None,
        )
