"""An image's annotation (issue 5): `GET` and `PUT /api/v1/images/:id/annotation`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.errors import PayloadTooLarge
from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response
from tessera.http.routes.api_v1.nested_params import read_params
from tessera.services.annotations import MAX_BODY_BYTES

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.get("/images/{image_id}/annotation", summary="An image's annotation")
@router.get("/images/{image_id}/annotation/", include_in_schema=False)
async def get_annotation(image_id: str, request: Request, principal: PrincipalDep,
                         services: ServicesDep) -> JSONResponse:
    body = await run_in_threadpool(services.annotations.get, principal, image_id)
    return api_response(request, principal, body)


@router.put("/images/{image_id}/annotation", summary="Replace an image's annotation")
@router.put("/images/{image_id}/annotation/", include_in_schema=False)
async def put_annotation(image_id: str, request: Request, principal: PrincipalDep,
                         services: ServicesDep) -> JSONResponse:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge("The annotation is too large")
    params = await read_params(request)
    body = await run_in_threadpool(services.annotations.put, principal, image_id, params)
    return api_response(request, principal, body)
