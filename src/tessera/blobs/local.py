"""`LocalBlobStore`: the `BlobStore` port on a local directory.

An object with key `a/b` is the regular file `<root>/a/b`. Writes are staged in `<root>/.tmp/` (the
same filesystem, so the final `os.replace` is an atomic rename) and fsynced before the rename, so a
reader sees either the old object or the complete new one, and a crash never leaves a partial
object under a real key. `.tmp` can never be a key (see `keys.validate_key`), so `keys()` never
lists staged files. Content types are accepted for protocol compatibility but not stored: the
filesystem has nowhere to keep them. Empty directories left behind by `delete` are not pruned; a
concurrent `put` into the same directory would race with the removal, and they cost nothing.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from tessera.blobs.keys import blob_not_found, validate_key, validate_prefix

_STAGING_DIR = ".tmp"
_COPY_CHUNK = 1024 * 1024
# mkstemp creates files 0600; objects get the permissions a plain open() would normally give, so
# a separate reader (a backup job, a web server serving the directory) can read them.
_OBJECT_MODE = 0o644
# Errors meaning "no regular file at this path": missing, a directory, or a parent that is a file.
_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


class LocalBlobStore:
    """Objects as files under `root`; creates `root` and its staging directory if needed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._staging = root / _STAGING_DIR
        self._staging.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def put(self, key: str, source: BinaryIO, *, content_type: str | None = None) -> None:
        """Store the stream under `key` atomically, replacing any existing object.

        If reading `source` raises, the exception propagates, the staged file is removed and any
        existing object under `key` is left untouched.
        """
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, staged_name = tempfile.mkstemp(dir=self._staging, prefix="put-", suffix=".part")
        staged = Path(staged_name)
        try:
            with os.fdopen(fd, "wb") as staged_file:
                shutil.copyfileobj(source, staged_file, _COPY_CHUNK)
                staged_file.flush()
                os.fchmod(staged_file.fileno(), _OBJECT_MODE)
                # Data must be on disk before the rename, or a crash could leave the final name
                # pointing at a truncated file.
                os.fsync(staged_file.fileno())
            os.replace(staged, final)
        except BaseException:
            # BaseException too: a KeyboardInterrupt or task cancellation mid-copy must not leak
            # a staged file either.
            staged.unlink(missing_ok=True)
            raise
        # The rename itself lives in the directory entry; fsync it so it survives a crash.
        _fsync_directory(final.parent)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store bytes under `key` atomically."""
        self.put(key, BytesIO(data), content_type=content_type)

    def get_bytes(self, key: str) -> bytes:
        """Whole object. Raises `NotFound` if absent."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except _MISSING:
            raise blob_not_found(key) from None

    def open(self, key: str) -> BinaryIO:
        """A buffered stream of the object, read as consumed. Raises `NotFound` if absent.

        The stream stays valid even if the object is replaced or deleted meanwhile: it keeps the
        file it opened, which `os.replace` never modifies.
        """
        path = self._path(key)
        try:
            return path.open("rb")
        except _MISSING:
            raise blob_not_found(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        """Size in bytes. Raises `NotFound` if absent."""
        try:
            info = self._path(key).stat()
        except _MISSING:
            raise blob_not_found(key) from None
        if not stat.S_ISREG(info.st_mode):
            raise blob_not_found(key)
        return info.st_size

    def delete(self, key: str) -> None:
        """Remove the object; absent keys are not an error."""
        try:
            self._path(key).unlink()
        except _MISSING:
            pass

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with `prefix`, in lexicographic order (the order S3 lists in)."""
        # Validate now, not on the first next(): a bad prefix is a bug at the call site.
        validate_prefix(prefix)
        # Start the walk at the deepest directory the prefix names, not at the root.
        directory, _, _ = prefix.rpartition("/")
        start = self.root / directory if directory else self.root
        base = f"{directory}/" if directory else ""
        found = _walk_sorted(start, base, skip=None if directory else _STAGING_DIR)
        return (key for key in found if key.startswith(prefix))

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object below `prefix` (not empty: no call wipes the store)."""
        if not prefix:
            raise ValueError("delete_prefix needs a non-empty prefix")
        doomed = list(self.keys(prefix))  # listed first: deleting while walking skips entries
        for key in doomed:
            self.delete(key)
        return len(doomed)

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        if not path.is_file():
            raise blob_not_found(key)
        return path

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)


def _walk_sorted(directory: Path, base: str, *, skip: str | None) -> Iterator[str]:
    """Yield `base + relative path` of every regular file below `directory`, lazily, sorted.

    Sorting a directory's entries by name, with `/` appended to subdirectory names, yields full
    keys in plain string order: every key below `x/` compares as `x/…`.
    """
    try:
        with os.scandir(directory) as scan:
            entries = [(e.name + "/" if e.is_dir(follow_symlinks=False) else e.name, e)
                       for e in scan if e.name != skip]
    except (FileNotFoundError, NotADirectoryError):
        return
    for sort_name, entry in sorted(entries, key=lambda pair: pair[0]):
        if sort_name.endswith("/"):
            yield from _walk_sorted(Path(entry.path), base + sort_name, skip=None)
        elif entry.is_file(follow_symlinks=False):
            yield base + entry.name


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
