"""`GET /api/v1/search?q=&page=&per_page=` (issue 5): image JSON of the images the token may
see that match `q` (the token's own `q` when absent), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response
from tessera.services.pagination import PageRequest
from tessera.services.search import DEFAULT_PER_PAGE

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.get("/search", summary="Search the images the token may see")
@router.get("/search/", include_in_schema=False)
async def search(request: Request, principal: PrincipalDep,
                 services: ServicesDep) -> JSONResponse:
    query = request.query_params
    page = PageRequest.parse(query.get("page"), query.get("per_page"),
                             default_per_page=DEFAULT_PER_PAGE)
    rows = await run_in_threadpool(services.search.search, principal, query.get("q"),
                                   page.page, page.per_page)
    return api_response(request, principal, rows)
