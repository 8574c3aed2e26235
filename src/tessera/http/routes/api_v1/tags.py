"""Tags (issue 5): `POST /api/v1/tags`, `GET /api/v1/tags[?visible=]`,
`GET /api/v1/tags/autocomplete?q=&filters=`, `PUT /api/v1/tags/:id`,
`GET /api/v1/tags_token?tag_name=|tag_id=[&album_id=]` and the token-less
`GET /api/v1/tags/:tag_id/public_tags[?page=]`. Every path answers with and without a
trailing slash directly."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.errors import BadRequest
from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import JSON_UTF8, PrincipalDep, api_response, static_headers
from tessera.http.routes.api_v1.nested_params import read_params
from tessera.services.pagination import page_number

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.post("/tags", summary="Create a tag")
@router.post("/tags/", include_in_schema=False)
async def create_tag(request: Request, principal: PrincipalDep,
                     services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    body = await run_in_threadpool(services.tags.create, principal, params)
    return api_response(request, principal, body)


@router.get("/tags", summary="The organization's tags")
@router.get("/tags/", include_in_schema=False)
async def list_tags(request: Request, principal: PrincipalDep,
                    services: ServicesDep) -> JSONResponse:
    query = request.query_params
    body = await run_in_threadpool(services.tags.index, principal, query.get("visible"),
                                   page_number(query.get("page")))
    return api_response(request, principal, body)


@router.get("/tags/autocomplete", summary="Tags whose name or label starts with q")
@router.get("/tags/autocomplete/", include_in_schema=False)
async def autocomplete_tags(request: Request, principal: PrincipalDep,
                            services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    query = params.get("q")
    if query is not None and not isinstance(query, str):
        raise BadRequest("q must be a text")
    body = await run_in_threadpool(services.tags.autocomplete, principal, query,
                                   params.get("filters"))
    return api_response(request, principal, body)


@router.put("/tags/{tag_id}", summary="Update a tag")
@router.put("/tags/{tag_id}/", include_in_schema=False)
async def update_tag(tag_id: str, request: Request, principal: PrincipalDep,
                     services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    body = await run_in_threadpool(services.tags.update, principal, tag_id, params)
    return api_response(request, principal, body)


@router.get("/tags_token", summary="A search token showing the images of a tag")
@router.get("/tags_token/", include_in_schema=False)
async def tags_token(request: Request, principal: PrincipalDep,
                     services: ServicesDep) -> JSONResponse:
    query = request.query_params
    body = await run_in_threadpool(services.tags.tags_token, principal, query.get("tag_name"),
                                   query.get("tag_id"), query.get("album_id"))
    return api_response(request, principal, body)


@router.get("/tags/{tag_id}/public_tags", summary="Images of a public tag (no token)")
@router.get("/tags/{tag_id}/public_tags/", include_in_schema=False)
async def public_tag_images(tag_id: str, request: Request,
                            services: ServicesDep) -> JSONResponse:
    body = await run_in_threadpool(services.tags.public_images, tag_id,
                                   page_number(request.query_params.get("page")))
    return JSONResponse(body, media_type=JSON_UTF8, headers=static_headers(request))
