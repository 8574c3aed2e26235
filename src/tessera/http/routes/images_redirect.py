"""`GET /images/:image_id?token=…` (seeds 000, 001) and
`GET /images/:id/thumbnails/<mini|thumbnail|full>-<signature>.jpg` (the `external_urls`):
302 to a signed delivery URL of Tessera's own delivery route, with the HTML body and the
no-store, any-origin headers SharinPix sends. `trash-<signature>.jpg`, the trash listing's
link, answers the thumbnail itself: a trashed image has no delivery URL."""

from __future__ import annotations

import html
import re
import time
from typing import Final

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tessera.errors import BadRequest
from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, response_headers, static_headers
from tessera.http.routes.delivery import DeliveredResponse

router = APIRouter(tags=["sharinpix"])
_THUMBNAIL: Final = re.compile(r"(mini|thumbnail|full|trash)-([0-9a-f]{1,64})\.jpg")
_REDIRECT_HEADERS: Final = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache",
                            "Expires": "Fri, 01 Jan 1990 00:00:00 GMT",
                            "Access-Control-Allow-Origin": "*"}


def redirect(url: str, headers: dict[str, str]) -> Response:
    body = f'<html><body>You are being <a href="{html.escape(url)}">redirected</a>.</body></html>'
    return Response(body, status_code=302, media_type="text/html; charset=utf-8",
                    headers={**headers, **_REDIRECT_HEADERS, "Location": url})


@router.get("/images/{image_id}", summary="Redirect to a transformation of an image (token)")
async def transformation_redirect(image_id: str, request: Request, principal: PrincipalDep,
                                  services: ServicesDep) -> Response:
    url = await run_in_threadpool(services.redirects.transformation_url, principal, image_id)
    return redirect(url, response_headers(request, principal))


@router.get("/images/{image_id}/thumbnails/{name}", summary="Redirect to a thumbnail")
async def thumbnail_redirect(image_id: str, name: str, request: Request,
                             services: ServicesDep) -> Response:
    request.state.started = time.perf_counter()
    match = _THUMBNAIL.fullmatch(name)
    if match is None:
        raise BadRequest("Invalid url")
    link, signature = match.groups()
    if link == "trash":  # served here: a trashed image has no delivery URL
        delivered = await run_in_threadpool(services.trash.thumbnail, image_id, signature)
        return DeliveredResponse(delivered, request.method)
    url = await run_in_threadpool(services.redirects.thumbnail_url, image_id, link, signature)
    return redirect(url, static_headers(request))
