"""SharinPix API: albums, images, tags and tag images (issue 4).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _organization() -> sa.Column[str]:
    return sa.Column("organization_id", sa.String(64), sa.ForeignKey("organizations.id"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "albums",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("views_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organization_id", "external_id", name="uq_albums_external_id"),
    )
    op.create_table(
        "images",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("album_id", sa.String(36), sa.ForeignKey("albums.id"), nullable=False),
        sa.Column("asset_id", sa.Integer(), sa.ForeignKey("assets.id"), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("infos", sa.JSON(), nullable=False),
        sa.Column("exifs", sa.JSON(), nullable=False),
        sa.Column("metadatas", sa.JSON(), nullable=False),
        sa.Column("gps_exifs", sa.JSON(), nullable=True),
        sa.Column("gps_html", sa.JSON(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filename", sa.String(512), nullable=False),
        sa.Column("color", sa.String(16), nullable=False),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("crop_x", sa.Float(), nullable=False),
        sa.Column("crop_y", sa.Float(), nullable=False),
        sa.Column("crop_w", sa.Float(), nullable=False),
        sa.Column("crop_h", sa.Float(), nullable=False),
        sa.Column("title", sa.String(1000), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        # One image per uploaded asset, whichever registration arrives first (issue 4 item 3).
        sa.UniqueConstraint("asset_id", name="uq_images_asset_id"),
    )
    op.create_index("ix_images_album_id", "images", ["album_id"])
    op.create_index("ix_images_organization_id", "images", ["organization_id"])
    op.create_table(
        "tags",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("action", sa.JSON(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("color", sa.String(16), nullable=False),
        sa.Column("color_contrast", sa.String(16), nullable=False),
        sa.Column("allow_download", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tags_organization_id", "tags", ["organization_id"])
    op.create_table(
        "tag_images",
        sa.Column("id", sa.String(36), primary_key=True),
        _organization(),
        sa.Column("tag_id", sa.String(36), sa.ForeignKey("tags.id"), nullable=False),
        sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id"), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tag_id", "image_id", name="uq_tag_images_tag_image"),
    )
    op.create_index("ix_tag_images_image_id", "tag_images", ["image_id"])


def downgrade() -> None:
    op.drop_index("ix_tag_images_image_id", table_name="tag_images")
    op.drop_table("tag_images")
    op.drop_index("ix_tags_organization_id", table_name="tags")
    op.drop_table("tags")
    op.drop_index("ix_images_organization_id", table_name="images")
    op.drop_index("ix_images_album_id", table_name="images")
    op.drop_table("images")
    op.drop_table("albums")
