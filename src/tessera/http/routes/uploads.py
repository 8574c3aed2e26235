"""`POST /v1_1/<cloud>/{image,auto}/upload`: the Cloudinary upload API (grammar §9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from tessera.errors import BadRequest, NotFound, Unauthorized
from tessera.http.deps import ServicesDep
from tessera.http.forms import upload_form
from tessera.services.upload_params import UploadParams

router = APIRouter(tags=["upload"])

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "required": ["file", "api_key", "timestamp", "signature"],
                    "properties": {
                        "file": {"type": "string", "format": "binary",
                                 "description": "The image, or a data: URI"},
                        "api_key": {"type": "string"},
                        "timestamp": {"type": "integer"},
                        "signature": {"type": "string",
                                      "description": "SHA-1/SHA-256 of the sorted params"},
                        "public_id": {"type": "string"},
                        "folder": {"type": "string"},
                        "tags": {"type": "string", "description": "comma-separated"},
                        "type": {"type": "string",
                                 "enum": ["upload", "private", "authenticated"]},
                        "context": {"type": "string", "description": "k=v|k2=v2"},
                        "colors": {"type": "boolean"},
                        "faces": {"type": "boolean"},
                        "image_metadata": {"type": "boolean"},
                        "phash": {"type": "boolean"},
                        "overwrite": {"type": "boolean"},
                        "notification_url": {"type": "string"},
                    },
                }
            }
            for media in ("multipart/form-data", "application/x-www-form-urlencoded")
        },
    }
}


@router.post("/v1_1/{cloud}/{resource_type}/upload", openapi_extra=_UPLOAD_BODY,
             summary="Upload an image (Cloudinary-compatible signed upload)")
async def upload(cloud: str, resource_type: str, request: Request,
                 services: ServicesDep) -> dict[str, Any]:
    settings = services.settings
    organization_id = await run_in_threadpool(services.secrets.organization_of, cloud)
    if organization_id is None:
        raise NotFound(f"Unknown cloud {cloud}")
    if resource_type not in ("image", "auto"):
        raise BadRequest(f"Unsupported resource_type {resource_type}: only image and auto")
    async with upload_form(request, settings.data_dir / "tmp",
                           settings.max_upload_bytes) as (fields, incoming):
        credentials = await run_in_threadpool(services.uploads.authenticate, fields)
        if credentials.organization_id != organization_id:
            raise Unauthorized(f"API key {credentials.secret_id} does not belong to cloud {cloud}")
        params = UploadParams.from_fields(fields)
        return await run_in_threadpool(services.uploads.upload, credentials, params, incoming)
