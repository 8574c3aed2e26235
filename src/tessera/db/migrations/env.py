"""Alembic environment: runs migrations on the URL set by `tessera.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from tessera.db.models import Base

url = context.config.get_main_option("sqlalchemy.url")
assert url, "tessera.db.migrate sets sqlalchemy.url"
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
