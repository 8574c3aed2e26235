"""Several worker processes on one host, sharing a directory (`tessera serve --workers N`
without Redis): render locks are `flock`s on striped lock files, and a forget is a shared
generation counter that each process reads before it answers from memory.

- Locks: `locks/<stripe>.lock`, the stripe a hash of the name (1024 files however many
  derivatives there are; two names sharing a stripe only wait for each other). The kernel
  releases a `flock` when its holder dies, so `hold_seconds` has nothing left to bound.
- Forgets: `forget.generation` holds one 64-bit counter, mapped into every process. A forget
  increments it (under a `flock` of that file); `poll` compares it with the last value this
  process saw, a read of shared memory without a system call, and runs the callbacks when it
  moved. A pull at lookup time: after a deletion in one worker returned, no other worker answers
  from memory what it held before.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from tessera.cluster.locking import ExclusiveBlock, Release

STRIPES: Final = 1024
_FIRST_WAIT: Final = 0.002  # seconds between tries at first, doubling up to _LAST_WAIT
_LAST_WAIT: Final = 0.05
_COUNTER: Final = 8  # bytes


class HostCoordinator(ExclusiveBlock):
    """The worker processes of one host, agreeing through their shared directory."""

    def __init__(self, directory: Path, *, stripes: int = STRIPES) -> None:
        self._locks = directory / "locks"
        self._locks.mkdir(parents=True, exist_ok=True)
        self._stripes = stripes
        self._callbacks: list[Callable[[], None]] = []
        self._increment = threading.Lock()  # the flock below is the process's, not a thread's
        self._fd = os.open(directory / "forget.generation", os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < _COUNTER:  # new: every creator extends it to zeros
            os.ftruncate(self._fd, _COUNTER)
        self._map = mmap.mmap(self._fd, _COUNTER)
        self._generation = memoryview(self._map).cast("Q")
        self._seen = self._generation[0]

    def acquire(self, name: str, *, hold_seconds: float,
                wait_seconds: float) -> Release | None:
        # A descriptor per call: flocks on separate open files exclude each other even
        # between threads of one process, and any thread may unlock it.
        fd = os.open(self._locks / f"{self._stripe(name)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        if not _lock(fd, wait_seconds):
            os.close(fd)
            return None

        def release() -> None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

        return release

    def _stripe(self, name: str) -> int:
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self._stripes

    def broadcast_forget(self) -> None:
        with self._increment:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                generation = (self._generation[0] + 1) % (1 << 64)
                self._generation[0] = generation
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._seen = generation
        self._run_callbacks()  # this process at once; the others at their next poll

    def poll(self) -> None:
        generation = self._generation[0]
        if generation != self._seen:
            self._seen = generation
            self._run_callbacks()

    def on_forget(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def _run_callbacks(self) -> None:
        for callback in self._callbacks:
            callback()

    def close(self) -> None:
        self._callbacks.clear()
        self._generation.release()
        self._map.close()
        os.close(self._fd)


def _lock(fd: int, wait_seconds: float) -> bool:
    """`flock` `fd` exclusively, trying until `wait_seconds` have passed (flock itself has no
    timeout); False if it stayed held elsewhere."""
    deadline = time.monotonic() + wait_seconds
    pause = _FIRST_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(pause, left))
            pause = min(2 * pause, _LAST_WAIT)
