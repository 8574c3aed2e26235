"""Who is calling: a SharinPix token → its organization, abilities and X-token.

The token's `iss` names a client secret (organization = that secret's); a token signed with
the server key is Tessera's own and belongs to the organization of its `iss`, or to the default
organization when it has none (single-tenant deployments mint such tokens with the server key).
Unknown or revoked `iss` → 401, even for server-signed tokens: revoking a secret revokes every
token derived from it, X-tokens included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.auth.abilities import Abilities
from tessera.auth.tokens import TokenCodec
from tessera.errors import Unauthorized
from tessera.services.secrets import DEFAULT_ORGANIZATION, SecretService


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified token: everything a use case needs to decide and to sign URLs."""

    organization_id: str
    secret_id: str | None
    abilities: Abilities
    claims: dict[str, Any]
    x_token: str


class AccessService:
    def __init__(self, secrets: SecretService, codec: TokenCodec) -> None:
        self._secrets = secrets
        self.codec = codec

    def authenticate(self, token: str | None) -> Principal:
        """Raises Unauthorized for a missing, malformed, forged, expired or revoked token."""
        if not token:
            raise Unauthorized("Invalid token", detail="no token")
        issuer = self.codec.peek_issuer(token)
        credentials = self._secrets.resolve(issuer) if issuer else None
        if issuer and credentials is None:
            raise Unauthorized("Invalid token", detail="unknown or revoked iss")
        verified = self.codec.verify(token, credentials.secret if credentials else None)
        if credentials is not None:
            organization_id = credentials.organization_id
        elif verified.signed_by_server and self._has_active_secret(DEFAULT_ORGANIZATION):
            organization_id = DEFAULT_ORGANIZATION
        else:  # a server token of a default organization that has no secret (yet)
            raise Unauthorized("Invalid token", detail="default organization has no secret")
        return Principal(organization_id=organization_id,
                         secret_id=credentials.secret_id if credentials else None,
                         abilities=Abilities.from_claims(verified.claims),
                         claims=verified.claims,
                         x_token=self.codec.refresh(verified.claims))

    def _has_active_secret(self, organization_id: str) -> bool:
        return any(info.revoked_at is None for info in self._secrets.list(organization_id))

    def signing_secret(self, principal: Principal) -> tuple[str, str]:
        """(api_key, api_secret) that signs upload forms and delivery URLs for `principal`:
        the token's own secret, else the organization's first active one.

        Raises Unauthorized when the organization has no active secret left.
        """
        if principal.secret_id is not None:
            credentials = self._secrets.resolve(principal.secret_id)
            if credentials is not None:
                return credentials.secret_id, credentials.secret
        return self.organization_credentials(principal.organization_id)

    def organization_credentials(self, organization_id: str) -> tuple[str, str]:
        """(api_key, api_secret) of the organization's first active secret."""
        for info in self._secrets.list(organization_id):
            if info.revoked_at is None:
                credentials = self._secrets.resolve(info.id)
                if credentials is not None:
                    return credentials.secret_id, credentials.secret
        raise Unauthorized("Invalid token", detail="organization has no active secret")

    def organization_secret(self, organization_id: str) -> str:
        return self.organization_credentials(organization_id)[1]
