"""`GET|HEAD /<cloud>/image/<type>/[s--SIG--/][transformations/][vN/]<public_id>.<ext>`.

Two entrances share one answer: `DeliveryMiddleware` serves `/<cloud>/image/…` before any
routing (hot versioned URLs from memory, the rest through the delivery service in the thread
pool), and the route documents the paths and handles the other resource types.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.errors import TesseraError
from tessera.http.deps import ServicesDep
from tessera.http.errors import tessera_error_response
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


def response_of(delivered: Delivered, method: str) -> Response:
    headers = {"ETag": delivered.etag, "Cache-Control": delivered.cache_control,
               "X-Content-Type-Options": "nosniff"}
    if delivered.vary:
        headers["Vary"] = ", ".join(delivered.vary)
    if delivered.attachment:
        headers["Content-Disposition"] = f'attachment; filename="{delivered.attachment}"'
    if delivered.data is None:
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(len(delivered.data))
    body = b"" if method == "HEAD" else delivered.data
    return Response(body, media_type=delivered.mime, headers=headers)


def is_delivery_path(path: str) -> bool:
    """`/<cloud>/image/<type>/<rest>`: no other GET route has `image` as its second segment
    (the others are fixed words or a single id), so this shape is delivery's alone."""
    parts = path.split("/", 4)
    return len(parts) == 5 and parts[2] == "image" and parts[1] != "api" and bool(parts[4])


class DeliveryMiddleware:
    """Answer image deliveries before routing: hot versioned URLs from memory without any
    I/O, the others through the delivery service in the thread pool. Routing and dependency
    injection would cost more than a cached answer; the route below documents the same
    paths and serves any other resource type."""

    def __init__(self, app: ASGIApp, delivery: DeliveryService) -> None:
        self.app = app
        self.delivery = delivery

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
                delivered = await run_in_threadpool(self.delivery.deliver, raw_path, hints,
                                                    if_none_match)
            except TesseraError as exc:
                response = tessera_error_response(exc)
                await response(scope, receive, send)
                return
        await response_of(delivered, scope["method"])(scope, receive, send)


_PATH = "/{cloud}/{resource_type}/{type}/{rest:path}"


@router.head(_PATH, include_in_schema=False)  # one OpenAPI operation for GET and HEAD
@router.get(_PATH, summary="Deliver an original or a transformed image (Cloudinary URLs)")
async def deliver(request: Request, services: ServicesDep) -> Response:
    delivered = await run_in_threadpool(services.delivery.deliver, raw_path_of(request.scope),
                                        client_hints(request.headers),
                                        request.headers.get("if-none-match"))
    return response_of(delivered, request.method)
