"""The real Tessera server as a subprocess, fed with the official Cloudinary SDK.

`.venv/bin/tessera serve --port P` runs with `TESSERA_DATA_DIR=<temp dir>`; the secret URL it
prints (`sharinpix://ID:SECRET@127.0.0.1:P/api/v1`) gives the Cloudinary api_key/api_secret of
cloud `tessera`. Sources are uploaded with `cloudinary.uploader.upload`, and delivery paths are
built with `cloudinary.utils.cloudinary_url`, keeping only the path.

Cold renders: every timed request asks for a derivative that was never rendered, because each
request goes to its own *copy* of the source, uploaded under a fresh public_id (`bench/<stem>_
<n>`) — what a real service sees when new photos arrive. Caching stays on, as users have it.
Each copy is also byte-distinct (a JPEG COM segment or a PNG tEXt chunk naming the copy; the
pixels are identical), so the renders stay cold even if a cache were keyed by content.

`TESSERA_BENCH_SERVER` may name another executable to run as `<exe> serve --port P` (a build
installed elsewhere); the default is the `tessera` beside the running Python, i.e. `.venv/bin`.

Render count (hot-URL test, cold check): read from the Prometheus counter `tessera_renders_total`
at `/metrics` (or another `*render*_total` counter that is not about hits, failures or time), or
else from server log lines that mention a
render (`render`/`rendered`, access-log lines excluded). Neither present: not measurable yet.
"""

from __future__ import annotations

import os
import re
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import procs
from bench.load import HttpClient
from bench.workloads import Workload, output_size, size_ok

REPO = Path(__file__).resolve().parents[1]
CLOUD = "tessera"


@dataclass
class Tessera:
    server: procs.Server
    port: int
    api_key: str
    api_secret: str

    @property
    def base(self) -> str:
        return f"http://{procs.HOST}:{self.port}"


def _executable() -> Path:
    override = os.environ.get("TESSERA_BENCH_SERVER")
    if override:
        return Path(override)
    beside = Path(sys.executable).with_name("tessera")
    return beside if beside.exists() else REPO / ".venv" / "bin" / "tessera"


def start(data_dir: Path, log: Path, *, env_extra: dict[str, str] | None = None) -> Tessera:
    """Start `tessera serve` on a free port; wait for the secret URL and /healthz."""
    port = procs.free_port()
    env = dict(os.environ, TESSERA_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1",
               **(env_extra or {}))
    server = procs.Server("tessera", [str(_executable()), "serve", "--port", str(port)], log,
                          env=env, cwd=REPO)
    deadline = time.monotonic() + 90
    match = None
    while time.monotonic() < deadline and match is None:
        if not server.alive():
            raise RuntimeError(f"tessera serve exited ({server.proc.returncode}):\n"
                               f"{server.tail()}")
        match = re.search(r"Secret URL:\s*(\S+)", server.log_text())
        if match is None:
            time.sleep(0.1)
    if match is None:
        server.stop()
        raise RuntimeError(f"tessera serve printed no secret URL:\n{server.tail()}")
    secret_url = urlsplit(match.group(1))
    server.wait_http(port, "/healthz", timeout=60)
    return Tessera(server, port, secret_url.username or "", secret_url.password or "")


def configure_sdk(tessera: Tessera) -> None:
    import cloudinary

    cloudinary.config(cloud_name=CLOUD, api_key=tessera.api_key, api_secret=tessera.api_secret,
                      upload_prefix=tessera.base, secure=False)


def upload(path: Path, public_id: str) -> int:
    """Upload one file with the SDK (config set by `configure_sdk`); return its version."""
    import cloudinary.uploader

    result: dict[str, Any] = cloudinary.uploader.upload(str(path), public_id=public_id,
                                                        overwrite=True, timeout=120)
    return int(result["version"])


def distinct_bytes(path: Path, tag: str) -> bytes:
    """The file's bytes with a harmless marker naming `tag` (same pixels, different file)."""
    data = path.read_bytes()
    text = f"tessera-bench {tag}".encode()
    if data[:2] == b"\xff\xd8":  # JPEG: a COM segment right after SOI
        return data[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + data[2:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":  # PNG: a tEXt chunk right after IHDR
        payload = b"Comment\x00" + text
        chunk = (len(payload).to_bytes(4, "big") + b"tEXt" + payload
                 + zlib.crc32(b"tEXt" + payload).to_bytes(4, "big"))
        ihdr_end = 8 + 8 + int.from_bytes(data[8:12], "big") + 4
        return data[:ihdr_end] + chunk + data[ihdr_end:]
    return data


def upload_copy(path: Path, public_id: str, scratch: Path) -> int:
    """Upload a byte-distinct copy of `path` as `public_id`; return its version."""
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / f"{public_id.replace('/', '_')}{path.suffix}"
    copy.write_bytes(distinct_bytes(path, public_id))
    try:
        return upload(copy, public_id)
    finally:
        copy.unlink(missing_ok=True)


def delivery_path(workload: Workload, public_id: str, version: int) -> str:
    import cloudinary.utils

    url, _ = cloudinary.utils.cloudinary_url(
        public_id, cloud_name=CLOUD, transformation=workload.cloudinary_transformation(),
        format=workload.fmt, version=version, secure=False)
    parts = urlsplit(str(url))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def probe_delivery(tessera: Tessera, workload: Workload, public_id: str,
                   version: int) -> str | None:
    """None if the delivery route answers with the right image; else why not."""
    client = HttpClient(tessera.port)
    try:
        status, body = client.get(delivery_path(workload, public_id, version))
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    if status != 200:
        detail = body[:120].decode(errors="replace").strip()
        return f"HTTP {status}" + (f" {detail}" if detail and status != 404 else "")
    try:
        got = output_size(body)
    except Exception as exc:  # noqa: BLE001 - anything undecodable means "not a delivery"
        return f"200 but not an image ({type(exc).__name__})"
    if not size_ok(got, workload.expect):
        return f"200 but {got[0]}x{got[1]}, expected {workload.expect[0]}x{workload.expect[1]}"
    return None


RENDER_METRIC = "tessera_renders_total"
_NOT_RENDERS = ("hit", "cache", "fail", "error", "inflight", "in_flight", "reject", "second",
                "byte", "wait", "queue")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)", re.M)


def render_count_metric(tessera: Tessera) -> tuple[str, float] | None:
    """(metric name, summed value) of the render counter at /metrics, if there is one."""
    client = HttpClient(tessera.port, timeout=10)
    try:
        status, body = client.get("/metrics")
    except OSError:
        return None
    finally:
        client.close()
    if status != 200:
        return None
    totals: dict[str, float] = {}
    for name, _labels, value in _SAMPLE.findall(body.decode(errors="replace")):
        totals[name] = totals.get(name, 0.0) + float(value)
    if RENDER_METRIC in totals:
        return RENDER_METRIC, totals[RENDER_METRIC]
    candidates = [name for name in totals if "render" in name.lower()
                  and name.endswith("_total")
                  and not any(word in name.lower() for word in _NOT_RENDERS)]
    if not candidates:
        return None
    name = sorted(candidates, key=len)[0]
    return name, totals[name]


_ACCESS = re.compile(r'"(GET|HEAD|POST|PUT|DELETE) [^"]*HTTP/\d')
_RENDER_LINE = re.compile(r"\brender(ed|ing|s)?\b", re.I)


def render_log_lines(tessera: Tessera) -> int:
    return sum(1 for line in tessera.server.log_text().splitlines()
               if _RENDER_LINE.search(line) and not _ACCESS.search(line))
