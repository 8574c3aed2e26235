"""`POST /api/v1/cloudinary?token=…`: the `notification_url` of every upload form. Cloudinary
(here: Tessera's own upload endpoint) posts the upload result there, so the image is
registered even when the client never calls back (issue 4 item 3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response
from tessera.http.routes.api_v1.nested_params import read_params

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.post("/cloudinary", summary="Upload notification: register the uploaded image")
@router.post("/cloudinary/", include_in_schema=False)
async def upload_notification(request: Request, principal: PrincipalDep,
                              services: ServicesDep) -> JSONResponse:
    params = await read_params(request)
    params.pop("token", None)
    # A notification body is the result itself; a client may also wrap it in `cloudinary`.
    result = params.get("cloudinary", params)
    view = await run_in_threadpool(services.images.register_notification, principal, result)
    return api_response(request, principal, view.body, view.access_headers)
