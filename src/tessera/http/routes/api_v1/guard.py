"""The one door of the SharinPix API: every route takes `PrincipalDep`, which reads the token
(`Authorization: Token token="…"`, `Bearer …`, or `?token=`), verifies it, and yields the
principal the use case authorizes against; `api_response` adds the X-token and the headers
SharinPix sends (seeds 002-004). Refusals are the error handler's 401 with a generic message.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.auth.tokens import token_from_authorization
from tessera.http.deps import ServicesDep
from tessera.services.access import Principal

NO_STORE: Final = "no-cache, no-store"
# Seed 002 (GET /api/v1/images/:id) shows Rails' longer form of the same directive.
NO_STORE_PRIVATE: Final = "no-cache, no-store, must-revalidate, private, max-age=0"
# Headers every SharinPix API response carries (seeds 002-004).
_STATIC_HEADERS: Final = {
    "Pragma": "no-cache",
    "Expires": "Fri, 01 Jan 1990 00:00:00 GMT",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "X-Content-Type-Options": "nosniff",
    "X-Download-Options": "noopen",
    "X-Permitted-Cross-Domain-Policies": "none",
    "Referrer-Policy": "origin-when-cross-origin, strict-origin-when-cross-origin",
    "Vary": "Accept-Encoding",
    "P3P": 'CP="NOI ADM DEV PSAi COM NAV OUR OTRo STP IND DEM"',
}
JSON_UTF8: Final = "application/json; charset=utf-8"


def request_token(request: Request) -> str | None:
    return (token_from_authorization(request.headers.get("authorization"))
            or request.query_params.get("token"))


async def authenticated(request: Request, services: ServicesDep) -> Principal:
    request.state.started = time.perf_counter()
    principal = await run_in_threadpool(services.access.authenticate, request_token(request))
    # The error handler adds it to authenticated error answers (404, 409, …) too.
    request.state.x_token = principal.x_token
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticated)]


def static_headers(request: Request, cache_control: str = NO_STORE) -> dict[str, str]:
    """The headers of every SharinPix response, authenticated or not."""
    started = getattr(request.state, "started", None)
    headers = {"Cache-Control": cache_control, **_STATIC_HEADERS,
               "X-Request-Id": str(uuid.uuid4())}
    if started is not None:
        headers["X-Runtime"] = f"{time.perf_counter() - started:.6f}"
    return headers


def response_headers(request: Request, principal: Principal,
                     extra: dict[str, str] | None = None,
                     cache_control: str = NO_STORE) -> dict[str, str]:
    return {**static_headers(request, cache_control), **(extra or {}),
            "X-token": principal.x_token}


def api_response(request: Request, principal: Principal, body: Any,
                 extra: dict[str, str] | None = None,
                 cache_control: str = NO_STORE) -> JSONResponse:
    return JSONResponse(body, media_type=JSON_UTF8,
                        headers=response_headers(request, principal, extra, cache_control))
