"""Cloudinary API signatures: signed upload parameters, the upload-result signature and the
notification signature, computed exactly as the official SDKs compute them (grammar §9.2, §9.5).

Comparisons are constant-time. Delivery-URL signatures live with the URL grammar
(`tessera.grammar.url`), which owns the signed text and builds the URLs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

# Fields never covered by the upload signature (§9.2 step 1).
UNSIGNED_FIELDS = frozenset({"file", "cloud_name", "resource_type", "api_key", "signature"})

_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def api_string_to_sign(params: Mapping[str, object], signature_version: int = 2) -> str:
    """The `k=v&k=v` text the SDK signs: empty values dropped, lists comma-joined, keys sorted;
    version 2 escapes `&` inside values as `%26` (vector "rock&roll")."""
    pairs = []
    for key, value in params.items():
        if value is None or value == "" or value == []:
            continue
        text = ",".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
        if signature_version >= 2:
            text = text.replace("&", "%26")
        pairs.append(f"{key}={text}")
    return "&".join(sorted(pairs))


def api_sign(params: Mapping[str, object], api_secret: str, algorithm: str = "sha1",
             signature_version: int = 2) -> str:
    to_sign = api_string_to_sign(params, signature_version) + api_secret
    return _ALGORITHMS[algorithm](to_sign.encode()).hexdigest()


def verify_upload_signature(params: Mapping[str, object], signature: str,
                            api_secret: str) -> bool:
    """True if `signature` signs `params` (minus the unsigned fields) under any accepted scheme.

    The algorithm follows from the digest length (40 hex: SHA-1, 64 hex: SHA-256); both
    signature versions are accepted, as Cloudinary does for older SDKs.
    """
    signed = {k: v for k, v in params.items() if k not in UNSIGNED_FIELDS}
    algorithm = {40: "sha1", 64: "sha256"}.get(len(signature))
    if algorithm is None:
        return False
    expected = signature.lower().encode()
    ok = False
    for version in (2, 1):
        candidate = api_sign(signed, api_secret, algorithm, version).encode()
        ok |= hmac.compare_digest(candidate, expected)
    return ok


def response_signature(public_id: str, version: int, api_secret: str) -> str:
    """Signature in the upload result: SHA-1 of `public_id=…&version=…` + secret (version 1)."""
    return api_sign({"public_id": public_id, "version": version}, api_secret, "sha1", 1)


def notification_signature(body: str, timestamp: int | str, api_secret: str,
                           algorithm: str = "sha1") -> str:
    """`X-Cld-Signature` of a webhook: hex digest of body + timestamp + secret."""
    return _ALGORITHMS[algorithm](f"{body}{timestamp}{api_secret}".encode()).hexdigest()

