"""The official Cloudinary SDK uploads the whole corpus to a real Tessera server.

Every file the manifest calls valid must come back with the manifest's size, frames, EXIF date
and GPS; every file it rejects must be refused with a 4xx and leave no row and no blob.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import cloudinary.exceptions
import cloudinary.uploader
import pytest

from tests.e2e.conftest import Server
from tests.media.test_corpus import NOT_MET

pytestmark = pytest.mark.slow


def _stored(server: Server) -> tuple[int, int]:
    """(asset rows, original blobs) as the server's own stores see them."""
    from tessera.app import build_blob_store
    from tessera.db.uow import Database
    from tessera.settings import Settings

    env = {k: v for k, v in server.env.items() if k.startswith("TESSERA_")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = Settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    db = Database(settings.resolved_database_url)
    with db.uow() as uow:
        rows = uow.assets.count()
    db.dispose()
    return rows, len(list(build_blob_store(settings).keys("originals/")))


_DMS = re.compile(r"^(\d+(?:\.\d+)?) deg (\d+(?:\.\d+)?)' (\d+(?:\.\d+)?)\"")


def _decimal_gps(metadata: dict[str, str]) -> tuple[float, float] | None:
    """Signed degrees from exiftool-style `GPSLatitude` `12 deg 34' 56.78"` + `…Ref`, as a
    client would read them."""
    values = []
    for axis, negative in (("Latitude", "S"), ("Longitude", "W")):
        text, ref = metadata.get(f"GPS{axis}"), metadata.get(f"GPS{axis}Ref")
        if text is None or ref is None:
            return None
        match = _DMS.match(html.unescape(text))
        assert match, f"GPS{axis} not in exiftool form: {text!r}"
        degrees, minutes, seconds = (float(g) for g in match.groups())
        value = degrees + minutes / 60 + seconds / 3600
        values.append(-value if html.unescape(ref).upper().startswith(negative) else value)
    return values[0], values[1]


def test_sdk_uploads_the_corpus(server: Server, sdk: None, corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    accepted = refused = 0
    before_rows, before_blobs = _stored(server)
    problems: list[str] = []
    for entry in manifest:
        path, expected = corpus / entry["path"], entry["expected"]
        try:
            result = cloudinary.uploader.upload(str(path), image_metadata=True, colors=True,
                                                phash=True, faces=True)
        except cloudinary.exceptions.Error as exc:
            refused += 1
            if entry["path"] in NOT_MET:  # refused for the reason tests/media states
                continue
            if not expected["expected_to_fail"] and not expected["hazard"]:
                problems.append(f"{entry['path']}: refused: {exc}")
            continue
        accepted += 1
        if entry["path"] in NOT_MET:
            problems.append(f"{entry['path']}: accepted; update NOT_MET in tests/media")
        text = json.dumps(result)
        assert "root:x:0:0" not in text, entry["path"]  # no local file ever leaks into metadata
        if expected["expected_to_fail"]:
            problems.append(f"{entry['path']}: accepted but the manifest rejects it")
            continue
        if expected["hazard"]:
            continue
        got = (result["width"], result["height"], result["pages"])
        want = (expected["display_width"], expected["display_height"], expected["frames"])
        if got != want:
            problems.append(f"{entry['path']}: (w, h, frames) {got} != {want}")
        metadata = result["image_metadata"]
        if metadata.get("DateTimeOriginal") != (expected["datetime_original"] or None):
            problems.append(f"{entry['path']}: DateTimeOriginal {metadata.get('DateTimeOriginal')}"
                            f" != {expected['datetime_original']}")
        gps = _decimal_gps(metadata)
        if expected["has_gps"]:
            if gps is None or (abs(gps[0] - expected["gps_lat"]) > 1e-5
                               or abs(gps[1] - expected["gps_lon"]) > 1e-5):
                problems.append(f"{entry['path']}: GPS {gps} != "
                                f"{expected['gps_lat']} {expected['gps_lon']}")
        elif gps is not None:
            problems.append(f"{entry['path']}: GPS {gps} but the manifest has none")
    assert problems == [], "\n".join(problems)
    rejected = sum(1 for e in manifest if e["expected"]["expected_to_fail"])
    assert refused >= rejected and accepted + refused == len(manifest)
    rows, blobs = _stored(server)
    # Only accepted uploads left a row; identical files share one content-addressed blob.
    assert rows - before_rows == accepted
    assert 0 < blobs - before_blobs <= accepted
