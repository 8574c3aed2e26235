"""Client secrets: create, list, revoke, and resolve an api_key to its organization and secret."""

from __future__ import annotations

import re
import secrets as random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from tessera.auth.server_key import SecretBox
from tessera.db.models import ClientSecret, Organization
from tessera.db.uow import Database
from tessera.errors import BadRequest, Conflict, NotFound

DEFAULT_ORGANIZATION = "default"
_ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SECRET_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    id: str
    secret: str
    organization_id: str
    name: str

    def url(self, public_url: str) -> str:
        host = public_url.split("://", 1)[-1].rstrip("/")
        return f"sharinpix://{self.id}:{self.secret}@{host}/api/v1"


@dataclass(frozen=True, slots=True)
class SecretInfo:
    id: str
    name: str
    organization_id: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Credentials:
    """What an api_key resolves to: whose it is and the secret that signs for it."""

    secret_id: str
    organization_id: str
    secret: str


class SecretService:
    """Secrets and the organizations that own them.

    Each organization is one Cloudinary cloud: the default organization answers to the
    configured cloud name, every other one to its own id, so a delivery URL or an upload path
    names exactly one organization and public ids never collide across them.
    """

    def __init__(self, db: Database, box: SecretBox, default_cloud: str = "tessera") -> None:
        self._db = db
        self._box = box
        self.default_cloud = default_cloud
        self._known_clouds: set[str] = set()

    def cloud_of(self, organization_id: str) -> str:
        return self.default_cloud if organization_id == DEFAULT_ORGANIZATION else organization_id

    def organization_of(self, cloud: str) -> str | None:
        """The organization serving `cloud`, or None if no organization has that cloud."""
        if cloud == self.default_cloud:
            return DEFAULT_ORGANIZATION
        if cloud == DEFAULT_ORGANIZATION:  # the default organization only has its cloud name
            return None
        # Organizations are never deleted: a known cloud is remembered, an unknown one asked
        # again (it may be created at any moment). Saves a query on every delivery.
        if cloud in self._known_clouds:
            return cloud
        with self._db.uow() as uow:
            found = uow.organizations.get(cloud) is not None
        if found:
            self._known_clouds.add(cloud)
        return cloud if found else None

    def active_secrets(self, organization_id: str) -> list[str]:
        """Every active secret of an organization (delivery signatures may use any of them)."""
        with self._db.uow() as uow:
            return [self._box.open(s.secret_encrypted) for s in uow.secrets.list(organization_id)
                    if s.revoked_at is None]

    def create(self, name: str, organization_id: str = DEFAULT_ORGANIZATION, *,
               secret_id: str | None = None, secret: str | None = None) -> IssuedSecret:
        """A new secret; `secret_id`/`secret` import an existing pair (a SharinPix or
        Cloudinary account moving here keeps its clients' configuration)."""
        # Organization ids become blob-key segments: keep them to a safe alphabet.
        if not _ORG_ID.fullmatch(organization_id):
            raise BadRequest("Organization ids are 1-64 characters of A-Z a-z 0-9 . _ -")
        if organization_id != DEFAULT_ORGANIZATION and organization_id == self.default_cloud:
            raise BadRequest(f"{organization_id!r} is the default organization's cloud name")
        now = datetime.now(UTC)
        if secret is not None and len(secret) < 4:
            raise BadRequest("An imported secret must have at least 4 characters")
        if secret_id is not None and not _SECRET_ID.fullmatch(secret_id):
            raise BadRequest("Secret ids are 1-64 characters of A-Z a-z 0-9 . _ -")
        issued = IssuedSecret(id=secret_id or str(uuid.uuid4()),
                              secret=secret or random.token_urlsafe(32),
                              organization_id=organization_id, name=name)
        with self._db.uow() as uow:
            if uow.organizations.get(organization_id) is None:
                uow.organizations.add(Organization(id=organization_id, name=organization_id,
                                                   created_at=now))
            if uow.secrets.get(issued.id) is not None:
                raise Conflict(f"A secret with id {issued.id} exists already")
            uow.secrets.add(ClientSecret(id=issued.id, organization_id=organization_id,
                                         name=name, secret_encrypted=self._box.seal(issued.secret),
                                         created_at=now))
            uow.commit()
        return issued

    def list(self, organization_id: str | None = None) -> list[SecretInfo]:
        with self._db.uow() as uow:
            return [SecretInfo(s.id, s.name, s.organization_id, s.created_at, s.revoked_at)
                    for s in uow.secrets.list(organization_id)]

    def revoke(self, secret_id: str) -> None:
        with self._db.uow() as uow:
            secret = uow.secrets.get(secret_id)
            if secret is None:
                raise NotFound(f"No secret {secret_id}")
            if secret.revoked_at is None:
                secret.revoked_at = datetime.now(UTC)
            uow.commit()

    def reveal(self, secret_id: str) -> IssuedSecret:
        """The full secret of an active id (for `tessera serve` in dev mode only)."""
        with self._db.uow() as uow:
            secret = uow.secrets.get_active(secret_id)
            if secret is None:
                raise NotFound(f"No active secret {secret_id}")
            return IssuedSecret(secret.id, self._box.open(secret.secret_encrypted),
                                secret.organization_id, secret.name)

    def has_active(self) -> bool:
        with self._db.uow() as uow:
            return uow.secrets.count_active() > 0

    def resolve(self, secret_id: str) -> Credentials | None:
        """Credentials of an active secret, or None for unknown or revoked ids."""
        with self._db.uow() as uow:
            secret = uow.secrets.get_active(secret_id)
            if secret is None:
                return None
            return Credentials(secret.id, secret.organization_id,
                               self._box.open(secret.secret_encrypted))
