"""Search pages (issue 5): an organization's images newest first, read from an index instead
of sorting every image of the organization.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_images_organization_created", "images", ["organization_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_images_organization_created", table_name="images")
