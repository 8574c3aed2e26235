"""`/healthz`: the process answers and its database and blob store are reachable."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from tessera.http.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and dependency check")
async def healthz(services: ServicesDep) -> dict[str, str]:
    def check() -> None:
        services.secrets.has_active()
        services.blobs.exists("healthz/probe")

    await run_in_threadpool(check)
    return {"status": "ok"}
