"""Source streams for blob tests: one-way (not seekable, like an HTTP upload body), optionally
breaking at a given offset or calling back once part of the data has been read."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from typing import BinaryIO

MIB = 1024 * 1024


class StreamBroke(Exception):
    """Raised by a breaking stream; tests expect exactly this type to come out of `put`."""


def payload(size: int, seed: int = 0) -> bytes:
    """`size` pseudo-random bytes, different per seed (so a mix of two payloads is detectable)."""
    return random.Random(seed).randbytes(size)  # noqa: S311 - test data, not secrets


def one_way(data: bytes, *, break_at: int | None = None, at: int | None = None,
            callback: Callable[[], None] | None = None) -> BinaryIO:
    """A non-seekable stream of `data`; raises `StreamBroke` on reaching `break_at` bytes, and
    calls `callback` once when `at` bytes have been handed out."""
    return io.BufferedReader(_OneWay(data, break_at, at, callback), buffer_size=64 * 1024)


class _OneWay(io.RawIOBase):
    def __init__(self, data: bytes, break_at: int | None, at: int | None,
                 callback: Callable[[], None] | None) -> None:
        self._data = memoryview(data)
        self._position = 0
        self._break_at = break_at
        self._at = at
        self._callback = callback

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._break_at is not None and self._position >= self._break_at:
            raise StreamBroke(f"stream broke at byte {self._position}")
        if self._callback and self._at is not None and self._position >= self._at:
            callback, self._callback = self._callback, None
            callback()
        end = min(len(self._data), self._position + len(buffer))
        for limit in (self._break_at, self._at if self._callback else None):
            if limit is not None and self._position < limit:
                end = min(end, limit)  # stop exactly at the offset so it triggers there
        chunk = self._data[self._position:end]
        buffer[: len(chunk)] = chunk
        self._position = end
        return len(chunk)
