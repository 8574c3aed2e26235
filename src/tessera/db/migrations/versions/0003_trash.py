"""SharinPix API: the trash (issue 5) — `images.deleted_at`.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("images", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_images_deleted_at", "images", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_images_deleted_at", table_name="images")
    # batch mode: SQLite cannot drop a column in place on older versions.
    with op.batch_alter_table("images") as batch:
        batch.drop_column("deleted_at")
