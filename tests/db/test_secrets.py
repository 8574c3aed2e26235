"""Client secrets: created, listed, revoked, resolved, and never stored in clear."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tessera.auth.server_key import SecretBox
from tessera.db.migrate import upgrade
from tessera.db.uow import Database
from tessera.errors import BadRequest, Conflict, NotFound, TesseraError
from tessera.services.secrets import SecretService

KEY = "k" * 48


@pytest.fixture
def service(database_url: str) -> SecretService:
    upgrade(database_url)
    return SecretService(Database(database_url), SecretBox(KEY))


def test_create_resolve_revoke(service: SecretService) -> None:
    issued = service.create("crm", "acme")
    assert issued.url("http://127.0.0.1:8000") == (
        f"sharinpix://{issued.id}:{issued.secret}@127.0.0.1:8000/api/v1")
    credentials = service.resolve(issued.id)
    assert credentials is not None
    assert (credentials.organization_id, credentials.secret) == ("acme", issued.secret)
    assert [s.id for s in service.list("acme")] == [issued.id]
    service.revoke(issued.id)
    assert service.resolve(issued.id) is None
    assert service.list("acme")[0].revoked_at is not None
    with pytest.raises(NotFound):
        service.revoke("no-such-id")


def test_secret_is_encrypted_at_rest(service: SecretService, database_url: str) -> None:
    issued = service.create("crm", "acme")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(text("select secret_encrypted from client_secrets "
                                         "where id = :id"), {"id": issued.id}).scalar_one()
    engine.dispose()
    assert issued.secret.encode() not in bytes(stored)
    # Another server key cannot open it.
    other = SecretService(Database(database_url), SecretBox("z" * 48))
    with pytest.raises(TesseraError, match="server key"):
        other.resolve(issued.id)


def test_organization_ids_are_restricted(service: SecretService) -> None:
    with pytest.raises(BadRequest):
        service.create("x", "../other")


def test_import_an_existing_pair(service: SecretService) -> None:
    issued = service.create("legacy", "demo", secret_id="1234", secret="abcd")
    assert (issued.id, issued.secret) == ("1234", "abcd")
    credentials = service.resolve("1234")
    assert credentials is not None and credentials.secret == "abcd"
    with pytest.raises(Conflict):
        service.create("again", "demo", secret_id="1234", secret="efgh")
    with pytest.raises(BadRequest):
        service.create("bad", "demo", secret_id="a/b", secret="abcd")
