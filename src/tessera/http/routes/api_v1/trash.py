"""Deleting images and the trash (issue 5): `DELETE /api/v1/images/:id` and
`DELETE /api/v1/images` (`image_ids[]`) move images to the trash, `GET /api/v1/trashed_images`
lists it, `DELETE /api/v1/trashed_images/:image_id` restores. Every path answers with and
without a trailing slash directly, as the other API routes do."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response, response_headers
from tessera.http.routes.api_v1.nested_params import read_params
from tessera.services.access import Principal
from tessera.services.pagination import page_number

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


def no_content(request: Request, principal: Principal) -> Response:
    return Response(status_code=204, headers=response_headers(request, principal))


@router.delete("/images", summary="Move images to the trash (all or none)")
@router.delete("/images/", include_in_schema=False)
async def delete_images(request: Request, principal: PrincipalDep,
                        services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    image_ids = params.get("image_ids")
    deleted = await run_in_threadpool(services.trash.delete_many, principal, image_ids)
    return api_response(request, principal, deleted)


@router.delete("/images/{image_id}", summary="Move an image to the trash", status_code=204)
@router.delete("/images/{image_id}/", include_in_schema=False, status_code=204)
async def delete_image(image_id: str, request: Request, principal: PrincipalDep,
                       services: ServicesDep) -> Response:
    await run_in_threadpool(services.trash.delete, principal, image_id)
    return no_content(request, principal)


@router.get("/trashed_images", summary="Images in the trash")
@router.get("/trashed_images/", include_in_schema=False)
async def list_trashed_images(request: Request, principal: PrincipalDep,
                              services: ServicesDep) -> JSONResponse:
    query = request.query_params
    page = page_number(query.get("page"))
    rows = await run_in_threadpool(services.trash.list, principal, query.get("album_id"), page)
    return api_response(request, principal, rows)


@router.delete("/trashed_images/{image_id}", summary="Restore an image from the trash",
               status_code=204)
@router.delete("/trashed_images/{image_id}/", include_in_schema=False, status_code=204)
async def restore_image(image_id: str, request: Request, principal: PrincipalDep,
                        services: ServicesDep) -> Response:
    await run_in_threadpool(services.trash.restore, principal, image_id)
    return no_content(request, principal)
