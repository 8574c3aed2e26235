"""The Cloudinary upload use case: authenticate the signed request, probe and analyse the file,
store the original and its row together, answer the upload result (grammar §9).

Blob and row succeed or fail together: the blob (and the preview of a large JPEG,
`tessera.media.preview`) is written before the commit and removed again if the commit fails
and no other row references it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tessera.auth.signing import api_string_to_sign, response_signature, verify_upload_signature
from tessera.db.models import Asset
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import InvalidSignature, MissingParameter, StaleRequest, Unauthorized
from tessera.grammar.url import build_delivery_url
from tessera.media import preview as previews
from tessera.media.metadata import Analysis, analyse
from tessera.media.probe import Probe, probe_file
from tessera.metrics import Metrics
from tessera.services.ports import BlobStore, Notifier
from tessera.services.secrets import Credentials, SecretService
from tessera.services.upload_params import UploadParams, random_public_id


@dataclass(frozen=True, slots=True)
class UploadConfig:
    public_url: str
    max_pixels: int
    max_frames: int
    timestamp_tolerance: int
    previews: bool = True


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """The asset `store` wrote, or the existing one it kept (`existing`)."""

    asset: Asset
    existing: bool
    overwritten: bool


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """An uploaded file already spooled to a local temporary path (owned by the caller)."""

    path: Path
    filename: str


def _digests(path: Path) -> tuple[str, str, int]:
    sha256, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha256.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha256.hexdigest(), md5.hexdigest(), size


def _filename_stem(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


class UploadService:
    def __init__(self, db: Database, blobs: BlobStore, secrets_: SecretService,
                 notifier: Notifier, config: UploadConfig, metrics: Metrics,
                 clock: Callable[[], float] = time.time,
                 on_overwrite: Callable[[], None] = lambda: None) -> None:
        # `on_overwrite` runs after an overwrite commits: the delivery's hot derivatives of the
        # replaced version are dropped on every node, as after a deletion.
        self._on_overwrite = on_overwrite
        self._metrics = metrics
        self._db = db
        self._blobs = blobs
        self._secrets = secrets_
        self._notifier = notifier
        self._config = config
        self._clock = clock

    def authenticate(self, fields: Mapping[str, str]) -> Credentials:
        """Verify api_key, signature and timestamp of a signed upload request.

        Raises:
            Unauthorized, InvalidSignature, StaleRequest: the request is not signed by a
                known, active secret within the allowed time window.
        """
        api_key = fields.get("api_key")
        if not api_key:
            raise Unauthorized("Must supply api_key")
        credentials = self._secrets.resolve(api_key)
        if credentials is None:
            raise Unauthorized(f"Unknown API key {api_key}")
        signature = fields.get("signature")
        if not signature:
            raise InvalidSignature("Missing required parameter - signature")
        if not verify_upload_signature(fields, signature, credentials.secret):
            signed = {k: v for k, v in fields.items()
                      if k not in ("file", "api_key", "signature", "cloud_name", "resource_type")}
            raise InvalidSignature(
                f"Invalid Signature {signature}. String to sign - '{api_string_to_sign(signed)}'.")
        timestamp = fields.get("timestamp", "")
        if not timestamp.isdigit():
            raise MissingParameter("Missing required parameter - timestamp")
        now = int(self._clock())
        if now - int(timestamp) > self._config.timestamp_tolerance:
            raise StaleRequest(f"Stale request - reported time is {timestamp} which is more "
                               f"than {self._config.timestamp_tolerance // 60} minutes ago")
        if int(timestamp) - now > self._config.timestamp_tolerance:
            raise StaleRequest(f"Stale request - reported time is {timestamp} which is in "
                               "the future")
        return credentials

    def upload(self, credentials: Credentials, params: UploadParams,
               incoming: IncomingFile) -> dict[str, Any]:
        """Store one original and return the Cloudinary upload result.

        Raises:
            ImageRejected, ImageTooLarge: the file is not an acceptable image.
        """
        stored = self.store(credentials.organization_id, params, incoming)
        result = self._result(stored.asset, credentials, params)
        if stored.existing:
            result["existing"] = True
            return result
        if stored.overwritten:
            result["overwritten"] = True
        if params.notification_url:
            payload: dict[str, object] = {"notification_type": "upload",
                                          "timestamp": stored.asset.version, **result}
            self._notifier.notify(params.notification_url, payload, credentials.secret)
        return result

    def store(self, organization_id: str, params: UploadParams,
              incoming: IncomingFile) -> StoredUpload:
        """Probe, analyse and store one original with its asset row (the upload pipeline,
        also used by remote imports). Raises ImageRejected, ImageTooLarge."""
        probe = probe_file(incoming.path, max_pixels=self._config.max_pixels,
                           max_frames=self._config.max_frames)
        with self._preview(incoming.path, probe) as preview:
            analysis = analyse(incoming.path, probe, faces=params.faces, preview=preview)
            return self._register(organization_id, params, incoming, probe, analysis, preview)

    def _register(self, organization_id: str, params: UploadParams, incoming: IncomingFile,
                  probe: Probe, analysis: Analysis,
                  preview: Path | None) -> StoredUpload:
        """The blob, the preview and the row, together."""
        sha256, md5, size = _digests(incoming.path)
        org = organization_id
        blob_key = f"originals/{org}/{sha256[:2]}/{sha256}"
        public_id = params.public_id or None
        now = datetime.now(UTC).replace(microsecond=0)
        version = int(self._clock())
        original_filename = _filename_stem(params.filename_override or incoming.filename)

        with self._db.uow() as uow:
            existing = (uow.assets.find(org, "image", params.type, public_id)
                        if public_id else None)
            if existing is not None and not params.overwrite:
                return StoredUpload(existing, existing=True, overwritten=False)
            wrote_blob = not self._blobs.exists(blob_key)
            key = previews.preview_key(blob_key)
            wrote_preview = preview is not None and not self._blobs.exists(key)
            asset = existing or Asset(organization_id=org, resource_type="image",
                                      type=params.type, asset_id=uuid.uuid4().hex)
            replaced = existing.blob_key if existing is not None else blob_key
            if existing is not None and existing.version >= version:
                version = existing.version + 1  # versions must change on every overwrite
            asset.public_id = public_id or self._fresh_public_id(uow, org, params.type)
            _fill(asset, probe, analysis, version=version, md5=md5, size=size,
                  blob_key=blob_key, original_filename=original_filename,
                  tags=list(params.tags), context=params.context, created_at=now,
                  preview=preview is not None)
            if existing is None:
                uow.assets.add(asset)
            try:
                if wrote_blob:
                    with incoming.path.open("rb") as handle:
                        self._blobs.put(blob_key, handle, content_type=probe.mime)
                if wrote_preview and preview is not None:
                    with preview.open("rb") as handle:
                        self._blobs.put(key, handle, content_type="application/octet-stream")
                uow.commit()
            except BaseException:
                uow.rollback()
                if not uow.assets.is_blob_referenced(blob_key):
                    if wrote_blob:
                        self._blobs.delete(blob_key)
                    if wrote_preview:
                        self._blobs.delete(key)
                raise
        if existing is not None:
            if replaced != blob_key:
                self._drop_unreferenced(replaced)  # as Cloudinary, the old original goes
            self._on_overwrite()
        self._metrics.uploads.inc()
        self._metrics.upload_bytes.inc(size)
        return StoredUpload(asset, existing=False, overwritten=existing is not None)

    @contextmanager
    def _preview(self, path: Path, probe: Probe) -> Iterator[Path | None]:
        """A temporary file holding the preview of the original at `path`, if it gets one."""
        if not (self._config.previews and previews.wanted(probe)):
            yield None
            return
        fd, name = tempfile.mkstemp(suffix=previews.SUFFIX, dir=path.parent)
        os.close(fd)
        out = Path(name)
        try:
            yield out if previews.make(path, probe, out) else None
        finally:
            out.unlink(missing_ok=True)

    def discard(self, asset: Asset) -> None:
        """Remove an asset `store` just created whose registration failed, and its blob unless
        another asset shares it (same bytes)."""
        with self._db.uow() as uow:
            uow.assets.delete(asset.id)
            uow.commit()
        self._drop_unreferenced(asset.blob_key)

    def _drop_unreferenced(self, blob_key: str) -> None:
        """Delete original `blob_key` and its preview, unless an asset still has those bytes."""
        with self._db.uow() as uow:
            if uow.assets.is_blob_referenced(blob_key):
                return
        for key in previews.original_keys(blob_key):
            self._blobs.delete(key)

    def _fresh_public_id(self, uow: UnitOfWork, org: str, type_: str) -> str:
        while True:
            candidate = random_public_id()
            if uow.assets.find(org, "image", type_, candidate) is None:
                return candidate

    def delivery_url(self, asset: Asset, api_secret: str) -> str:
        """The original's URL; private and authenticated ones are signed, as Cloudinary does."""
        return build_delivery_url(asset.public_id,
                                  cloud=self._secrets.cloud_of(asset.organization_id),
                                  type=asset.type, format=asset.format, version=asset.version,
                                  sign_url=asset.type != "upload", api_secret=api_secret,
                                  base_url=self._config.public_url)

    def _result(self, asset: Asset, credentials: Credentials,
                params: UploadParams) -> dict[str, Any]:
        analysis = asset.analysis
        url = self.delivery_url(asset, credentials.secret)
        result: dict[str, Any] = {
            "asset_id": asset.asset_id,
            "public_id": asset.public_id,
            "version": asset.version,
            "version_id": asset.version_id,
            "signature": response_signature(asset.public_id, asset.version, credentials.secret),
            "width": asset.width,
            "height": asset.height,
            "format": asset.format,
            "resource_type": asset.resource_type,
            "created_at": asset.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tags": list(asset.tags),
            "pages": asset.pages,
            "bytes": asset.bytes,
            "type": asset.type,
            "etag": asset.etag,
            "placeholder": False,
            "url": url,
            # Tessera serves one scheme; secure_url is https only when the public URL is.
            "secure_url": url,
            "access_mode": "public",
            "original_filename": asset.original_filename,
            "api_key": credentials.secret_id,
            "semi_transparent": analysis["semi_transparent"],
            "grayscale": analysis["grayscale"],
            "illustration_score": analysis["illustration_score"],
        }
        if asset.context:
            result["context"] = {"custom": dict(asset.context)}
        if params.image_metadata:
            result["image_metadata"] = dict(analysis["image_metadata"])
        if params.colors:
            # Stored as JSON lists already (see _fill): the row's values are the answer.
            result["colors"] = analysis["colors"]
            result["predominant"] = analysis["predominant"]
        if params.phash:
            result["phash"] = analysis["phash"]
        if params.faces:
            result["faces"] = analysis["faces"]
            result["coordinates"] = {"faces": analysis["faces"]}
        return result


def _fill(asset: Asset, probe: Probe, analysis: Analysis, *, version: int, md5: str, size: int,
          blob_key: str, original_filename: str, tags: list[str], context: dict[str, str],
          created_at: datetime, preview: bool) -> None:
    asset.version = version
    asset.version_id = secrets.token_hex(16)
    asset.format = probe.format
    # Cloudinary reports the size as displayed, i.e. after EXIF orientation.
    asset.width = probe.display_width
    asset.height = probe.display_height
    asset.pages = probe.frames
    asset.bytes = size
    asset.etag = md5
    asset.blob_key = blob_key
    asset.original_filename = original_filename
    asset.tags = tags
    asset.context = context
    asset.created_at = created_at
    asset.analysis = {
        "mime": probe.mime,
        "orientation": probe.orientation,
        "raw_width": probe.width,
        "raw_height": probe.height,
        "has_alpha": probe.has_alpha,
        "image_metadata": analysis.image_metadata,
        "gps": list(analysis.gps) if analysis.gps else None,
        "datetime_original": analysis.datetime_original,
        "colors": [list(c) for c in analysis.colors],
        "predominant": {k: [list(p) for p in v] for k, v in analysis.predominant.items()},
        "phash": analysis.phash,
        "faces": [list(f) for f in analysis.faces],
        "semi_transparent": analysis.semi_transparent,
        "grayscale": analysis.grayscale,
        "illustration_score": analysis.illustration_score,
        "preview": preview,  # stored beside the original (tessera.media.preview)
    }
