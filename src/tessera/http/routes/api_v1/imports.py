"""Remote imports (issue 5): `POST /api/v1/imports` queues the fetch of a URL into an album
and answers the import (202: it runs in the background), `GET /api/v1/imports/:id` shows its
progress. Every path answers with and without a trailing slash directly."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response
from tessera.http.routes.api_v1.nested_params import read_params

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.post("/imports", summary="Import an image from a URL (in the background)",
             status_code=202)
@router.post("/imports/", include_in_schema=False, status_code=202)
async def create_import(request: Request, principal: PrincipalDep,
                        services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    body = await run_in_threadpool(services.imports.create, principal, params)
    response = api_response(request, principal, body)
    response.status_code = 202
    return response


@router.get("/imports/{import_id}", summary="An import and how it went")
@router.get("/imports/{import_id}/", include_in_schema=False)
async def get_import(import_id: str, request: Request, principal: PrincipalDep,
                     services: ServicesDep) -> JSONResponse:
    body = await run_in_threadpool(services.imports.get, principal, import_id)
    return api_response(request, principal, body)
