"""Tag images: `GET /api/v1/tag_images?image_ids[]=&tag_name=&album_id=&image_id=` (seed 003),
`POST /api/v1/tags/:tag_id_or_name/tag_images` (`image_ids[]`) and
`DELETE /api/v1/tag_images/:id`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response, response_headers
from tessera.http.routes.api_v1.nested_params import read_params
from tessera.services.pagination import page_number

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.get("/tag_images", summary="Tags of images, with the images")
@router.get("/tag_images/", include_in_schema=False)
async def list_tag_images(request: Request, principal: PrincipalDep,
                          services: ServicesDep) -> JSONResponse:
    query = request.query_params
    image_ids = query.getlist("image_ids[]") or query.getlist("image_ids") or None
    page = page_number(request.query_params.get("page"))
    rows = await run_in_threadpool(
        lambda: services.tag_images.list(
            principal, image_ids, tag_name=query.get("tag_name"),
            album_id=query.get("album_id"), image_id=query.get("image_id"), page=page))
    return api_response(request, principal, rows)


@router.post("/tags/{tag_id_or_name}/tag_images", summary="Tag images (all or none)")
@router.post("/tags/{tag_id_or_name}/tag_images/", include_in_schema=False)
async def tag_images(tag_id_or_name: str, request: Request, principal: PrincipalDep,
                     services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    rows = await run_in_threadpool(services.tag_images.tag, principal, tag_id_or_name,
                                   params.get("image_ids"))
    return api_response(request, principal, rows)


@router.delete("/tag_images/{tag_image_id}", summary="Take a tag off an image",
               status_code=204)
@router.delete("/tag_images/{tag_image_id}/", include_in_schema=False, status_code=204)
async def untag_image(tag_image_id: str, request: Request, principal: PrincipalDep,
                      services: ServicesDep) -> Response:
    await run_in_threadpool(services.tag_images.untag, principal, tag_image_id)
    return Response(status_code=204, headers=response_headers(request, principal))
