"""`GET|HEAD /<cloud>/image/<type>/[s--SIG--/][transformations/][vN/]<public_id>.<ext>`.

Two entrances share one answer: `DeliveryMiddleware` serves `/<cloud>/image/…` in front of the
whole middleware stack (hot versioned URLs from memory, the rest through the delivery service
on the handoff threads), and the route documents the paths and handles the other resource
types. Both send the same raw ASGI messages.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.errors import TesseraError
from tessera.http.deps import ServicesDep
from tessera.http.errors import internal_error_response, tessera_error_response
from tessera.http.handoff import Handoff
from tessera.render.pipeline import ClientHints
from tessera.services.delivery import Delivered, DeliveryService

router = APIRouter(tags=["delivery"])


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def client_hints(headers: Mapping[str, str]) -> ClientHints:
    width = _float(headers.get("sec-ch-width") or headers.get("width"))
    return ClientHints(
        accept=headers.get("accept", ""),
        dpr=_float(headers.get("sec-ch-dpr") or headers.get("dpr")),
        width=int(width) if width else None,
        save_data=headers.get("save-data", "").lower() == "on",
    )


def raw_path_of(scope: Scope) -> str:
    # Signatures cover the path exactly as sent, so take it undecoded (grammar §1.2).
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    return raw.decode("latin-1").split("?", 1)[0]


class DeliveredResponse(Response):
    """A delivery's answer, headers encoded straight from `Delivered` (no header mapping to
    build and re-encode: this runs on every cached hit)."""

    def __init__(self, delivered: Delivered, method: str) -> None:
        headers = [(b"etag", delivered.etag.encode()),
                   (b"cache-control", delivered.cache_control.encode()),
                   (b"x-content-type-options", b"nosniff")]
        if delivered.vary:
            headers.append((b"vary", ", ".join(delivered.vary).encode()))
        if delivered.attachment:
            headers.append((b"content-disposition",
                            f'attachment; filename="{delivered.attachment}"'.encode()))
        # What producing it cost at the origin, as Cloudinary's edge reports its own (shown
        # by browsers' developer tools; a CDN passes it on with the cached response).
        if delivered.render_seconds is not None:
            headers.append((b"server-timing",
                            f"render;dur={delivered.render_seconds * 1000:.1f}".encode()))
        elif delivered.from_cache:
            headers.append((b"server-timing", b"cache;desc=hit"))
        self.background = None
        if delivered.data is None:
            self.status_code, self.body = 304, b""
        else:
            self.status_code = 200
            self.body = b"" if method == "HEAD" else delivered.data
            headers += [(b"content-type", delivered.mime.encode()),
                        (b"content-length", str(len(delivered.data)).encode())]
        self.raw_headers = headers


def is_delivery_path(path: str) -> bool:
    """`/<cloud>/image/<type>/<rest>`: no other GET route has `image` as its second segment
    (the others are fixed words or a single id), so this shape is delivery's alone."""
    parts = path.split("/", 4)
    return len(parts) == 5 and parts[2] == "image" and parts[1] != "api" and bool(parts[4])


class DeliveryMiddleware:
    """Answer image deliveries in front of everything else: hot versioned URLs from memory
    without any I/O, the others through the delivery service on the handoff threads. The
    middleware stack, routing and dependency injection would cost more than a cached answer;
    so this wraps the whole stack and maps its own errors (as the stack's error middleware
    would). The route below documents the same paths and serves any other resource type."""

    def __init__(self, app: ASGIApp, delivery: DeliveryService, handoff: Handoff) -> None:
        self.app = app
        self.delivery = delivery
        self.handoff = handoff

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or not is_delivery_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        raw_path, hints = raw_path_of(scope), client_hints(headers)
        if_none_match = headers.get("if-none-match")
        response: Response
        delivered = self.delivery.from_memory(raw_path, hints, if_none_match)
        if delivered is None:
            try:
                delivered = await self.handoff.run(self.delivery.deliver, raw_path, hints,
                                                   if_none_match)
            except TesseraError as exc:
                response = tessera_error_response(exc)
                await response(scope, receive, send)
                return
            except Exception as exc:  # noqa: BLE001 - outside the stack's error middleware
                await internal_error_response(exc)(scope, receive, send)
                return
        await DeliveredResponse(delivered, scope["method"])(scope, receive, send)


_PATH = "/{cloud}/{resource_type}/{type}/{rest:path}"


@router.head(_PATH, include_in_schema=False)  # one OpenAPI operation for GET and HEAD
@router.get(_PATH, summary="Deliver an original or a transformed image (Cloudinary URLs)")
async def deliver(request: Request, services: ServicesDep) -> Response:
    delivered = await run_in_threadpool(services.delivery.deliver, raw_path_of(request.scope),
                                        client_hints(request.headers),
                                        request.headers.get("if-none-match"))
    return DeliveredResponse(delivered, request.method)
