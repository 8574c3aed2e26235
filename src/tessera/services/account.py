"""The caller's own account (issue 5): derive a token (`POST /api/v1/token`), create a client
secret (`POST /api/v1/secret`, admins), who the token speaks for (`GET /api/v1/user`) and its
organization (`GET /api/v1/organization`).

A derived token is signed with the server key and carries the caller's `iss`, so it belongs to
the caller's organization and dies with the caller's secret; its claims are
`delegation.derive_claims`: never more than the caller holds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from tessera.auth.abilities import View, authorize
from tessera.auth.delegation import derive_claims
from tessera.db.uow import Database
from tessera.errors import BadRequest, NotFound
from tessera.services.access import AccessService, Principal
from tessera.services.image_json import iso_time
from tessera.services.secrets import SecretService

log = logging.getLogger(__name__)
MAX_SECRET_NAME: Final = 200


class AccountService:
    def __init__(self, db: Database, access: AccessService, secrets: SecretService,
                 public_url: str) -> None:
        self._db = db
        self._access = access
        self._secrets = secrets
        self._public_url = public_url

    def derive_token(self, principal: Principal, requested: Any) -> dict[str, str]:
        """`{token}` for `requested` claims intersected with the caller's. Raises BadRequest
        (claims not an object, bad exp, nothing granted)."""
        if not isinstance(requested, Mapping):
            raise BadRequest("claims must be a JSON object")
        codec = self._access.codec
        claims = derive_claims(principal.abilities, principal.claims, requested, codec.now())
        if principal.secret_id is not None:
            claims["iss"] = principal.secret_id
        log.info("event=token_derived organization_id=%s", principal.organization_id)
        return {"token": codec.sign(claims)}

    def create_secret(self, principal: Principal, name: Any) -> dict[str, str]:
        """A new client secret of the caller's organization, shown this once."""
        authorize(principal.abilities, View.SECRETS, "")
        if name is None:
            name = "api"
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_SECRET_NAME:
            raise BadRequest(f"name must be 1-{MAX_SECRET_NAME} characters")
        issued = self._secrets.create(name.strip(), principal.organization_id)
        log.info("event=secret_created organization_id=%s secret_id=%s",
                 principal.organization_id, issued.id)
        return {"id": issued.id, "name": issued.name, "secret": issued.secret,
                "url": issued.url(self._public_url)}

    @staticmethod
    def user(principal: Principal) -> dict[str, Any]:
        """Who the token speaks for: `id` is its `user_id` claim, null without one."""
        abilities = principal.abilities
        return {"id": abilities.user_id, "admin": abilities.admin,
                "organization_id": principal.organization_id}

    def organization(self, principal: Principal) -> dict[str, Any]:
        with self._db.uow() as uow:
            organization = uow.organizations.get(principal.organization_id)
            if organization is None:  # pragma: no cover - a verified token's org exists
                raise NotFound("Organization not found")
            return {"id": organization.id, "name": organization.name,
                    "cloud_name": self._secrets.cloud_of(organization.id),
                    "created_at": iso_time(organization.created_at)}
