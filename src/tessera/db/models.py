"""SQLAlchemy 2 mapped classes. Every row belongs to one organization; nothing crosses it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClientSecret(Base):
    """A SharinPix client secret, also the Cloudinary api_key/api_secret pair.

    The secret is kept encrypted with the server key (it must be recoverable: HMAC signatures
    are verified by recomputing them), never in clear.
    """

    __tablename__ = "client_secrets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Asset(Base):
    """A stored original as the Cloudinary protocol sees it: (type, public_id) → current version."""

    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("organization_id", "resource_type", "type", "public_id",
                         name="uq_assets_public_id"),
        Index("ix_assets_blob_key", "blob_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    asset_id: Mapped[str] = mapped_column(String(32), unique=True)
    public_id: Mapped[str] = mapped_column(String(512))
    resource_type: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(BigInteger)
    version_id: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(32))
    blob_key: Mapped[str] = mapped_column(String(300))
    original_filename: Mapped[str] = mapped_column(String(512))
    tags: Mapped[list[Any]] = mapped_column(JSON)
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    analysis: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- SharinPix API (issue 4) --------------------------------------------------------------------


class Album(Base):
    """An album, addressed by any external id (a Salesforce record id…) within an organization.

    `id` is Tessera's own uuid (the album JSON's `public_id`); `external_id` is the id clients
    use in URLs and abilities (the album JSON's `id`).
    """

    __tablename__ = "albums"
    __table_args__ = (UniqueConstraint("organization_id", "external_id",
                                       name="uq_albums_external_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    views_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Image(Base):
    """An uploaded asset registered in an album: one per asset, whichever registration route
    (client callback or notification_url) arrives first. `deleted_at` marks it trashed.

    `infos` is the upload result with scalars as strings, as SharinPix stores it (seed 004);
    the facts Tessera relies on (size, format, EXIF, GPS) come from the stored asset.
    """

    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("asset_id", name="uq_images_asset_id"),
        Index("ix_images_album_id", "album_id"),
        Index("ix_images_organization_id", "organization_id"),
        Index("ix_images_deleted_at", "deleted_at"),
        Index("ix_images_organization_created", "organization_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    album_id: Mapped[str] = mapped_column(ForeignKey("albums.id"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    infos: Mapped[dict[str, Any]] = mapped_column(JSON)
    exifs: Mapped[dict[str, Any]] = mapped_column(JSON)
    metadatas: Mapped[dict[str, Any]] = mapped_column(JSON)
    gps_exifs: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    gps_html: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    filename: Mapped[str] = mapped_column(String(512))
    color: Mapped[str] = mapped_column(String(16))
    rotation: Mapped[int] = mapped_column(Integer)
    crop_x: Mapped[float] = mapped_column(Float)
    crop_y: Mapped[float] = mapped_column(Float)
    crop_w: Mapped[float] = mapped_column(Float)
    crop_h: Mapped[float] = mapped_column(Float)
    title: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    page: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set while the image is in the trash (issue 5): unknown to every route but the trash's.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # `GET/PUT /api/v1/images/:id/annotation` (issue 5): sanitised SVG and the editor's object.
    annotation_svg: Mapped[str | None] = mapped_column(Text, nullable=True)
    annotation_object: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    asset: Mapped[Asset] = relationship(lazy="joined", innerjoin=True)
    album: Mapped[Album] = relationship(lazy="joined", innerjoin=True)


class Tag(Base):
    """A tag of an organization; `label` holds the translations (`{"en": …, "fr": …}`)."""

    __tablename__ = "tags"
    __table_args__ = (
        Index("ix_tags_organization_id", "organization_id"),
        UniqueConstraint("organization_id", "name", name="uq_tags_name"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(255))
    label: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_public: Mapped[bool] = mapped_column(Boolean)
    listed: Mapped[bool] = mapped_column(Boolean)
    action: Mapped[dict[str, Any]] = mapped_column(JSON)
    visible: Mapped[bool] = mapped_column(Boolean)
    color: Mapped[str] = mapped_column(String(16))
    color_contrast: Mapped[str] = mapped_column(String(16))
    allow_download: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TagImage(Base):
    """A tag put on an image (by `user_id`, the token's user)."""

    __tablename__ = "tag_images"
    __table_args__ = (
        UniqueConstraint("tag_id", "image_id", name="uq_tag_images_tag_image"),
        Index("ix_tag_images_image_id", "image_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    tag_id: Mapped[str] = mapped_column(ForeignKey("tags.id"))
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id"))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    tag: Mapped[Tag] = relationship(lazy="joined", innerjoin=True)
    image: Mapped[Image] = relationship(lazy="joined", innerjoin=True)


# --- SharinPix API surface (issue 5) ------------------------------------------------------------

# Byte order on PostgreSQL, so a prefix range on `term` uses the index whatever the database's
# collation; SQLite compares bytes already.
_TERM = String(255).with_variant(String(255, collation="C"), "postgresql")


class AlbumEvent(Base):
    """Something that happened to an album (`upload_done`, a rename…), for stats and audit."""

    __tablename__ = "album_events"
    __table_args__ = (Index("ix_album_events_album_id", "album_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    album_id: Mapped[str] = mapped_column(ForeignKey("albums.id"))
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ImageSearchTerm(Base):
    """One normalised word an image is found by (filename, caption, tags, metadata values):
    search is an indexed prefix lookup, so it stays fast at a million images."""

    __tablename__ = "image_search_terms"
    __table_args__ = (Index("ix_image_search_terms_term", "organization_id", "term"),)

    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"),
                                          primary_key=True)
    term: Mapped[str] = mapped_column(_TERM, primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))


class ImageExternalUrl(Base):
    """A stable public link to a transformation of an image; outlives every token."""

    __tablename__ = "image_external_urls"
    __table_args__ = (Index("ix_image_external_urls_image_id", "image_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id"))
    transformations: Mapped[list[Any]] = mapped_column(JSON)
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Import(Base):
    """An image fetched from a URL in the background; `image_id` is set once it is done."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_status", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    album_id: Mapped[str] = mapped_column(ForeignKey("albums.id"))
    url: Mapped[str] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(512), nullable=True)
    metadatas: Mapped[dict[str, Any]] = mapped_column(JSON)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    image_id: Mapped[str | None] = mapped_column(ForeignKey("images.id"), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Download(Base):
    """A selection of images to stream as one ZIP from its `zip_url` until `expires_at`."""

    __tablename__ = "downloads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    image_ids: Mapped[list[Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
