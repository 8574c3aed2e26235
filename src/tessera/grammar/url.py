"""Delivery URLs: split a request path (grammar §1.2), build the SDK's URL (§1.1), and compute
and verify delivery signatures (§8).

`parse_delivery_path` works on the raw, undecoded path and keeps `signed_text`, the exact text
the signature covers (components and public id, without the version segment), so signatures
are checked before any canonicalisation. It does not decide access (which types need a
signature, §1.3); the delivery route does. No SDK code is used here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.parse
from dataclasses import dataclass
from typing import Final

from tessera.errors import GrammarError
from tessera.grammar.ast import Transformation
from tessera.grammar.lexical import ValueSyntaxError, percent_decode, smart_escape
from tessera.grammar.parse import is_component, parse_transformation
from tessera.grammar.serialize import serialize

RESOURCE_TYPES: Final = frozenset({"image", "video", "raw"})
DELIVERY_TYPES: Final = frozenset({"upload", "private", "authenticated"})
SHORT_SIGNATURE_LENGTH: Final = 8
LONG_SIGNATURE_LENGTH: Final = 32
_SIGNATURE_RE: Final = re.compile(r"s--([A-Za-z0-9_-]{8}|[A-Za-z0-9_-]{32})--")
_VERSION_RE: Final = re.compile(r"v([0-9]+)")
_EXTENSION_RE: Final = re.compile(r"[A-Za-z0-9]+")
_ALGORITHMS: Final = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


@dataclass(frozen=True, slots=True)
class DeliveryPath:
    """A parsed `/<cloud>/<resource_type>/<type>/[s--SIG--/][components/][vN/]<id>[.<ext>]`.

    `signature` is the characters between `s--` and `--`; `public_id` is percent-decoded once
    (raw assets keep their extension in it, case 113); `transformation_text` and `signed_text`
    are raw path text.
    """

    cloud: str
    resource_type: str
    type: str
    signature: str | None
    transformation_text: str
    transformation: Transformation
    version: int | None
    public_id: str
    extension: str | None
    signed_text: str


def _path_error(message: str, reason: str) -> GrammarError:
    return GrammarError(message, reason=reason)


def parse_delivery_path(path: str) -> DeliveryPath:
    """Split a delivery path as §1.2 prescribes. Raises GrammarError."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = path.removeprefix("/").split("/")
    if len(segments) < 4 or not all(segments[:3]):
        raise _path_error("Delivery path needs /<cloud>/<resource_type>/<type>/<public_id>",
                          "malformed path")
    cloud, resource_type, delivery_type = segments[:3]
    if resource_type not in RESOURCE_TYPES:
        raise _path_error(f"Unsupported resource type '{resource_type[:40]}'",
                          "unsupported resource type")
    if delivery_type not in DELIVERY_TYPES:
        raise _path_error(f"Unsupported delivery type '{delivery_type[:40]}'",
                          "unsupported delivery type")
    rest = segments[3:]
    signature = None
    match = _SIGNATURE_RE.fullmatch(rest[0])
    if match and len(rest) > 1:
        signature = match.group(1)
        rest = rest[1:]
    # A `v<digits>` segment ends the transformation; the public id follows it (§1.2 step 4).
    # The last segment is always the public id, so an id like `v2` is never taken as version.
    version_at = next((i for i, s in enumerate(rest[:-1]) if _VERSION_RE.fullmatch(s)), None)
    if version_at is not None:
        components, id_segments = rest[:version_at], rest[version_at + 1:]
        version: int | None = int(rest[version_at][1:])
    else:
        count = 0
        while count < len(rest) - 1 and is_component(rest[count]):
            count += 1
        components, id_segments = rest[:count], rest[count:]
        version = None
    transformation_text = "/".join(components)
    transformation = parse_transformation(transformation_text)
    raw_id = "/".join(id_segments)
    if not id_segments[-1]:
        raise _path_error("Delivery path has no public id", "missing public id")
    extension = None
    if resource_type != "raw":  # raw ids keep their extension (case 113)
        head, dot, tail = id_segments[-1].rpartition(".")
        if dot and head and _EXTENSION_RE.fullmatch(tail):
            extension = tail
            raw_id = raw_id[: -len(tail) - 1]
    try:
        public_id = percent_decode(raw_id)
    except ValueSyntaxError:
        raise _path_error("Public id escapes are not UTF-8", "malformed public id") from None
    return DeliveryPath(
        cloud=cloud, resource_type=resource_type, type=delivery_type, signature=signature,
        transformation_text=transformation_text, transformation=transformation,
        version=version, public_id=public_id, extension=extension,
        signed_text="/".join([*components, *id_segments]))


def escape_public_id(public_id: str) -> str:
    """The SDK's id escaping: collapse `//`, decode once (no double escaping, case 110), then
    `%XX` every byte outside `[A-Za-z0-9_.-/:]` (cases 109, 111)."""
    public_id = re.sub(r"([^:])/+", r"\1/", public_id)
    return smart_escape(urllib.parse.unquote(public_id))


def build_delivery_url(
    public_id: str,
    *,
    cloud: str,
    transformation: Transformation | None = None,
    resource_type: str = "image",
    type: str = "upload",
    format: str | None = None,
    version: int | str | None = None,
    sign_url: bool = False,
    api_secret: str | None = None,
    signature_algorithm: str = "sha1",
    long_signature: bool = False,
    force_version: bool = True,
    base_url: str = "https://res.cloudinary.com",
) -> str:
    """The URL `cloudinary_url` builds for these options (shared-host form, §1.1).

    The transformation is written with `serialize` (its literal order, so a parsed URL can be
    rebuilt as it was). Raises ValueError when signing without a secret.
    """
    source = escape_public_id(public_id)
    source_to_sign = source if format is None else f"{source}.{format}"
    if not version and force_version and "/" in source_to_sign \
            and not re.match(r"^v[0-9]+", source_to_sign):
        version = 1  # ids with folders get `v1` so folders are not read as components (105)
    text = serialize(transformation) if transformation is not None else ""
    signature = None
    if sign_url:
        if not api_secret:
            raise ValueError("signing a delivery URL needs api_secret")
        to_sign = "/".join(part for part in (text, source_to_sign) if part)
        signature = "s--" + delivery_signature(to_sign, api_secret, algorithm=signature_algorithm,
                                               long=long_signature) + "--"
    parts = [base_url.rstrip("/"), cloud, resource_type, type, signature, text,
             f"v{version}" if version else None, source_to_sign]
    return "/".join(part for part in parts if part)


def delivery_signature(to_sign: str, api_secret: str, *, algorithm: str = "sha1",
                       long: bool = False) -> str:
    """The characters between `s--` and `--`: URL-safe base64 of the digest of text + secret,
    8 characters, or 32 with `long` (which forces SHA-256, case 103)."""
    digest = _ALGORITHMS["sha256" if long else algorithm]((to_sign + api_secret).encode()).digest()
    length = LONG_SIGNATURE_LENGTH if long else SHORT_SIGNATURE_LENGTH
    return base64.urlsafe_b64encode(digest).decode("ascii")[:length]


def fully_decode(text: str) -> str:
    """The Ruby gem's signed text: percent-decode until stable, at most 10 rounds, `+` literal."""
    for _ in range(10):
        decoded = urllib.parse.unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def verify_delivery_signature(signed_text: str, signature: str, api_secret: str, *,
                              allow_sha256: bool = True) -> bool:
    """True if `signature` (bare or `s--…--`) signs `signed_text` as either SDK computes it.

    Tries the raw text (Python SDK) and its fully decoded form (Ruby gem, §8), SHA-1/8 then
    SHA-256/8 for short signatures, SHA-256/32 for long ones; every comparison is
    constant-time.
    """
    match = _SIGNATURE_RE.fullmatch(signature)
    if match:
        signature = match.group(1)
    if len(signature) == SHORT_SIGNATURE_LENGTH:
        schemes = [("sha1", False)] + ([("sha256", False)] if allow_sha256 else [])
    elif len(signature) == LONG_SIGNATURE_LENGTH and allow_sha256:
        schemes = [("sha256", True)]
    else:
        return False
    expected = signature.encode("utf-8")
    texts = dict.fromkeys((signed_text, fully_decode(signed_text)))
    matched = False
    for text in texts:
        for algorithm, long in schemes:
            candidate = delivery_signature(text, api_secret, algorithm=algorithm, long=long)
            matched |= hmac.compare_digest(candidate.encode("ascii"), expected)
    return matched
