"""Agreement between the nodes of a cluster (`Coordinator` port): in-process for one node,
through a shared directory for the worker processes of one host, Redis (`TESSERA_REDIS_URL`)
for several hosts."""

from __future__ import annotations

from pathlib import Path

from tessera.cluster.local import LocalCoordinator
from tessera.services.ports import Coordinator


def open_coordinator(redis_url: str, worker_group: Path | None = None) -> Coordinator:
    """Redis when configured (it spans hosts, so it covers the workers of each); else the
    worker group's directory when this process is one of several; else nothing to agree."""
    if redis_url:
        from tessera.cluster.redis import RedisCoordinator

        return RedisCoordinator(redis_url)
    if worker_group is not None:
        from tessera.cluster.host import HostCoordinator

        return HostCoordinator(worker_group)
    return LocalCoordinator()
