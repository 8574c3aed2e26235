"""A posted upload result (seed 004 `cloudinary[…]`, the Node client's JSON, a notification
body) checked against the asset Tessera really stored, and turned into SharinPix `infos`.

The result's `signature` (SHA-1 of `public_id=…&version=…` + secret, grammar §9.4) proves the
upload happened; it covers nothing else, so every other field the server knows is compared
with the stored asset and a mismatch is refused: nobody can register a blob they did not
upload or forge its metadata. Fields are compared after canonicalisation, because the form
encoding flattens `colors` pairs into one list and turns every scalar into a string
(seed 004: `"width": "295"`, `"colors": ["#EBF1F9", "13.2", …]`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from tessera.auth.signing import response_signature
from tessera.db.models import Asset
from tessera.errors import BadRequest, InvalidSignature, MissingParameter

# Keys of the upload result (grammar §9.4) kept in `infos`; `location` is the browser's
# geolocation, which SharinPix adds to it (seed 002, source of `gps_html`).
RESULT_KEYS: Final = frozenset({
    "asset_id", "public_id", "version", "version_id", "signature", "width", "height", "format",
    "resource_type", "created_at", "tags", "pages", "bytes", "type", "etag", "placeholder", "url",
    "secure_url", "access_mode", "overwritten", "existing", "original_filename",
    "original_extension", "api_key", "context", "image_metadata", "colors", "predominant",
    "phash", "faces", "coordinates", "illustration_score", "semi_transparent", "grayscale",
    "eager", "location", "asset_folder", "display_name",
})


@dataclass(frozen=True, slots=True)
class VerifiedUpload:
    """The stored asset, the secret that signed its upload result, and the `infos`."""

    asset: Asset
    api_secret: str
    infos: dict[str, Any]


def stringify(value: Any) -> Any:
    """Scalars as SharinPix stores them after Rails' form decoding: strings, `true`/`false`,
    integral floats without `.0` (`4`, as a browser re-posts `4.0`); structure kept."""
    if isinstance(value, Mapping):
        return {str(k): stringify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stringify(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _canonical(value: Any) -> Any:
    """Comparable form: lists flattened (and Rails' empty `[]=` entries dropped), numbers by
    value, booleans as words."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        flat: list[Any] = []
        for item in value:
            item = _canonical(item)
            if isinstance(item, list):
                flat.extend(item)
            elif item != "":
                flat.append(item)
        return flat
    text = stringify(value)
    if text is None:
        return None
    try:
        return repr(float(text))
    except ValueError:
        return text


def authoritative_fields(asset: Asset, url: str) -> dict[str, Any]:
    """The upload-result fields Tessera knows for `asset`, as its upload endpoint answered."""
    facts = asset.analysis
    faces = [list(f) for f in facts.get("faces") or []]
    return {
        "asset_id": asset.asset_id, "public_id": asset.public_id, "version": asset.version,
        "version_id": asset.version_id,
        "width": asset.width, "height": asset.height, "format": asset.format,
        "resource_type": asset.resource_type,
        "created_at": _created_at(asset), "tags": list(asset.tags), "pages": asset.pages,
        "bytes": asset.bytes, "type": asset.type, "etag": asset.etag, "url": url,
        "secure_url": url, "original_filename": asset.original_filename,
        "image_metadata": dict(facts.get("image_metadata") or {}),
        "colors": [list(c) for c in facts.get("colors") or []],
        "predominant": {k: [list(p) for p in v]
                        for k, v in (facts.get("predominant") or {}).items()},
        "phash": facts.get("phash"), "faces": faces, "coordinates": {"faces": faces},
        "illustration_score": facts.get("illustration_score"),
        "semi_transparent": facts.get("semi_transparent"),
        "grayscale": facts.get("grayscale"),
    }


def _created_at(asset: Asset) -> str:
    return asset.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar(result: Mapping[str, Any], key: str) -> str:
    value = result.get(key)
    if value is None or isinstance(value, Mapping | list):
        raise MissingParameter(f"Missing required parameter - cloudinary[{key}]")
    return str(value)


def upload_key(result: Mapping[str, Any]) -> tuple[str, str, int, str]:
    """(type, public_id, version, signature) of a posted result. Raises BadRequest."""
    if not isinstance(result, Mapping):
        raise MissingParameter("Missing required parameter - cloudinary")
    public_id = _scalar(result, "public_id")
    version = _scalar(result, "version")
    signature = _scalar(result, "signature")
    if not version.isdigit():
        raise BadRequest("Invalid cloudinary[version]")
    if (result.get("resource_type") or "image") != "image":
        raise BadRequest("Only image uploads can be registered")
    return str(result.get("type") or "upload"), public_id, int(version), signature


def verify(result: Mapping[str, Any], asset: Asset | None, secrets: list[str],
           url_for: Callable[[Asset, str], str]) -> VerifiedUpload:
    """Check `result` against `asset` (found by the caller from `upload_key`).

    `url_for(asset, secret)` builds the asset's delivery URL as the upload endpoint did.

    Raises:
        InvalidSignature: no such asset or version, a signature no active secret produced,
            or a field that differs from the stored upload.
    """
    _type, public_id, version, signature = upload_key(result)
    if asset is None or asset.version != version:
        raise InvalidSignature("Invalid upload result signature", detail="no such asset")
    secret = next((s for s in secrets if hmac.compare_digest(
        response_signature(public_id, version, s).encode(), signature.lower().encode())), None)
    if secret is None:
        raise InvalidSignature("Invalid upload result signature", detail="bad signature")
    truth = authoritative_fields(asset, url_for(asset, secret))
    infos: dict[str, Any] = {}
    for key, value in result.items():
        if key not in RESULT_KEYS:
            continue  # not part of an upload result: never stored
        if key in truth and _canonical(value) != _canonical(truth[key]):
            raise InvalidSignature("Upload result does not match the stored upload",
                                   detail=f"field {key} differs")
        infos[key] = stringify(value)
    for key in ("public_id", "version", "width", "height", "format", "resource_type",
                "created_at", "tags", "bytes", "type", "etag"):
        infos.setdefault(key, stringify(truth[key]))
    return VerifiedUpload(asset=asset, api_secret=secret, infos=infos)
