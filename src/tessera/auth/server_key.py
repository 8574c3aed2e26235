"""The server key: loaded from settings or generated once into the data directory, and the
box that encrypts client secrets at rest with it."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from tessera.errors import TesseraError


def load_server_key(configured: str, data_dir: Path) -> str:
    """`configured` if set, else the key persisted in `<data_dir>/server.key` (created 0600)."""
    if configured:
        if len(configured) < 32:
            raise TesseraError("TESSERA_SECRET_KEY must be at least 32 characters")
        return configured
    path = data_dir / "server.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not end up with different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class SecretBox:
    """Authenticated encryption (Fernet) keyed from the server key."""

    def __init__(self, server_key: str) -> None:
        digest = hashlib.sha256(b"tessera-secret-box\0" + server_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken as exc:  # a different server key: configuration error, not input
            raise TesseraError("client secret cannot be decrypted with this server key") from exc
