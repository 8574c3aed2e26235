"""Public image links (issue 5): `POST /api/v1/image_external_urls` makes them (token with
`image_urls`), `GET /image_external_urls/:id` follows one without a token (302, never cached,
to the image's current delivery URL, or to the placeholder once the image is gone) and
`GET /assets/placeholder.png` is that placeholder."""

from __future__ import annotations

import time
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response, static_headers
from tessera.http.routes.api_v1.nested_params import read_params
from tessera.http.routes.images_redirect import redirect
from tessera.render.placeholder import placeholder_png
from tessera.services.external_urls import PLACEHOLDER_PATH

router = APIRouter(tags=["sharinpix"])
PLACEHOLDER_CACHE: Final = "public, max-age=86400"


@router.post("/api/v1/image_external_urls", summary="Make public links to images")
@router.post("/api/v1/image_external_urls/", include_in_schema=False)
async def create_external_urls(request: Request, principal: PrincipalDep,
                               services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    body = await run_in_threadpool(services.external_urls.create, principal, params)
    return api_response(request, principal, body)


@router.get("/image_external_urls/{link_id}", summary="Follow a public image link")
@router.get("/image_external_urls/{link_id}/", include_in_schema=False)
async def follow_external_url(link_id: str, request: Request,
                              services: ServicesDep) -> Response:
    request.state.started = time.perf_counter()
    url = await run_in_threadpool(services.external_urls.target, link_id)
    response = redirect(url, static_headers(request))
    # `no-cache`: the target follows the image (rotation, crop, new version, deletion).
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get(PLACEHOLDER_PATH, summary="The image of a link whose image is gone")
async def placeholder() -> Response:
    return Response(placeholder_png(), media_type="image/png",
                    headers={"Cache-Control": PLACEHOLDER_CACHE})
