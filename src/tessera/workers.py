"""Several worker processes behind one `tessera serve` (`TESSERA_WORKERS`, `--workers`).

One Python process runs one request's code at a time (the GIL), so the server runs a process
per core. The supervisor (the `serve` command) migrates and prints once, then prepares the
worker group here and lets uvicorn spawn the workers, each building its app with
`worker_app` from the environment the supervisor exported:

- `TESSERA_HOST`, `TESSERA_PORT`: the command line's overrides, so `Settings()` agrees;
- `TESSERA_WORKER_GROUP=<data_dir>/workers`: makes the app one of several; its render locks
  and forget counter live there (`tessera.cluster.host`; Redis instead when configured);
- `PROMETHEUS_MULTIPROC_DIR=<data_dir>/workers/metrics`: prometheus_client's per-process
  metric files, emptied at each start, summed at `/metrics`.

The last two are internal: set here, for the workers, and nowhere else.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tessera.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

WORKER_APP: Final = f"{__name__}:worker_app"  # what uvicorn imports in each spawned worker


def claim_data_dir(data_dir: Path) -> str | None:
    """Lock `data_dir` for this `tessera serve` until the process ends (the kernel frees the
    lock then): None once held, or the pid of the server holding it already.

    Two servers on one directory would not know of each other: no shared render locks or
    forgets (a deleted image served from the other's memory), and each clears the other's
    metric files on start."""
    fd = os.open(data_dir / "serve.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        return holder
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return None  # the descriptor stays open: closing it would drop the lock


def worker_environment(settings: Settings) -> dict[str, str]:
    """Prepare the group's directory for a new start; the variables the workers inherit."""
    group = (settings.data_dir / "workers").resolve()
    metrics = group / "metrics"
    # Files of a previous run's workers would be summed with this run's.
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    return {"TESSERA_HOST": settings.host, "TESSERA_PORT": str(settings.port),
            "TESSERA_WORKER_GROUP": str(group), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory), from the supervisor's environment."""
    from tessera.app import create_app  # here: the supervisor imports this module too

    return create_app(Settings())
