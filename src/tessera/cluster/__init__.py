"""Agreement between the nodes of a cluster (`Coordinator` port): in-process for one node,
Redis (`TESSERA_REDIS_URL`) for several."""

from __future__ import annotations

from tessera.cluster.local import LocalCoordinator
from tessera.services.ports import Coordinator


def open_coordinator(redis_url: str) -> Coordinator:
    if not redis_url:
        return LocalCoordinator()
    from tessera.cluster.redis import RedisCoordinator

    return RedisCoordinator(redis_url)
