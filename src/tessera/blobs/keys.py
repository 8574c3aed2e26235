"""Blob key validation shared by every back end.

A key is a `/`-separated relative path of segments made of `[A-Za-z0-9._-]`, such as
`originals/<sha256>`. Keys are built by Tessera's own code, never taken from a request, so a bad key
is a programming error and raises `ValueError` rather than a `TesseraError`. Validating here, once,
keeps the two back ends interchangeable: a key the filesystem store accepts, S3 accepts too.
`blob_not_found` builds the one error both raise for a missing object. This module does no I/O.
"""

from __future__ import annotations

import re

from tessera.errors import NotFound

# One segment: our alphabet only. Backslashes, NUL, spaces, `%` and non-ASCII never match.
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
# A listing prefix may stop anywhere, even right after a `/` (`derived/` or `originals/ab`).
_PREFIX = re.compile(r"[A-Za-z0-9._/-]*")

# S3 caps keys at 1024 bytes; common filesystems cap a path component (NAME_MAX) at 255 bytes.
MAX_KEY_LENGTH = 1024
MAX_SEGMENT_LENGTH = 255


def validate_key(key: str) -> str:
    """Return `key` unchanged if it is a valid blob key.

    Raises:
        ValueError: empty or over-long key, leading `/`, an empty segment (`a//b`, trailing `/`),
            a segment starting with `.` (this covers `.` and `..`, and reserves `.tmp`, where the
            filesystem store stages its writes), or any character outside `[A-Za-z0-9._-/]`.
    """
    if not key:
        raise ValueError("blob key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"blob key is longer than {MAX_KEY_LENGTH} characters")
    if key.startswith("/"):
        raise ValueError(f"blob key must be relative, got {key!r}")
    for segment in key.split("/"):
        _check_segment(segment, f"blob key {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """Return `prefix` unchanged if it can start a valid key (the empty prefix lists everything).

    Raises:
        ValueError: a leading `/`, a forbidden character, or a complete segment that no key could
            contain (`a//`, `../`, `.tmp/`).
    """
    if not _PREFIX.fullmatch(prefix) or prefix.startswith("/"):
        raise ValueError(f"blob key prefix {prefix!r} is absolute or has characters outside "
                         "[A-Za-z0-9._-/]")
    # Every segment except the last is complete and must itself be valid; the last one may be a
    # partial segment (`originals/ab` lists `originals/abc…`), so only its start is checked.
    *complete, last = prefix.split("/")
    for segment in complete:
        _check_segment(segment, f"blob key prefix {prefix!r}")
    if last.startswith("."):
        raise ValueError(f"blob key prefix {prefix!r} has a segment starting with '.'")
    return prefix


def blob_not_found(key: str) -> NotFound:
    """The error both back ends raise for a missing object."""
    # The key stays out of the public message: it names internal layout (`originals/<sha256>`).
    return NotFound(detail=f"blob not found: {key}", key=key)


def _check_segment(segment: str, subject: str) -> None:
    if not segment:
        raise ValueError(f"{subject} has an empty segment")
    if segment.startswith("."):
        raise ValueError(f"{subject} has a segment starting with '.'")
    if len(segment) > MAX_SEGMENT_LENGTH:
        raise ValueError(f"{subject} has a segment over {MAX_SEGMENT_LENGTH} characters")
    if not _SEGMENT.fullmatch(segment):
        raise ValueError(f"{subject} has characters outside [A-Za-z0-9._-]")
