"""The delivery use case: a Cloudinary delivery path → the bytes to send (grammar §1, §8).

Order of checks: parse the path (400), find the cloud and image (404), check the signature
(401), negotiate the output from the request's hints, then serve the original, a cached
derivative, or a fresh render (single flight, bounded). Derivatives are keyed by
(organization, type, public_id, version, canonical transformation, negotiated output), so a
re-upload (new version) or a deletion makes old ones unreachable; they are stored under
their asset (`derived/<org>/<asset_id>/<digest>`) so a purge removes them all.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from cachetools import TTLCache

from tessera.db.models import Asset
from tessera.db.repositories import AssetRecord
from tessera.db.uow import Database
from tessera.errors import NotFound, Unauthorized
from tessera.grammar.ast import DeliveryType, Flag, ImageLayer, Transformation
from tessera.grammar.parse import parse_component
from tessera.grammar.serialize import canonical_text
from tessera.grammar.url import DeliveryPath, parse_delivery_path, verify_delivery_signature
from tessera.media.preview import preview_key
from tessera.media.probe import Probe
from tessera.media.sniff import sniff
from tessera.metrics import Metrics
from tessera.render.limits import RenderLimits
from tessera.render.pipeline import (
    ClientHints,
    Negotiated,
    Source,
    negotiate,
    render,
)
from tessera.services.derivative_writer import DerivativeWriter
from tessera.services.originals_cache import OriginalsCache
from tessera.services.ports import BlobStore, Coordinator
from tessera.services.render_gate import RenderGate
from tessera.services.secrets import SecretService

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=3600"
_MIME = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif",
                  "webp": "image/webp", "avif": "image/avif", "heic": "image/heic",
                  "tiff": "image/tiff", "bmp": "image/bmp"}


@dataclass(frozen=True, slots=True)
class Delivered:
    """What the route sends: `data` is None for a 304. `render_seconds`: rendered for this
    request, in that time; `from_cache`: a derivative this request did not render (read from
    memory or the store, or shared with the request that rendered it)."""

    data: bytes | None
    mime: str
    etag: str
    cache_control: str
    vary: tuple[str, ...]
    attachment: str | None
    render_seconds: float | None = None
    from_cache: bool = False


def source_of(asset: AssetRecord, locate: Callable[[], Path],
              preview: Callable[[], Path] | None = None) -> Source:
    """The renderer's view of a stored original, from its row (no re-probing): `locate` and
    `preview` give the local paths of the original and of its preview (used if the row says
    it has one), when the render decodes them."""
    facts = asset.analysis
    probe = Probe(format=asset.format, mime=facts.get("mime") or _MIME.get(
        asset.format, "application/octet-stream"), width=facts["raw_width"],
        height=facts["raw_height"], orientation=facts["orientation"],
        display_width=asset.width, display_height=asset.height, frames=asset.pages,
        has_alpha=facts["has_alpha"])
    faces = tuple(tuple(int(v) for v in box) for box in facts.get("faces") or ())
    return Source(locate=locate, probe=probe, faces=faces,  # type: ignore[arg-type]
                  preview=preview if facts.get("preview") else None)


class DeliveryService:
    def __init__(self, db: Database, blobs: BlobStore, secrets: SecretService,
                 metrics: Metrics, *, originals: OriginalsCache, limits: RenderLimits,
                 gate: RenderGate,
                 coordinator: Coordinator, strict_transformations: bool = False,
                 memory_bytes: int = 64 << 20, memory_seconds: float = 30.0) -> None:
        # Hot derivatives of versioned (immutable) URLs, in memory: a hit costs no database
        # query and no blob read. Bounded in bytes; the TTL bounds how long a deleted image's
        # derivatives stay reachable on a node that did not see the deletion.
        self._memory: TTLCache[tuple[str, ClientHints], Delivered] = TTLCache(
            maxsize=memory_bytes, ttl=memory_seconds, getsizeof=_size_of)
        self._memory_lock = threading.Lock()
        self._memory_cleared = 0  # clears so far
        self._db = db
        self._blobs = blobs
        self._secrets = secrets
        self._metrics = metrics
        self._originals = originals
        self._limits = limits
        self._gate = gate
        self._strict = strict_transformations
        self.writer = DerivativeWriter(blobs)
        self._coordinator = coordinator
        coordinator.on_forget(self._clear_memory)

    def close(self) -> None:
        """Store the derivatives still waiting to be written (at shutdown)."""
        self.writer.close()

    def from_memory(self, raw_path: str, hints: ClientHints,
                    if_none_match: str | None = None) -> Delivered | None:
        """The answer for a hot versioned URL without any I/O, or None (then call `deliver`)."""
        self._coordinator.poll()  # a forget from another worker process clears memory first
        with self._memory_lock:
            hit = self._memory.get((raw_path, hints))
        if hit is None:
            return None
        self._metrics.cache_hits.inc()
        return replace(hit, data=None) if _matches(if_none_match, hit.etag) else hit

    def forget(self) -> None:
        """Drop the in-memory derivatives, on every node of the cluster (after a deletion or
        an overwrite)."""
        self._coordinator.broadcast_forget()

    def _clear_memory(self) -> None:
        with self._memory_lock:
            self._memory.clear()
            self._memory_cleared += 1

    def forget_original(self, blob_key: str) -> None:
        """Drop this node's local copy of a remote original (after a purge)."""
        self._originals.forget(blob_key)

    def deliver(self, raw_path: str, hints: ClientHints,
                if_none_match: str | None = None) -> Delivered:
        """Raises GrammarError/BadRequest (400), Unauthorized (401), NotFound (404), Busy (503)."""
        cleared = self._memory_cleared
        delivered = self._deliver(raw_path, hints, if_none_match)
        if delivered.data is not None and delivered.cache_control == IMMUTABLE \
                and len(delivered.data) <= self._memory.maxsize // 16:
            with self._memory_lock:
                # Not kept if a forget came meanwhile: it may be of the image just deleted.
                if cleared == self._memory_cleared:
                    self._memory[(raw_path, hints)] = replace(delivered, render_seconds=None,
                                                              from_cache=True)
        return delivered

    def _deliver(self, raw_path: str, hints: ClientHints,
                 if_none_match: str | None) -> Delivered:
        path = parse_delivery_path(raw_path)
        organization_id = self._secrets.organization_of(path.cloud)
        if organization_id is None:
            raise NotFound(f"Unknown cloud {path.cloud}")
        if path.resource_type != "image":
            raise NotFound(f"Unsupported resource type {path.resource_type}")
        try:
            asset = self._find(organization_id, path.type, path.public_id)
        except NotFound:
            _explain_unparsed_component(path)
            raise
        # The version only busts caches: Cloudinary serves the current asset whatever the number
        # (the seeds use v123123; the SDKs add v1 to ids with folders, §1.1). Only the exact
        # current version is immutable, so an old or made-up number is never cached for good.
        signed = self._check_signature(path, organization_id)
        transformation = path.transformation
        self._check_access(path, transformation, signed)

        negotiated = negotiate(transformation, path.extension, asset.format, hints)
        attachment = _attachment_name(transformation, path, asset.format)
        cache_control = IMMUTABLE if path.version == asset.version else REVALIDATE
        vary = tuple(sorted(negotiated.vary))

        if self._is_original(transformation, negotiated, asset):
            etag = f'"{asset.etag}"'
            if _matches(if_none_match, etag):
                return Delivered(None, _MIME[asset.format], etag, cache_control, vary,
                                 attachment)
            return Delivered(self._blobs.get_bytes(asset.blob_key), _MIME[asset.format],
                             etag, cache_control, vary, attachment)

        digest = _derivative_digest(asset, transformation, negotiated)
        # No extension in the key: with f_auto the format can depend on the pixels (PNG when
        # the result has alpha), so a cached derivative's type is read from its magic bytes.
        key = derivative_key(asset, digest)
        etag = f'"{digest[:32]}"'
        if _matches(if_none_match, etag):
            return Delivered(None, _mime_of_format(negotiated.format), etag, cache_control,
                             vary, attachment)
        cached = self._cached_derivative(key)
        if cached is not None:
            self._metrics.cache_hits.inc()
            return Delivered(cached, _mime_of(cached), etag, cache_control, vary,
                             _attachment_name(transformation, path, sniff(cached[:64]).format),
                             from_cache=True)
        if self._strict and not signed and transformation.components:
            raise Unauthorized("Strict transformations: this derivative must be requested "
                               "with a signed URL first")

        data, fmt, seconds = self._render_once(key, asset, transformation, negotiated)
        return Delivered(data, _mime_of_format(fmt), etag, cache_control, vary,
                         _attachment_name(transformation, path, fmt), seconds, seconds is None)

    def render_asset(self, asset: Asset, transformation: Transformation) -> Delivered:
        """A JPEG derivative of `asset` whatever its image's state, cached like any other:
        the trash's own thumbnails, which no delivery URL reaches (a trashed image is unknown
        there). The caller has checked access; no URL, no signature."""
        record = AssetRecord.of(asset)
        negotiated = negotiate(transformation, "jpg", record.format, ClientHints())
        digest = _derivative_digest(record, transformation, negotiated)
        key = derivative_key(record, digest)
        cached = self._cached_derivative(key)
        data, fmt, seconds = (cached, sniff(cached[:64]).format, None) if cached is not None \
            else self._render_once(key, record, transformation, negotiated)
        return Delivered(data, _mime_of_format(fmt), f'"{digest[:32]}"',
                         "private, max-age=300", (), None, seconds, seconds is None)

    def _render_once(self, key: str, asset: AssetRecord, transformation: Transformation,
                     negotiated: Negotiated) -> tuple[bytes, str, float | None]:
        """(bytes, format, seconds the render took if this call rendered it) of derivative
        `key`, rendered once however many ask at the same time, on this node (the gate) and
        across the cluster (the lock)."""

        def work() -> tuple[bytes, str, float | None]:
            seconds = self._limits.deadline_seconds
            release = self._coordinator.acquire(key, hold_seconds=seconds + 30,
                                                wait_seconds=seconds)
            try:
                # Checked again inside the single flight: a render of this key may have
                # finished (here or on another node) since the caller looked.
                stored = self._cached_derivative(key)
                if stored is not None:
                    self._metrics.cache_hits.inc()  # read from the cache after all
                    return stored, sniff(stored[:64]).format, None
                started = time.perf_counter()
                rendered = render(self._source(asset), transformation, negotiated,
                                  resolve_layer=lambda layer: self._layer(
                                      asset.organization_id, layer),
                                  limits=self._limits)
                # The lock goes once the derivative is stored, after the answer: whoever
                # waited for it (another worker or node) then reads it instead of rendering.
                self.writer.store(key, rendered.data, rendered.mime, then=release)
                release = None
            finally:
                if release is not None:
                    release()
            elapsed = time.perf_counter() - started
            self._metrics.renders.inc()
            self._metrics.render_seconds.observe(elapsed)
            return rendered.data, rendered.format, elapsed

        (data, fmt, seconds), mine = self._gate.run(key, work)
        return data, fmt, seconds if mine else None  # a sharer of the render did not render

    # -- access -------------------------------------------------------------------------------

    def _check_signature(self, path: DeliveryPath, organization_id: str) -> bool:
        if path.signature is None:
            return False
        for secret in self._secrets.active_secrets(organization_id):
            if verify_delivery_signature(path.signed_text, path.signature, secret):
                return True
        raise Unauthorized("Invalid signature")

    @staticmethod
    def _check_access(path: DeliveryPath, transformation: Transformation, signed: bool) -> None:
        if signed:
            return
        if path.type in ("private", "authenticated"):
            raise Unauthorized(f"{path.type} images need a signed URL")
        for component in transformation.components:
            for layer in (component.overlay, component.underlay):
                if isinstance(layer, ImageLayer) and layer.type is not DeliveryType.UPLOAD:
                    raise Unauthorized(f"l_{layer.type.value}: layers need a signed URL")

    def _cached_derivative(self, key: str) -> bytes | None:
        pending = self.writer.pending(key)
        if pending is not None:
            return pending
        # One read, not exists-then-read: on S3 that is one round trip instead of two.
        try:
            return self._blobs.get_bytes(key)
        except NotFound:
            return None

    # -- sources ------------------------------------------------------------------------------

    def _find(self, organization_id: str, type_: str, public_id: str) -> AssetRecord:
        asset = self._db.deliverable_assets.find(organization_id, "image", type_, public_id)
        if asset is None:
            raise NotFound(f"Resource not found - {public_id}")
        return asset

    def _layer(self, organization_id: str, layer: ImageLayer) -> Source:
        asset = self._find(organization_id, layer.type.value, layer.public_id)
        return self._source(asset)

    def _source(self, asset: AssetRecord) -> Source:
        # From S3, each is fetched once per node, and only by a render that decodes it.
        return source_of(asset, lambda: self._originals.path(asset.blob_key),
                         lambda: self._originals.path(preview_key(asset.blob_key)))

    @staticmethod
    def _is_original(transformation: Transformation, negotiated: Negotiated,
                     asset: AssetRecord) -> bool:
        # SVG is never served as SVG from our origin (script in SVG runs there): always render.
        return (not transformation.components and asset.format != "svg"
                and negotiated.format == asset.format)


_COMPONENT_LIKE = re.compile(r"^(?:[a-z]{1,3}|\$\w+)_[^,/]*(?:,(?:[a-z]{1,3}|\$\w+)_[^,/]*)*$")


def _explain_unparsed_component(path: DeliveryPath) -> None:
    """Without a version segment a malformed component is read as part of the public id
    (§1.2 step 4); when the image is then missing and the first id segment looks like
    `key_value,…`, the useful answer is the grammar error, not a 404."""
    first = path.public_id.split("/", 1)[0]
    if "/" in path.public_id and _COMPONENT_LIKE.match(first):
        parse_component(first, index=len(path.transformation.components) + 1)


def derivatives_prefix(asset: Asset | AssetRecord) -> str:
    """Every derivative of `asset` lives under this prefix, so purging the asset can find
    them (one listing) though their digests cannot be recomputed."""
    return f"derived/{asset.organization_id}/{asset.asset_id}/"


def derivative_key(asset: AssetRecord, digest: str) -> str:
    return derivatives_prefix(asset) + digest


def _derivative_digest(asset: AssetRecord, transformation: Transformation,
                       negotiated: Negotiated) -> str:
    canonical = canonical_text(transformation)
    text = "\0".join((asset.organization_id, asset.type, asset.public_id, str(asset.version),
                      asset.etag, canonical, negotiated.key))
    return hashlib.sha256(text.encode()).hexdigest()


def _attachment_name(transformation: Transformation, path: DeliveryPath,
                     output_format: str) -> str | None:
    for component in transformation.components:
        if component.has_flag(Flag.ATTACHMENT):
            name = component.flag_argument(Flag.ATTACHMENT) or path.public_id.rsplit("/", 1)[-1]
            return f"{name}.{output_format}"
    return None


def _size_of(delivered: Delivered) -> int:
    return len(delivered.data or b"") + 512


def _mime_of_format(fmt: str) -> str:
    return _MIME.get(fmt, "application/octet-stream")


def _mime_of(data: bytes) -> str:
    return _mime_of_format(sniff(data[:64]).format)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates

