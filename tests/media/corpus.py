"""The shared image corpus (../shared/corpus beside the checkout, or $TESSERA_CORPUS_DIR) and
its manifest, for the media tests."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(os.environ.get("TESSERA_CORPUS_DIR")
                  or Path(__file__).resolve().parents[2].parent / "shared" / "corpus")

# Limits the media tests run under (Tessera's defaults).
MAX_PIXELS = 100_000_000
MAX_FRAMES = 1000

# Manifest format names -> Cloudinary format names.
FORMAT_NAMES = {"jpeg": "jpg", "heif": "heic"}


def load_manifest() -> list[dict[str, Any]]:
    with (CORPUS_DIR / "manifest.json").open(encoding="utf-8") as handle:
        entries: list[dict[str, Any]] = json.load(handle)
    return entries


@functools.cache
def _verified(path: str, sha256: str) -> Path:
    file = CORPUS_DIR / path
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    assert digest == sha256, f"{path}: corpus file differs from the manifest"
    return file


def corpus_file(entry: dict[str, Any]) -> Path:
    """The entry's file, after checking its sha256 against the manifest."""
    return _verified(entry["path"], entry["sha256"])
