"""Building signed upload requests the way the official SDK does (the SDK is the oracle)."""

from __future__ import annotations

import time

import cloudinary.utils
from fastapi import FastAPI

from tests.conftest import Tenant


def signed_fields(tenant: Tenant, timestamp: int | None = None, **params: object) -> dict[str, str]:
    """Fields of a signed upload: SDK booleans as 1/0, signature by `api_sign_request`."""
    fields = {k: ("1" if v is True else "0" if v is False else str(v))
              for k, v in params.items() if v is not None}
    fields["timestamp"] = str(timestamp if timestamp is not None else int(time.time()))
    fields["signature"] = cloudinary.utils.api_sign_request(dict(fields), tenant.api_secret)
    fields["api_key"] = tenant.api_key
    return fields


def stored(app: FastAPI, tenant: Tenant) -> tuple[int, list[str]]:
    """(asset rows, original blobs) belonging to the tenant: what a failed upload must not leave."""
    services = app.state.services
    with services.db.uow() as uow:
        rows = uow.assets.count(tenant.organization_id)
    return rows, list(services.blobs.keys(f"originals/{tenant.organization_id}/"))
