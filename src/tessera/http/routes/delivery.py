"""`GET|HEAD /<cloud>/image/<type>/[s--SIG--/][transformations/][vN/]<public_id>.<ext>`.

Two entrances share one answer: `HotPathMiddleware` serves derivatives of versioned URLs that
are in memory before any routing (the hot path of an image CDN origin), and the route handles
everything else through the delivery service in the thread pool.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.http.deps import ServicesDep
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


class HotPathMiddleware:
    """Answer hot versioned delivery URLs from memory, skipping routing and dependencies."""

    def __init__(self, app: ASGIApp, delivery: DeliveryService) -> None:
        self.app = app
        self.delivery = delivery

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            headers = Headers(scope=scope)
            delivered = self.delivery.from_memory(raw_path_of(scope), client_hints(headers),
                                                  headers.get("if-none-match"))
            if delivered is not None:
                await response_of(delivered, scope["method"])(scope, receive, send)
                return
        await self.app(scope, receive, send)


_PATH = "/{cloud}/{resource_type}/{type}/{rest:path}"


@router.head(_PATH, include_in_schema=False)  # one OpenAPI operation for GET and HEAD
@router.get(_PATH, summary="Deliver an original or a transformed image (Cloudinary URLs)")
async def deliver(request: Request, services: ServicesDep) -> Response:
    delivered = await run_in_threadpool(services.delivery.deliver, raw_path_of(request.scope),
                                        client_hints(request.headers),
                                        request.headers.get("if-none-match"))
    return response_of(delivered, request.method)
