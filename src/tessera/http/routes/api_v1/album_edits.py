"""Albums beyond opening one (issue 5): `GET /api/v1/albums` (a page of the albums the token
may see), `POST /api/v1/albums` (create), `PUT /api/v1/albums/:id` (rename, `merge=true`),
`POST /api/v1/albums/:id/duplicate` and `POST /api/v1/albums/:id/upload_done`. Every path
answers with and without a trailing slash directly."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response
from tessera.http.routes.api_v1.nested_params import read_params
from tessera.services.album_edits import nested_album_id
from tessera.services.pagination import PageRequest

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.get("/albums", summary="The albums the token may see, a page at a time")
@router.get("/albums/", include_in_schema=False)
async def list_albums(request: Request, principal: PrincipalDep,
                      services: ServicesDep) -> JSONResponse:
    page = PageRequest.parse(request.query_params.get("page"),
                             request.query_params.get("per_page"))
    listing = await run_in_threadpool(services.albums.list, principal, page)
    return api_response(request, principal, listing.body, listing.headers)


@router.post("/albums", summary="Create an album (answers the existing one as is)")
@router.post("/albums/", include_in_schema=False)
async def create_album(request: Request, principal: PrincipalDep,
                       services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    view = await run_in_threadpool(services.album_edits.create, principal,
                                   nested_album_id(params, "id"))
    return api_response(request, principal, view.body, view.access_headers)


@router.put("/albums/{album_id}", summary="Rename an album (merge=true: into an existing one)")
@router.put("/albums/{album_id}/", include_in_schema=False)
async def rename_album(album_id: str, request: Request, principal: PrincipalDep,
                       services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    view = await run_in_threadpool(services.album_edits.rename, principal, album_id,
                                   nested_album_id(params), params.get("merge"))
    return api_response(request, principal, view.body, view.access_headers)


@router.post("/albums/{album_id}/duplicate", summary="Copy an album's images into a new album")
@router.post("/albums/{album_id}/duplicate/", include_in_schema=False)
async def duplicate_album(album_id: str, request: Request, principal: PrincipalDep,
                          services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    view = await run_in_threadpool(services.album_edits.duplicate, principal, album_id,
                                   nested_album_id(params, "new_album_id"), params.get("tags"))
    return api_response(request, principal, view.body, view.access_headers)


@router.post("/albums/{album_id}/upload_done", summary="Record that an upload batch is over")
@router.post("/albums/{album_id}/upload_done/", include_in_schema=False)
async def upload_done(album_id: str, request: Request, principal: PrincipalDep,
                      services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    event = await run_in_threadpool(services.album_edits.upload_done, principal, album_id,
                                    params)
    return api_response(request, principal, event)
