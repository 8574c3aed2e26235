"""`GET|HEAD /<cloud>/image/<type>/[s--SIG--/][transformations/][vN/]<public_id>.<ext>`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.render.pipeline import ClientHints

router = APIRouter(tags=["delivery"])


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def client_hints(request: Request) -> ClientHints:
    headers = request.headers
    width = _float(headers.get("sec-ch-width") or headers.get("width"))
    return ClientHints(
        accept=headers.get("accept", ""),
        dpr=_float(headers.get("sec-ch-dpr") or headers.get("dpr")),
        width=int(width) if width else None,
        save_data=headers.get("save-data", "").lower() == "on",
    )


_PATH = "/{cloud}/{resource_type}/{type}/{rest:path}"


@router.head(_PATH, include_in_schema=False)  # one OpenAPI operation for GET and HEAD
@router.get(_PATH, summary="Deliver an original or a transformed image (Cloudinary URLs)")
async def deliver(request: Request, services: ServicesDep) -> Response:
    # Signatures cover the path exactly as sent, so take it undecoded (grammar §1.2).
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    raw_path = raw_path.split("?", 1)[0]
    hints = client_hints(request)
    if_none_match = request.headers.get("if-none-match")
    # Hot versioned URLs are answered from memory on the event loop: no thread hop, no I/O.
    delivered = services.delivery.from_memory(raw_path, hints, if_none_match)
    if delivered is None:
        delivered = await run_in_threadpool(services.delivery.deliver, raw_path, hints,
                                            if_none_match)
    headers = {"ETag": delivered.etag, "Cache-Control": delivered.cache_control,
               "X-Content-Type-Options": "nosniff"}
    if delivered.vary:
        headers["Vary"] = ", ".join(delivered.vary)
    if delivered.attachment:
        headers["Content-Disposition"] = f'attachment; filename="{delivered.attachment}"'
    if delivered.data is None:
        return Response(status_code=304, headers=headers)
    body = b"" if request.method == "HEAD" else delivered.data
    headers["Content-Length"] = str(len(delivered.data))
    return Response(body, media_type=delivered.mime, headers=headers)
