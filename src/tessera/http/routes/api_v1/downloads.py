"""Downloads (issue 5): `POST /api/v1/downloads` answers `{id, zip_url}`; the `zip_url`
(`GET /api/v1/downloads/:id/zip?signature=`, no token: the signature is the proof) and
`GET /api/v1/organizations/:org/albums/:album/zip` stream a ZIP of originals, produced while
it is sent. Every path answers with and without a trailing slash directly."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import (
    PrincipalDep,
    api_response,
    response_headers,
    static_headers,
)
from tessera.http.routes.api_v1.nested_params import read_params
from tessera.services.downloads import DownloadService, ZipPlan

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


def _zip_response(downloads: DownloadService, plan: ZipPlan,
                  headers: dict[str, str]) -> StreamingResponse:
    archive = downloads.stream(plan)
    ascii_name = plan.filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = (f'attachment; filename="{ascii_name.replace(chr(34), "_")}"; '
                   f"filename*=UTF-8''{quote(plan.filename)}")
    # A sync iterator: Starlette reads it in the thread pool, one chunk at a time.
    return StreamingResponse(iter(archive), media_type="application/zip", headers={
        **headers, "Content-Disposition": disposition, "Content-Length": str(len(archive))})


@router.post("/downloads", summary="Prepare a ZIP of originals")
@router.post("/downloads/", include_in_schema=False)
async def create_download(request: Request, principal: PrincipalDep,
                          services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    body = await run_in_threadpool(services.downloads.create, principal, params)
    return api_response(request, principal, body)


@router.get("/downloads/{download_id}/zip", summary="The ZIP of a download (its zip_url)")
@router.get("/downloads/{download_id}/zip/", include_in_schema=False)
async def download_zip(download_id: str, request: Request,
                       services: ServicesDep) -> StreamingResponse:
    plan = await run_in_threadpool(services.downloads.download_zip, download_id,
                                   request.query_params.get("signature"))
    return _zip_response(services.downloads, plan, static_headers(request))


@router.get("/organizations/{organization_id}/albums/{album_id}/zip",
            summary="A ZIP of every original of an album")
@router.get("/organizations/{organization_id}/albums/{album_id}/zip/",
            include_in_schema=False)
async def album_zip(organization_id: str, album_id: str, request: Request,
                    principal: PrincipalDep, services: ServicesDep) -> StreamingResponse:
    plan = await run_in_threadpool(services.downloads.album_zip, principal, organization_id,
                                   album_id)
    return _zip_response(services.downloads, plan, response_headers(request, principal))
