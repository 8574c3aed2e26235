"""`GET /api/v1/search?q=&page=&per_page=` (issue 5): image JSON of the images the token may
see that match `q` (the token's own `q` when absent), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.errors import BadRequest
from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response
from tessera.services.search import DEFAULT_PER_PAGE

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


def int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an integer") from exc


@router.get("/search", summary="Search the images the token may see")
@router.get("/search/", include_in_schema=False)
async def search(request: Request, principal: PrincipalDep,
                 services: ServicesDep) -> JSONResponse:
    rows = await run_in_threadpool(
        services.search.search, principal, request.query_params.get("q"),
        int_param(request, "page", 1), int_param(request, "per_page", DEFAULT_PER_PAGE))
    return api_response(request, principal, rows)
