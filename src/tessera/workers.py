"""Several worker processes behind one `tessera serve` (`TESSERA_WORKERS`, `--workers`).

One Python process runs one request's code at a time (the GIL), so the server runs a process
per core. The supervisor (the `serve` command) migrates and prints once, then prepares the
worker group here, binds the socket and runs the workers (`supervise`): each a uvicorn server
on that socket that passes new connections to a less loaded worker (`tessera.http.balance`),
building its app with `worker_app` from the environment the supervisor exported:

- `TESSERA_HOST`, `TESSERA_PORT`: the command line's overrides, so `Settings()` agrees;
- `TESSERA_WORKER_GROUP=<data_dir>/workers`: makes the app one of several; its render locks
  and forget counter live there (`tessera.cluster.host`; Redis instead when configured);
- `PROMETHEUS_MULTIPROC_DIR=<data_dir>/workers/metrics`: prometheus_client's per-process
  metric files, emptied at each start, summed at `/metrics`.

The last two are internal: set here, for the workers, and nowhere else.
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tessera.settings import Settings

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from fastapi import FastAPI

log = logging.getLogger("uvicorn.error")  # beside uvicorn's own lines about the processes

WORKER_APP: Final = f"{__name__}:worker_app"  # what uvicorn imports in each spawned worker
RESTART_PAUSE_SECONDS: Final = 1.0  # between the deaths of a worker and its next start


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
    # Files of a previous run's workers would be summed with this run's, and its loads
    # (`tessera.http.balance`) dated by a clock that may have restarted since.
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    (group / "load").unlink(missing_ok=True)
    return {"TESSERA_HOST": settings.host, "TESSERA_PORT": str(settings.port),
            "TESSERA_WORKER_GROUP": str(group), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory), from the supervisor's environment."""
    from tessera.app import create_app  # here: the supervisor imports this module too

    return create_app(Settings())


def supervise(count: int, group: Path, options: dict[str, Any]) -> int:
    """Run `count` worker processes on one listening socket until SIGINT or SIGTERM, starting
    again any that dies; the exit status (uvicorn's startup failure if a worker could not
    start its app)."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE  # a worker's status when its app cannot start

    config = uvicorn.Config(WORKER_APP, factory=True, workers=count, **options)
    listener = config.bind_socket()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked threads

    def start(slot: int) -> BaseProcess:
        process = context.Process(target=_worker, args=(slot, count, group, options, listener),
                                  name=f"tessera-worker-{slot}")
        process.start()
        return process

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    log.info("Started parent process [%d]", os.getpid())
    processes = [start(slot) for slot in range(count)]
    status = 0
    while not stop.wait(0.25):
        for slot, process in enumerate(processes):
            if process.exitcode is None:
                continue
            if process.exitcode == STARTUP_FAILURE:
                status = STARTUP_FAILURE
                stop.set()
                break
            log.warning("Worker process [%s] died (exit code %s): starting another",
                        process.pid, process.exitcode)
            if stop.wait(RESTART_PAUSE_SECONDS):
                break
            processes[slot] = start(slot)
    for process in processes:
        if process.exitcode is None and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)  # each shuts down gracefully
    for process in processes:
        process.join(timeout=30)
        if process.exitcode is None:
            process.kill()
            process.join()
    listener.close()
    log.info("Stopping parent process [%d]", os.getpid())
    return status


def _worker(slot: int, count: int, group: Path, options: dict[str, Any],
            listener: socket.socket) -> None:
    """One worker process: a uvicorn server on the shared socket, in the balance."""
    import uvicorn

    from tessera.http.balance import BalancedProtocol, BalancedServer, Balancer

    config = uvicorn.Config(WORKER_APP, factory=True, http=BalancedProtocol, **options)
    try:
        server: uvicorn.Server = BalancedServer(config, Balancer(group, slot, count))
    except OSError as exc:  # no inbox (a data directory path too long for a Unix socket)
        log.warning("Worker process [%d] takes no connections from the others: %s",
                    os.getpid(), exc)
        server = uvicorn.Server(config)
    server.run(sockets=[listener])
