"""Changing and reading images (issue 5): `GET /api/v1/albums/:album_id/images`,
`PUT /api/v1/images/:id` (caption, rotation, crop), `POST /api/v1/images/:id/duplicate`,
`POST /api/v1/images/move`, `GET /api/v1/images/:id/image_url`, `GET /api/v1/images/:id/user`
and `GET /api/v1/image_syncs?ids[]=`. Every path answers with and without a trailing slash
directly."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import NO_STORE_PRIVATE, PrincipalDep, api_response
from tessera.http.routes.api_v1.nested_params import nest, read_params
from tessera.services.pagination import PageRequest

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.get("/albums/{album_id}/images", summary="An album's images, a page at a time")
@router.get("/albums/{album_id}/images/", include_in_schema=False)
async def list_album_images(album_id: str, request: Request, principal: PrincipalDep,
                            services: ServicesDep) -> JSONResponse:
    page = PageRequest.parse(request.query_params.get("page"),
                             request.query_params.get("per_page"))
    listing = await run_in_threadpool(services.image_queries.album_images, principal,
                                      album_id, page)
    return api_response(request, principal, listing.body, listing.headers)


@router.post("/images/move", summary="Move images between albums (all or none)")
@router.post("/images/move/", include_in_schema=False)
async def move_images(request: Request, principal: PrincipalDep,
                      services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    moved = await run_in_threadpool(services.image_edits.move, principal,
                                    params.get("move_operations"))
    return api_response(request, principal, moved)


@router.put("/images/{image_id}", summary="Change an image's caption, rotation or crop")
@router.put("/images/{image_id}/", include_in_schema=False)
async def update_image(image_id: str, request: Request, principal: PrincipalDep,
                       services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    view = await run_in_threadpool(services.image_edits.update, principal, image_id,
                                   params.get("image"))
    return api_response(request, principal, view.body, view.access_headers)


@router.post("/images/{image_id}/duplicate", summary="Copy an image (sharing its file)")
@router.post("/images/{image_id}/duplicate/", include_in_schema=False)
async def duplicate_image(image_id: str, request: Request, principal: PrincipalDep,
                          services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    view = await run_in_threadpool(services.image_edits.duplicate, principal, image_id,
                                   params.get("album_id"), params.get("tags"))
    return api_response(request, principal, view.body, view.access_headers)


@router.get("/images/{image_id}/image_url", summary="A signed delivery URL of the image")
@router.get("/images/{image_id}/image_url/", include_in_schema=False)
async def image_url(image_id: str, request: Request, principal: PrincipalDep,
                    services: ServicesDep) -> JSONResponse:
    transformations = nest(request.query_params.multi_items()).get("transformations")
    body = await run_in_threadpool(services.image_queries.image_url, principal, image_id,
                                   transformations)
    return api_response(request, principal, body, cache_control=NO_STORE_PRIVATE)


@router.get("/images/{image_id}/user", summary="Who uploaded the image")
@router.get("/images/{image_id}/user/", include_in_schema=False)
async def image_user(image_id: str, request: Request, principal: PrincipalDep,
                     services: ServicesDep) -> JSONResponse:
    body = await run_in_threadpool(services.image_queries.user, principal, image_id)
    return api_response(request, principal, body)


@router.get("/image_syncs", summary="updated_at of the images a client keeps in sync")
@router.get("/image_syncs/", include_in_schema=False)
async def image_syncs(request: Request, principal: PrincipalDep,
                      services: ServicesDep) -> JSONResponse:
    ids = nest(request.query_params.multi_items()).get("ids")
    body = await run_in_threadpool(services.image_queries.syncs, principal, ids)
    return api_response(request, principal, body)
