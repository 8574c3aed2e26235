"""PostgreSQL for tests: a throw-away database per session on the local server."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str | None:
    """The configured server URL if a server answers there, else None."""
    url = os.environ.get("TESSERA_TEST_POSTGRES_URL", DEFAULT_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return None
    finally:
        engine.dispose()
    return url


REDIS_DEFAULT_URL = "redis://127.0.0.1:6379/0"


def redis_server_url() -> str | None:
    """The configured Redis URL if a server answers there, else None."""
    import redis

    url = os.environ.get("TESSERA_TEST_REDIS_URL", REDIS_DEFAULT_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError:
        return None
    finally:
        client.close()
    return url


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create an empty database, yield its URL, drop it afterwards."""
    name = f"tessera_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
