"""`GET /api/v1/albums/:id`: the album (created on first use) with its `upload_form` and the
`X-access-*` headers of the token's abilities on it (issue 4 item 2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.get("/albums/{album_id}", summary="Open an album (created on first use)")
@router.get("/albums/{album_id}/", include_in_schema=False)
async def get_album(album_id: str, request: Request, principal: PrincipalDep,
                    services: ServicesDep) -> JSONResponse:
    view = await run_in_threadpool(services.albums.open, principal, album_id)
    return api_response(request, principal, view.body, view.access_headers)
