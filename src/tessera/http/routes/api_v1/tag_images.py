"""`GET /api/v1/tag_images?image_ids[]=…` (seed 003)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.get("/tag_images", summary="Tags of images, with the images")
@router.get("/tag_images/", include_in_schema=False)
async def list_tag_images(request: Request, principal: PrincipalDep,
                          services: ServicesDep) -> JSONResponse:
    query = request.query_params
    image_ids = query.getlist("image_ids[]") or query.getlist("image_ids") or None
    rows = await run_in_threadpool(services.tag_images.list, principal, image_ids)
    return api_response(request, principal, rows)
