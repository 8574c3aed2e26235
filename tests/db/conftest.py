from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backends import postgres_database, postgres_server_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind; on PostgreSQL a database of its own, dropped after the
    test, so migrations never touch the database the API tests share."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips, or fails in CI, when there is no server
    server = postgres_server_url()
    assert server is not None
    with postgres_database(server) as url:
        yield url
