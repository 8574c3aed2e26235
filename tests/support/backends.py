"""PostgreSQL for tests: a throw-away database per session on the local server."""

from __future__ import annotations

import contextlib
import os

from sqlalchemy import create_engine, text

from tessera.db.scratch import scratch_database

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


def postgres_database(server_url: str) -> contextlib.AbstractContextManager[str]:
    """Create an empty database, yield its URL, drop it afterwards."""
    return scratch_database(server_url, prefix="tessera_test")
