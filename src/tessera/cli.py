"""The `tessera` command: serve, migrate, and manage client secrets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tessera.settings import Settings

if TYPE_CHECKING:
    from tessera.services.secrets import SecretService

app = typer.Typer(help="Tessera, a self-hosted image service.", no_args_is_help=True,
                  add_completion=False)
secrets_app = typer.Typer(help="Manage client secrets (SharinPix secret = Cloudinary api key).",
                          no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")


def _secret_service(settings: Settings) -> SecretService:
    # Not through tessera.app: the commands, and the supervisor of `serve --workers`, stay
    # light (the whole app is about 100 MB more in each process that imports it).
    from tessera.auth.server_key import SecretBox, load_server_key
    from tessera.db.uow import Database
    from tessera.services.secrets import SecretService

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SecretService(Database(settings.resolved_database_url),
                         SecretBox(load_server_key(settings.secret_key, settings.data_dir)),
                         default_cloud=settings.cloud_name)


@app.command("config")
def show_config() -> None:
    """Print every setting (TESSERA_* variable, default, meaning) as a Markdown table."""
    from tessera.settings import settings_table

    typer.echo(settings_table())


@app.command()
def migrate() -> None:
    """Apply every database migration (idempotent)."""
    from tessera.db.migrate import upgrade

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default TESSERA_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default TESSERA_PORT or 8000)."),
    workers: int = typer.Option(None, min=0, help="Worker processes (default TESSERA_WORKERS; "
                                "0: one per CPU core, at most 8)."),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate",
                                       help="Apply migrations before starting."),
) -> None:
    """Start the HTTP server, one worker process per core by default; in dev mode, print a
    ready-to-use secret URL."""
    import uvicorn

    from tessera.auth.server_key import load_server_key
    from tessera.db.migrate import upgrade
    from tessera.http.access_log import log_config
    from tessera.services.secrets import DEFAULT_ORGANIZATION
    from tessera.workers import claim_data_dir

    settings = Settings()
    settings = settings.model_copy(update={
        "host": host or settings.host, "port": port or settings.port,
        "workers": settings.workers if workers is None else workers})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    holder = claim_data_dir(settings.data_dir)
    if holder is not None:
        typer.echo(f"Error: another `tessera serve` (pid {holder}) uses the data directory "
                   f"{settings.data_dir.resolve()}; give each server its own "
                   "TESSERA_DATA_DIR, or one server more workers (--workers).", err=True)
        raise typer.Exit(1)
    if migrate_first:
        upgrade(settings.resolved_database_url)
    if settings.dev_mode:
        service = _secret_service(settings)
        infos = [s for s in service.list(DEFAULT_ORGANIZATION) if s.revoked_at is None]
        issued = (service.reveal(infos[0].id) if infos else service.create("default"))
        typer.echo(f"Secret URL: {issued.url(settings.resolved_public_url)}")
    import pyvips

    # The wheel's libvips must be the one in use, not a system build shadowing it.
    libvips = ".".join(str(pyvips.version(i)) for i in range(3))
    count = settings.resolved_workers
    typer.echo(f"Tessera on http://{settings.host}:{settings.port}  (API docs: /docs, "
               f"libvips {libvips}, {count} worker{'s' if count > 1 else ''})")
    options: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "log_level": "info",
        "proxy_headers": True, "access_log": settings.access_log, "log_config": log_config(),
        "timeout_keep_alive": settings.keep_alive}
    if count == 1:
        from tessera.app import create_app

        uvicorn.run(create_app(settings), **options)
        return
    from tessera.workers import supervise, worker_environment

    # Created here, once: workers starting together would race to generate it.
    load_server_key(settings.secret_key, settings.data_dir)
    environment = worker_environment(settings)
    os.environ.update(environment)  # the workers are spawned: they inherit it
    status = supervise(count, Path(environment["TESSERA_WORKER_GROUP"]), options)
    if status:
        raise typer.Exit(status)


@app.command()
def purge(
    days: float = typer.Option(None, "--days", help="Retention in days (default "
                               "TESSERA_TRASH_RETENTION_DAYS or 30)."),
    org: str = typer.Option(None, "--org", help="Only this organization's trash."),
) -> None:
    """Delete for good the images trashed longer than the retention, with their originals
    and derivatives (the server also runs this every hour)."""
    from tessera.app import build_blob_store, build_trash_purge
    from tessera.db.uow import Database

    settings = Settings()
    if days is not None:
        if days < 0:
            typer.echo("--days must not be negative", err=True)
            raise typer.Exit(2)
        settings = settings.model_copy(update={"trash_retention_days": days})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    try:
        report = build_trash_purge(settings, db, build_blob_store(settings)).purge(org)
    finally:
        db.dispose()
    typer.echo(f"purged {report.images} images, {report.originals} originals, "
               f"{report.derivatives} derivatives")


@secrets_app.command("create")
def secrets_create(
    name: str = typer.Argument(..., help="A label for the secret, e.g. the client system."),
    org: str = typer.Option("default", "--org", help="Organization that owns the secret."),
    secret_id: str = typer.Option(None, "--id", help="Import: keep this existing id."),
    secret: str = typer.Option(None, "--secret", envvar="TESSERA_IMPORT_SECRET",
                               help="Import: keep this existing secret (better passed in "
                               "TESSERA_IMPORT_SECRET than on the command line)."),
) -> None:
    """Create (or import) a secret and print its sharinpix:// URL (shown in full only here)."""
    settings = Settings()
    issued = _secret_service(settings).create(name, org, secret_id=secret_id, secret=secret)
    typer.echo(issued.url(settings.resolved_public_url))


@secrets_app.command("list")
def secrets_list(
    org: str = typer.Option(None, "--org", help="Only this organization's secrets."),
) -> None:
    """List secrets (ids and names, never the secret itself)."""
    for info in _secret_service(Settings()).list(org):
        state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
        typer.echo(f"{info.id}\t{info.organization_id}\t{info.name}\t{state}")


@secrets_app.command("revoke")
def secrets_revoke(secret_id: str = typer.Argument(..., help="The secret id (api_key).")) -> None:
    """Revoke a secret: its tokens and signatures stop working at once."""
    from tessera.errors import NotFound

    try:
        _secret_service(Settings()).revoke(secret_id)
    except NotFound as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"revoked {secret_id}")
