"""All queries, named by intent. Repositories never commit: the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tessera.db.models import Asset, ClientSecret, Organization


class OrganizationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, organization_id: str) -> Organization | None:
        return self._session.get(Organization, organization_id)

    def add(self, organization: Organization) -> None:
        self._session.add(organization)
        # No ORM relationship orders the inserts: flush so rows referencing it can follow.
        self._session.flush()


class SecretRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, secret_id: str) -> ClientSecret | None:
        return self._session.get(ClientSecret, secret_id)

    def get_active(self, secret_id: str) -> ClientSecret | None:
        secret = self._session.get(ClientSecret, secret_id)
        return secret if secret is not None and secret.revoked_at is None else None

    def add(self, secret: ClientSecret) -> None:
        self._session.add(secret)

    def list(self, organization_id: str | None = None) -> Sequence[ClientSecret]:
        query = select(ClientSecret).order_by(ClientSecret.created_at, ClientSecret.id)
        if organization_id is not None:
            query = query.where(ClientSecret.organization_id == organization_id)
        return self._session.scalars(query).all()

    def count_active(self) -> int:
        query = select(func.count()).select_from(ClientSecret).where(
            ClientSecret.revoked_at.is_(None))
        return int(self._session.scalar(query) or 0)


class AssetRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def find(self, organization_id: str, resource_type: str, type_: str,
             public_id: str) -> Asset | None:
        query = select(Asset).where(
            Asset.organization_id == organization_id,
            Asset.resource_type == resource_type,
            Asset.type == type_,
            Asset.public_id == public_id,
        )
        return self._session.scalars(query).one_or_none()

    def add(self, asset: Asset) -> None:
        self._session.add(asset)

    def count(self, organization_id: str | None = None) -> int:
        query = select(func.count()).select_from(Asset)
        if organization_id is not None:
            query = query.where(Asset.organization_id == organization_id)
        return int(self._session.scalar(query) or 0)

    def is_blob_referenced(self, blob_key: str) -> bool:
        query = select(func.count()).select_from(Asset).where(Asset.blob_key == blob_key)
        return bool(self._session.scalar(query))
