"""Prometheus metrics of one app instance (a registry per app, no process globals).

One of several worker processes (`multiprocess`) counts in prometheus_client's per-process
files under `PROMETHEUS_MULTIPROC_DIR`, which `tessera serve` sets and empties before it
starts them, and exposes the sum over every worker's files: whichever worker answers
`/metrics`, the totals are the server's.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector


class Metrics:
    def __init__(self, *, multiprocess: bool = False) -> None:
        self.registry = CollectorRegistry()
        self._exposed = self.registry
        if multiprocess:
            self._exposed = CollectorRegistry()
            # Raises if PROMETHEUS_MULTIPROC_DIR is unset: multiprocess needs its files.
            MultiProcessCollector(self._exposed)  # type: ignore[no-untyped-call]
        self.renders = Counter("tessera_renders_total", "Derivatives rendered",
                               registry=self.registry)
        self.cache_hits = Counter("tessera_render_cache_hits_total",
                                  "Derivatives served from the cache", registry=self.registry)
        self.render_seconds = Histogram("tessera_render_duration_seconds",
                                        "Time to render one derivative", registry=self.registry)
        self.uploads = Counter("tessera_uploads_total", "Originals stored",
                               registry=self.registry)
        self.upload_bytes = Counter("tessera_upload_bytes_total", "Bytes of originals stored",
                                    registry=self.registry)
        self.jobs = Counter("tessera_jobs_total", "Background jobs run, by outcome",
                            ["job", "outcome"], registry=self.registry)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric (summed over workers)."""
        return generate_latest(self._exposed)
