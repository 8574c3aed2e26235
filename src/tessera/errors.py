"""The one error tree of Tessera.

Every error a client can cause is a `TesseraError` subclass carrying its HTTP `status`, a stable
`code` and a public `message`. Only `tessera.http.errors` turns them into responses; nothing else
knows about HTTP. Internal detail goes into `detail` (logged, never sent).
"""

from __future__ import annotations

from typing import Any


class TesseraError(Exception):
    """Base class: an unexpected failure, answered as a logged 500."""

    status: int = 500
    code: str = "internal"
    default_message: str = "Internal error"

    def __init__(self, message: str | None = None, *, detail: str | None = None,
                 headers: dict[str, str] | None = None, **context: Any) -> None:
        self.message = message or self.default_message
        self.detail = detail
        self.headers = headers or {}
        self.context = context
        super().__init__(self.message)


class BadRequest(TesseraError):
    status = 400
    code = "bad_request"
    default_message = "Bad request"


class MissingParameter(BadRequest):
    code = "missing_parameter"


class ImageRejected(BadRequest):
    """The bytes are not an image we accept: unknown type, corrupt, truncated, hostile."""

    code = "image_rejected"
    default_message = "Invalid image file"


class ImageTooLarge(ImageRejected):
    """Declared pixel count or frame count is over the configured budget."""

    code = "image_too_large"
    default_message = "Image exceeds the pixel or frame limit"


class GrammarError(BadRequest):
    code = "bad_transformation"
    default_message = "Invalid transformation"


class Unauthorized(TesseraError):
    status = 401
    code = "unauthorized"
    default_message = "Unauthorized"


class InvalidSignature(Unauthorized):
    code = "invalid_signature"
    default_message = "Invalid Signature"


class StaleRequest(Unauthorized):
    code = "stale_request"
    default_message = "Stale request"


class NotFound(TesseraError):
    status = 404
    code = "not_found"
    default_message = "Not found"


class Conflict(TesseraError):
    status = 409
    code = "conflict"
    default_message = "Conflict"


class PayloadTooLarge(TesseraError):
    status = 413
    code = "payload_too_large"
    default_message = "File size too large"


class Busy(TesseraError):
    status = 503
    code = "busy"
    default_message = "Server busy, retry later"

    def __init__(self, message: str | None = None, *, retry_after: int = 1, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.headers.setdefault("Retry-After", str(retry_after))


class UpstreamError(TesseraError):
    status = 502
    code = "upstream_error"
    default_message = "Remote fetch failed"
