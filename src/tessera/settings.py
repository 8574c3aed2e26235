"""The one settings object, read from `TESSERA_*` environment variables.

Built once by the CLI or by tests (`Settings(...)`) and passed down; no module keeps an instance.
Every field carries a description: the README's configuration table is generated from them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_AUTO_WORKERS = 8


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TESSERA_", extra="ignore")

    data_dir: Path = Field(
        Path("var"),
        description="Directory for the SQLite database, local blobs and the server key.",
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite at `<data_dir>/tessera.db`. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`."
    )
    storage_url: str = Field(
        "", description="Blob store: empty or a path/`file://` URL for a local directory "
        "(default `<data_dir>/blobs`), or `s3://bucket/prefix`."
    )
    s3_endpoint_url: str | None = Field(None, description="S3 endpoint (for MinIO, Ceph, moto...).")
    s3_region: str | None = Field(None, description="S3 region.")
    s3_access_key_id: str | None = Field(None, description="S3 access key id.")
    s3_secret_access_key: str | None = Field(None, description="S3 secret access key.")
    host: str = Field("127.0.0.1", description="Address `tessera serve` binds to.")
    port: int = Field(8000, description="Port `tessera serve` binds to.")
    workers: int = Field(
        0, ge=0, description="Worker processes `tessera serve` runs (`--workers`); 0: one per "
        f"CPU core available to the process, at most {MAX_AUTO_WORKERS} (Python runs one "
        "request's code at a time per process). They coordinate through the data directory, "
        "or Redis when `TESSERA_REDIS_URL` is set."
    )
    worker_group: Path | None = Field(
        None, description="Internal: set by `tessera serve` for its workers when it runs "
        "several, to their shared directory `<data_dir>/workers` (render locks, the forget "
        "counter, metric files). Never set it yourself."
    )
    public_url: str = Field(
        "", description="Base URL clients reach Tessera at; default `http://<host>:<port>`."
    )
    cloud_name: str = Field("tessera", description="Cloudinary cloud name served by this instance.")
    max_upload_bytes: int = Field(50_000_000, description="Largest accepted upload body (bytes).")
    max_pixels: int = Field(100_000_000, description="Largest accepted image (width × height).")
    max_frames: int = Field(1000, description="Most frames/pages accepted in one image.")
    upload_timestamp_tolerance: int = Field(
        3600, description="Seconds a signed upload timestamp stays valid (Cloudinary: 1 hour)."
    )
    notification_retries: int = Field(
        3, description="Extra attempts to deliver a `notification_url` POST after a failure."
    )
    notification_retry_seconds: float = Field(
        180.0, description="Base delay between notification attempts (grows linearly)."
    )
    strict_transformations: bool = Field(
        False, description="Serve unsigned `upload`-type URLs only for derivatives already "
        "generated (Cloudinary's strict transformations)."
    )
    redis_url: str = Field(
        "", description="Redis shared by the nodes of a cluster (`redis://host:6379/0`): one "
        "render per derivative cluster-wide, and a deletion clears every node's memory cache "
        "at once. Empty: a single node needs none."
    )
    originals_cache_bytes: int = Field(
        2 << 30, description="Bytes of local copies of remote (S3) originals kept for "
        "rendering under `<data_dir>/cache/originals`; the least recently used go first."
    )
    render_concurrency: int = Field(
        2, description="Renders running at once in each worker process."
    )
    render_queue: int = Field(
        32, description="Renders allowed to wait for a slot in each worker process; beyond that, "
        "503 with Retry-After."
    )
    render_timeout: float = Field(30.0, description="Seconds one render may take.")
    vips_threads: int = Field(
        1, ge=1, description="libvips threads per render. One suits one worker process per "
        "core: decoding and encoding, most of a render, run on one thread anyway, and more "
        "threads per render only contend with the other renders for the cores."
    )
    previews: bool = Field(
        True, description="Keep a preview of every JPEG of 4 MP or more (its pixels at 1/8, "
        "uncompressed: 15-25% of a camera JPEG's size): derivatives of an eighth of its size "
        "or less render from it, several times faster, to the same bytes."
    )
    import_timeout: float = Field(
        60.0, description="Seconds a remote import (`POST /api/v1/imports`) may take to fetch, "
        "redirects included; its size limit is `TESSERA_MAX_UPLOAD_BYTES`."
    )
    import_workers: int = Field(
        2, description="Imports fetched at once by the embedded job queue of each worker process."
    )
    import_allowed_hosts: str = Field(
        "", description="Comma-separated `host` or `host:port` entries imports may fetch from "
        "even if they resolve to a private or loopback address (tests, trusted intranet "
        "sources). Empty by default: only public addresses. Redirects are checked again."
    )
    trash_retention_days: float = Field(
        30, description="Days an image stays in the trash before it, its original and its "
        "derivatives are purged for good (hourly in the server, or `tessera purge`)."
    )
    keep_alive: int = Field(
        75, ge=1, description="Seconds an idle keep-alive connection stays open (uvicorn's own "
        "default is 5). Longer than the idle timeout of the proxy or CDN in front (AWS ALB: "
        "60 s), which would otherwise send a request on a connection the server is closing "
        "(a 502); and a client's connection stays on the worker it first reached."
    )
    access_log: bool = Field(
        False, description="Log every request (uvicorn's access log). Off by default: it costs "
        "about a third of the throughput on cached derivatives; the proxy or CDN in front "
        "usually logs requests."
    )
    page_frame_ancestors: str = Field(
        "*", description="Who may show the album page (`/pagelayout/<album>`) in an iframe: "
        "the CSP `frame-ancestors` sources, e.g. `https://*.my.salesforce.com`; `'none'` "
        "forbids embedding. The page is made for iframes, hence any origin by default."
    )
    secret_key: str = Field(
        "", description="Server key signing Tessera's own tokens and encrypting client secrets "
        "at rest; generated into `<data_dir>/server.key` on first start if empty. Every node of "
        "a cluster needs the same value."
    )
    dev_mode: bool = Field(True, description="Development defaults (first secret printed, etc.).")

    @field_validator("page_frame_ancestors")
    @classmethod
    def _one_csp_directive(cls, value: str) -> str:
        # It goes into a header: no `;`, quotes only around keywords, no line breaks.
        if not re.fullmatch(r"(?: *(?:'self'|'none'|[A-Za-z0-9*:/.\-]+))+ *", value):
            raise ValueError("page_frame_ancestors: CSP sources separated by spaces")
        return value.strip()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tessera.db').resolve()}"

    @property
    def resolved_workers(self) -> int:
        if self.workers:
            return self.workers
        # The cores this process may run on (a container's or taskset's), not the machine's.
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else os.cpu_count() or 1
        return max(1, min(MAX_AUTO_WORKERS, cores))

    @property
    def import_allowed_host_set(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.import_allowed_hosts.split(",")
                         if h.strip())

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def settings_table() -> str:
    """The README's configuration table, generated from the field descriptions."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "" if default in ("", None) else f"`{default}`"
        rows.append(f"| `TESSERA_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)
