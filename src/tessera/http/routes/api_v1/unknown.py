"""Any other `/api/…` path is an unknown API route: a plain 404, before the delivery route's
`/<cloud>/<resource_type>/<type>/…` pattern could read it as a (bad) delivery URL. Clients
such as the album page tell a route this server lacks from a missing image by this answer
(code `http_error`). Included after every API router, so it shadows none of them."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.exceptions import HTTPException

router = APIRouter(include_in_schema=False)


@router.api_route("/api/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
async def unknown_api_route(rest: str) -> Response:
    raise HTTPException(404, "Not Found")
