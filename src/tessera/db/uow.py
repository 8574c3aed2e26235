"""Unit of work: one database session and its repositories; rolls back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tessera.db.repositories import (
    AlbumEventRepository,
    AlbumRepository,
    AssetRepository,
    DeliverableAssets,
    DownloadRepository,
    ExternalUrlRepository,
    ImageRepository,
    ImportRepository,
    OrganizationRepository,
    SearchTermRepository,
    SecretRepository,
    TagImageRepository,
    TagRepository,
)
from tessera.errors import Conflict


def make_engine(url: str) -> Engine:
    """Engine for `url`; SQLite gets foreign keys, a busy timeout and WAL for concurrent readers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.organizations = OrganizationRepository(self.session)
        self.secrets = SecretRepository(self.session)
        self.assets = AssetRepository(self.session)
        self.albums = AlbumRepository(self.session)
        self.album_events = AlbumEventRepository(self.session)
        self.images = ImageRepository(self.session)
        self.tags = TagRepository(self.session)
        self.tag_images = TagImageRepository(self.session)
        self.search_terms = SearchTermRepository(self.session)
        self.imports = ImportRepository(self.session)
        self.downloads = DownloadRepository(self.session)
        self.external_urls = ExternalUrlRepository(self.session)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Rows read in this unit stay readable after it (expire_on_commit=False says the same
        # for commits): detach them before the rollback, which would otherwise expire them.
        self.session.expunge_all()
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Commit; a unique-constraint race with another writer becomes a 409 Conflict."""
        self._settle(self.session.commit)

    def flush(self) -> None:
        """Send pending writes now (same Conflict as `commit`), so later reads see them."""
        self._settle(self.session.flush)

    def _settle(self, write: Callable[[], None]) -> None:
        try:
            write()
        except IntegrityError as exc:
            self.session.rollback()
            raise Conflict("Conflicting concurrent write, retry the request") from exc

    def rollback(self) -> None:
        self.session.rollback()


class Database:
    """The engine and a factory of units of work; built once by `create_app` or the CLI."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.deliverable_assets = DeliverableAssets(self.engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)

    def dispose(self) -> None:
        self.engine.dispose()
