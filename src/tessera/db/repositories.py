"""All queries, named by intent. Repositories never commit: the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from tessera.db.models import (
    Album,
    Asset,
    ClientSecret,
    Download,
    Image,
    ImageExternalUrl,
    ImageSearchTerm,
    Import,
    Organization,
    Tag,
    TagImage,
)


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

    def find_deliverable(self, organization_id: str, resource_type: str, type_: str,
                         public_id: str) -> Asset | None:
        """`find`, unless the asset's image is in the trash (one query, as `find`)."""
        trashed = select(Image.id).where(Image.asset_id == Asset.id,
                                         Image.deleted_at.is_not(None)).exists()
        query = select(Asset).where(
            Asset.organization_id == organization_id,
            Asset.resource_type == resource_type,
            Asset.type == type_,
            Asset.public_id == public_id,
            ~trashed,
        )
        return self._session.scalars(query).one_or_none()

    def delete(self, asset_pk: int) -> None:
        self._session.execute(delete(Asset).where(Asset.id == asset_pk))

    def delete_unused(self, asset_pks: Sequence[int]) -> list[Asset]:
        """Delete those of `asset_pks` no image uses any more; answers the deleted rows."""
        used = select(Image.id).where(Image.asset_id == Asset.id).exists()
        rows = list(self._session.scalars(
            select(Asset).where(Asset.id.in_(list(asset_pks)), ~used)).all())
        if rows:
            self._session.execute(delete(Asset).where(Asset.id.in_([a.id for a in rows])))
        return rows

    def is_blob_referenced(self, blob_key: str) -> bool:
        query = select(func.count()).select_from(Asset).where(Asset.blob_key == blob_key)
        return bool(self._session.scalar(query))


# --- SharinPix API (issue 4) --------------------------------------------------------------------


class AlbumRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def find_many(self, organization_id: str, external_ids: Sequence[str]) -> Sequence[Album]:
        query = select(Album).where(Album.organization_id == organization_id,
                                    Album.external_id.in_(list(external_ids)))
        return self._session.scalars(query).all()

    def by_pks(self, album_pks: Sequence[str]) -> Sequence[Album]:
        return self._session.scalars(select(Album).where(Album.id.in_(list(album_pks)))).all()

    def find(self, organization_id: str, external_id: str) -> Album | None:
        query = select(Album).where(Album.organization_id == organization_id,
                                    Album.external_id == external_id)
        return self._session.scalars(query).one_or_none()

    def add(self, album: Album) -> None:
        self._session.add(album)
        self._session.flush()

    def count_images(self, album_pk: str) -> int:
        query = select(func.count()).select_from(Image).where(Image.album_id == album_pk,
                                                              Image.deleted_at.is_(None))
        return int(self._session.scalar(query) or 0)

    def first_image(self, album_pk: str) -> Image | None:
        query = (select(Image).where(Image.album_id == album_pk, Image.deleted_at.is_(None))
                 .order_by(Image.created_at, Image.id).limit(1))
        return self._session.scalars(query).first()


class ImageRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, organization_id: str, image_id: str) -> Image | None:
        """The image `image_id` if it belongs to the organization (isolation: never another's)
        and is not in the trash."""
        image = self.get_any_state(organization_id, image_id)
        return image if image is not None and image.deleted_at is None else None

    def get_trashed(self, organization_id: str, image_id: str) -> Image | None:
        """The organization's image `image_id` if it is in the trash."""
        image = self.get_any_state(organization_id, image_id)
        return image if image is not None and image.deleted_at is not None else None

    def get_any_state(self, organization_id: str, image_id: str) -> Image | None:
        """The organization's image `image_id`, in the trash or not."""
        image = self._session.get(Image, image_id)
        return image if image is not None and image.organization_id == organization_id else None

    def get_anywhere(self, image_id: str) -> Image | None:
        """By id alone, for URLs that carry their own proof (signed thumbnail links); never a
        trashed image."""
        image = self._session.get(Image, image_id)
        return image if image is not None and image.deleted_at is None else None

    def get_many(self, organization_id: str, image_ids: Sequence[str]) -> Sequence[Image]:
        """The organization's images among `image_ids` that are not in the trash."""
        query = select(Image).where(Image.organization_id == organization_id,
                                    Image.id.in_(list(image_ids)),
                                    Image.deleted_at.is_(None))
        return self._session.scalars(query).unique().all()

    def trashed(self, organization_id: str, album_pks: Sequence[str] | None, *, offset: int,
                limit: int) -> Sequence[Image]:
        """Trashed images of the organization (of `album_pks` only unless None), most
        recently deleted first."""
        query = select(Image).where(Image.organization_id == organization_id,
                                    Image.deleted_at.is_not(None))
        if album_pks is not None:
            query = query.where(Image.album_id.in_(list(album_pks)))
        query = (query.order_by(Image.deleted_at.desc(), Image.id)
                 .offset(offset).limit(limit))
        return self._session.scalars(query).unique().all()

    def in_album(self, album_pk: str) -> Sequence[Image]:
        """The album's images not in the trash, oldest first (a ZIP of the album)."""
        query = (select(Image).where(Image.album_id == album_pk, Image.deleted_at.is_(None))
                 .order_by(Image.created_at, Image.id))
        return self._session.scalars(query).unique().all()

    def trashed_before(self, cutoff: datetime, limit: int,
                       organization_id: str | None = None) -> Sequence[Image]:
        """Images trashed before `cutoff`, of every organization unless one is given (the
        retention purge)."""
        query = select(Image).where(Image.deleted_at.is_not(None), Image.deleted_at < cutoff)
        if organization_id is not None:
            query = query.where(Image.organization_id == organization_id)
        query = query.order_by(Image.deleted_at, Image.id).limit(limit)
        return self._session.scalars(query).unique().all()

    def purge(self, image_ids: Sequence[str]) -> None:
        """Delete the images and what hangs on them for good: tag images, external URLs,
        search terms (cascade, stated here too: SQLite cascades only with its pragma) and the
        link from an import, which stays as a record."""
        ids = list(image_ids)
        self._session.execute(delete(TagImage).where(TagImage.image_id.in_(ids)))
        self._session.execute(delete(ImageExternalUrl).where(ImageExternalUrl.image_id.in_(ids)))
        self._session.execute(delete(ImageSearchTerm).where(ImageSearchTerm.image_id.in_(ids)))
        self._session.execute(update(Import).where(Import.image_id.in_(ids))
                              .values(image_id=None))
        self._session.execute(delete(Image).where(Image.id.in_(ids)))

    def find_by_asset(self, asset: Asset) -> Image | None:
        query = select(Image).where(Image.asset_id == asset.id)
        return self._session.scalars(query).one_or_none()

    def add(self, image: Image) -> None:
        self._session.add(image)

    def count(self, organization_id: str) -> int:
        query = select(func.count()).select_from(Image).where(
            Image.organization_id == organization_id)
        return int(self._session.scalar(query) or 0)


class TagRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, organization_id: str, tag_id: str) -> Tag | None:
        tag = self._session.get(Tag, tag_id)
        return tag if tag is not None and tag.organization_id == organization_id else None

    def add(self, tag: Tag) -> None:
        self._session.add(tag)
        self._session.flush()


class TagImageRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, tag_image: TagImage) -> None:
        self._session.add(tag_image)
        self._session.flush()

    def for_images(self, organization_id: str, image_ids: Sequence[str] | None,
                   limit: int = 1000) -> Sequence[TagImage]:
        """Tag images of the organization, of `image_ids` only unless None, oldest first;
        never those of trashed images."""
        live = select(Image.id).where(Image.id == TagImage.image_id,
                                      Image.deleted_at.is_(None)).exists()
        query = select(TagImage).where(TagImage.organization_id == organization_id, live)
        if image_ids is not None:
            query = query.where(TagImage.image_id.in_(list(image_ids)))
        query = query.order_by(TagImage.created_at, TagImage.id).limit(limit)
        return self._session.scalars(query).unique().all()

    def tag_names_of(self, image_ids: Sequence[str]) -> dict[str, set[str]]:
        """Tag names per image id (search queries match `tag:<name>`)."""
        query = (select(TagImage.image_id, Tag.name).join(Tag, Tag.id == TagImage.tag_id)
                 .where(TagImage.image_id.in_(list(image_ids))))
        names: dict[str, set[str]] = {}
        for image_id, name in self._session.execute(query):
            names.setdefault(image_id, set()).add(name)
        return names


class SearchTermRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def replace(self, organization_id: str, image_id: str, terms: set[str]) -> None:
        """The image is found by exactly `terms` from now on."""
        self._session.flush()  # a new image's row must exist before its terms reference it
        self._session.execute(delete(ImageSearchTerm).where(ImageSearchTerm.image_id == image_id))
        if terms:
            self._session.execute(insert(ImageSearchTerm), [
                {"image_id": image_id, "term": term, "organization_id": organization_id}
                for term in sorted(terms)])

    def terms_of(self, image_id: str) -> set[str]:
        query = select(ImageSearchTerm.term).where(ImageSearchTerm.image_id == image_id)
        return set(self._session.scalars(query))


# --- imports and downloads (issue 5) ------------------------------------------------------------


class ImportRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, row: Import) -> None:
        self._session.add(row)

    def get(self, organization_id: str, import_id: str) -> Import | None:
        row = self._session.get(Import, import_id)
        return row if row is not None and row.organization_id == organization_id else None

    def get_anywhere(self, import_id: str) -> Import | None:
        """By id alone, for the worker that runs it."""
        return self._session.get(Import, import_id)

    def claim(self, import_id: str, now: datetime, stale_before: datetime) -> bool:
        """Mark the import running if it is pending (or running but abandoned before
        `stale_before`); False when another worker holds it or it is finished. One UPDATE, so
        two workers never both claim it."""
        result = self._session.execute(
            update(Import)
            .where(Import.id == import_id,
                   or_(Import.status == "pending",
                       (Import.status == "running") & (Import.updated_at < stale_before)))
            .values(status="running", attempts=Import.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def waiting(self, stale_before: datetime, limit: int) -> list[str]:
        """Ids of imports to (re)run: pending, or running but abandoned, oldest first."""
        query = (select(Import.id)
                 .where(or_(Import.status == "pending",
                            (Import.status == "running") & (Import.updated_at < stale_before)))
                 .order_by(Import.created_at).limit(limit))
        return list(self._session.scalars(query))


class DownloadRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, row: Download) -> None:
        self._session.add(row)

    def get(self, download_id: str) -> Download | None:
        return self._session.get(Download, download_id)

    def delete_expired(self, now: datetime) -> int:
        result = self._session.execute(delete(Download).where(Download.expires_at < now))
        return int(getattr(result, "rowcount", 0) or 0)
