"""The caller's account (issue 5): `POST /api/v1/token` (a derived token, never more than the
caller holds), `POST /api/v1/secret` (admins: a new client secret, shown once),
`GET /api/v1/user`, `GET /api/v1/organization`."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tessera.errors import BadRequest
from tessera.http.deps import ServicesDep
from tessera.http.routes.api_v1.guard import PrincipalDep, api_response
from tessera.http.routes.api_v1.nested_params import read_params

router = APIRouter(prefix="/api/v1", tags=["sharinpix"])


@router.post("/token", summary="Derive a token (never more than the caller's)")
@router.post("/token/", include_in_schema=False)
async def derive_token(request: Request, principal: PrincipalDep,
                       services: ServicesDep) -> JSONResponse:
    claims = (await read_params(request)).get("claims")
    if claims is None:
        raise BadRequest("Missing required parameter - claims")
    if isinstance(claims, str):  # a form field carries the claims as JSON text
        try:
            claims = json.loads(claims)
        except ValueError as exc:
            raise BadRequest("claims must be a JSON object") from exc
    body = await run_in_threadpool(services.account.derive_token, principal, claims)
    return api_response(request, principal, body)


@router.post("/secret", summary="Create a client secret (admins)")
@router.post("/secret/", include_in_schema=False)
async def create_secret(request: Request, principal: PrincipalDep,
                        services: ServicesDep) -> JSONResponse:
    name = (await read_params(request)).get("name")
    body = await run_in_threadpool(services.account.create_secret, principal, name)
    return api_response(request, principal, body)


@router.get("/user", summary="The user the token speaks for")
@router.get("/user/", include_in_schema=False)
async def user(request: Request, principal: PrincipalDep,
               services: ServicesDep) -> JSONResponse:
    return api_response(request, principal, services.account.user(principal))


@router.get("/organization", summary="The token's organization")
@router.get("/organization/", include_in_schema=False)
async def organization(request: Request, principal: PrincipalDep,
                       services: ServicesDep) -> JSONResponse:
    body = await run_in_threadpool(services.account.organization, principal)
    return api_response(request, principal, body)
