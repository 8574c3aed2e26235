"""Images: `POST /api/v1/albums/:album_id/images` registers an upload (seed 004) and
`GET /api/v1/images/:id` reads one (seed 002). Both paths answer with and without a trailing
slash directly: a redirect would turn the POST into a GET."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import NO_STORE_PRIVATE, PrincipalDep, api_response
from tessera.http.routes.api_v1.nested_params import read_params

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.post("/albums/{album_id}/images", summary="Register an uploaded image in an album")
@router.post("/albums/{album_id}/images/", include_in_schema=False)
async def create_image(album_id: str, request: Request, principal: PrincipalDep,
                       services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    view = await run_in_threadpool(services.images.register, principal, album_id,
                                   params.get("cloudinary"), params.get("metadatas"))
    return api_response(request, principal, view.body, view.access_headers)


@router.get("/images/{image_id}", summary="Read an image")
@router.get("/images/{image_id}/", include_in_schema=False)
async def get_image(image_id: str, request: Request, principal: PrincipalDep,
                    services: ServicesDep) -> JSONResponse:
    view = await run_in_threadpool(services.images.get, principal, image_id)
    return api_response(request, principal, view.body, view.access_headers, NO_STORE_PRIVATE)
