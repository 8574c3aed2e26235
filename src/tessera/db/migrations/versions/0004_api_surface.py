"""SharinPix API surface (issue 5): annotations, album events, the search index, public image
links, imports and downloads; tag names unique per organization.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Byte order on PostgreSQL, so a prefix range (`term >= 'ab' AND term < 'ab\uffff'`) uses the
# index whatever the database's collation; SQLite compares bytes already.
TERM = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def _owned(name: str, *columns: sa.Column[object]) -> None:
    """A table of rows with a uuid id, an organization and a creation time."""
    op.create_table(
        name,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(64), sa.ForeignKey("organizations.id"),
                  nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("annotation_svg", sa.Text(), nullable=True))
        batch.add_column(sa.Column("annotation_object", sa.JSON(), nullable=True))
    with op.batch_alter_table("tags") as batch:
        batch.create_unique_constraint("uq_tags_name", ["organization_id", "name"])

    _owned("album_events",
           sa.Column("album_id", sa.String(36), sa.ForeignKey("albums.id"), nullable=False),
           sa.Column("kind", sa.String(32), nullable=False),
           sa.Column("user_id", sa.String(255), nullable=True),
           sa.Column("payload", sa.JSON(), nullable=False))
    op.create_index("ix_album_events_album_id", "album_events", ["album_id"])

    op.create_table(
        "image_search_terms",
        sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("term", TERM, primary_key=True),
        sa.Column("organization_id", sa.String(64), sa.ForeignKey("organizations.id"),
                  nullable=False),
    )
    op.create_index("ix_image_search_terms_term", "image_search_terms",
                    ["organization_id", "term"])

    _owned("image_external_urls",
           sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id"), nullable=False),
           sa.Column("transformations", sa.JSON(), nullable=False),
           sa.Column("user_id", sa.String(255), nullable=True))
    op.create_index("ix_image_external_urls_image_id", "image_external_urls", ["image_id"])

    _owned("imports",
           sa.Column("album_id", sa.String(36), sa.ForeignKey("albums.id"), nullable=False),
           sa.Column("url", sa.Text(), nullable=False),
           sa.Column("filename", sa.String(512), nullable=True),
           sa.Column("metadatas", sa.JSON(), nullable=False),
           sa.Column("request_headers", sa.JSON(), nullable=False),
           sa.Column("status", sa.String(16), nullable=False),
           sa.Column("error", sa.Text(), nullable=True),
           sa.Column("attempts", sa.Integer(), nullable=False),
           sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id"), nullable=True),
           sa.Column("user_id", sa.String(255), nullable=True),
           sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_imports_status", "imports", ["status"])

    _owned("downloads",
           sa.Column("image_ids", sa.JSON(), nullable=False),
           sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    op.drop_table("downloads")
    op.drop_index("ix_imports_status", table_name="imports")
    op.drop_table("imports")
    op.drop_index("ix_image_external_urls_image_id", table_name="image_external_urls")
    op.drop_table("image_external_urls")
    op.drop_index("ix_image_search_terms_term", table_name="image_search_terms")
    op.drop_table("image_search_terms")
    op.drop_index("ix_album_events_album_id", table_name="album_events")
    op.drop_table("album_events")
    with op.batch_alter_table("tags") as batch:
        batch.drop_constraint("uq_tags_name", type_="unique")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("annotation_object")
        batch.drop_column("annotation_svg")
