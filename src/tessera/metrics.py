"""Prometheus metrics of one app instance (a registry per app, no process globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
