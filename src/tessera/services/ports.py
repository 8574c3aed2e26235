"""Protocols the use cases need from the outside world; adapters in `tessera.blobs`,
`tessera.jobs` and `tessera.cluster` implement them. No implementation lives here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol


class BlobStore(Protocol):
    """Immutable objects addressed by key (`originals/<sha256>`, `derived/…`).

    `put` is atomic: a reader sees either no object or the complete one, never a partial write.
    """

    def put(self, key: str, source: BinaryIO, *, content_type: str | None = None) -> None:
        """Store the stream under `key` atomically, replacing any existing object."""

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store bytes under `key` atomically."""

    def get_bytes(self, key: str) -> bytes:
        """Whole object. Raises `tessera.errors.NotFound` if absent."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object. Raises `tessera.errors.NotFound` if absent."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Size in bytes. Raises `tessera.errors.NotFound` if absent."""

    def delete(self, key: str) -> None:
        """Remove the object; absent keys are not an error."""

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with `prefix` (for tests, cleanup and audits)."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with `prefix`; answers how many."""

    def local_path(self, key: str) -> Path | None:
        """A local file holding the object, if the store keeps one (libvips can then read it
        in place); None for remote stores. Raises `tessera.errors.NotFound` if absent."""


class Notifier(Protocol):
    """Delivers webhook payloads in the background, retrying failures."""

    def notify(self, url: str, payload: dict[str, object], api_secret: str) -> None:
        """Queue one POST of `payload` to `url`; returns at once."""


class Coordinator(Protocol):
    """What the nodes of a cluster (or the worker processes of one host) agree on: one render
    per derivative, and forgetting hot derivatives everywhere when an image goes. A single
    process needs no agreement."""

    def acquire(self, name: str, *, hold_seconds: float,
                wait_seconds: float) -> Callable[[], None] | None:
        """Take `name` across the cluster: the function that gives it back (call it once,
        from any thread), or None after `wait_seconds` (run unguarded, or skip). A holder
        that dies releases it after `hold_seconds` at the latest."""

    def exclusive(self, name: str, *, hold_seconds: float,
                  wait_seconds: float) -> AbstractContextManager[bool]:
        """`acquire` for the block: True while held, False if it could not be had."""

    def broadcast_forget(self) -> None:
        """Ask every node (this one included) to drop its in-memory derivatives."""

    def on_forget(self, callback: Callable[[], None]) -> None:
        """Run `callback` whenever any node broadcasts a forget."""

    def poll(self) -> None:
        """Run the callbacks now if a forget was broadcast since the last call and has not
        reached them yet. Called before every answer from memory, so it must cost no I/O; a
        no-op where forgets are pushed (pub/sub) or there is nobody else."""

    def close(self) -> None: ...


class JobQueue(Protocol):
    """Runs jobs (by id) in the background; the job's state lives in the database."""

    def enqueue(self, job_id: str) -> None:
        """Queue the job; returns at once."""
