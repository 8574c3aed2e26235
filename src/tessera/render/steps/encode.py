"""Encode step and output policy: which format, quality and metadata a derivative gets
(§5, §6), and the encoder call.

Owns format negotiation (f_auto: AVIF > WebP > JPEG, PNG for transparent results; a GIF source
prefers WebP, which keeps its animation, over AVIF), quality levels (explicit q_, q_auto
levels per format, Save-Data lowering q_auto by one level), the formats never delivered
(SVG, HEIC, TIFF, BMP sources come out as PNG or JPEG) and what metadata survives: none by
default; fl_keep_iptc keeps EXIF/XMP/IPTC with an sRGB profile; fl_keep_attribution keeps
only EXIF Artist and Copyright; fl_force_icc, cs_srgb and cs_tinysrgb tag sRGB; cs_copy keeps
the original profile; fl_strip_profile always drops it.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Final

import pyvips
from PIL import Image as PILImage

from tessera.errors import GrammarError
from tessera.grammar.ast import Format, QualityAuto

MIME_TYPES: Final = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                     "avif": "image/avif", "gif": "image/gif"}
ALPHA_FORMATS: Final = frozenset({"png", "webp", "avif", "gif"})
ANIMATED_FORMATS: Final = frozenset({"gif", "webp"})
_REQUESTABLE: Final = {"jpg": "jpg", "jpeg": "jpg", "png": "png", "webp": "webp",
                       "avif": "avif", "gif": "gif"}
# Source formats Tessera does not deliver: the closest that browsers show (vector and
# lossless sources → PNG, photographs → JPEG; TIFF with alpha → PNG via format_if_alpha).
_IMPLICIT: Final = {"svg": "png", "bmp": "png", "heic": "jpg", "tiff": "jpg"}
_LEVELS: Final = (QualityAuto.LOW, QualityAuto.ECO, QualityAuto.GOOD, QualityAuto.BEST)
_QUALITY: Final = {  # per format: low, eco, good, best (implementation choice, §6)
    "jpg": (55, 70, 80, 90), "webp": (55, 70, 80, 90), "avif": (40, 50, 60, 70),
    "png": (50, 65, 80, 95), "gif": (50, 65, 80, 95)}
DEFAULT_QUALITY: Final = {"jpg": 80, "webp": 80, "avif": 60, "png": 80, "gif": 80}
_ARTIST, _COPYRIGHT = 0x013B, 0x8298


class Profile(enum.Enum):
    """The ICC profile a derivative carries."""

    NONE = "none"  # untagged, which browsers read as sRGB (the pixels are sRGB)
    SRGB = "srgb"  # tagged sRGB: fl_force_icc, cs_srgb, cs_tinysrgb, fl_keep_iptc
    ORIGINAL = "original"  # cs_copy: the source's profile, pixels unconverted


@dataclass(frozen=True, slots=True)
class OutputPlan:
    format: str
    quality: int
    progressive: bool = False
    palette: bool = False  # fl_png8 / fl_lossy for PNG
    keep_metadata: bool = False  # fl_keep_iptc
    attribution_only: bool = False  # fl_keep_attribution
    profile: Profile = Profile.NONE
    delay: int | None = None  # dl_: milliseconds per frame of an animation


def choose_format(requested: Format | None, extension: str | None, source_format: str,
                  accept: str) -> tuple[str, str | None]:
    """(format, format to use instead when the result has alpha). Raises GrammarError for a
    format Tessera does not deliver."""
    if requested is Format.AUTO:
        accepted = accepted_types(accept)
        if "image/avif" in accepted and source_format != "gif":
            return "avif", None
        if "image/webp" in accepted:
            return "webp", None
        if source_format == "gif":
            return "gif", None
        return "jpg", "png"  # JPEG for opaque, PNG for transparent results (§6)
    name = requested.value if requested is not None else extension
    if name is not None:
        if name.lower() not in _REQUESTABLE:
            raise GrammarError(f"Unsupported delivery format '{name}'", reason="bad format")
        return _REQUESTABLE[name.lower()], None
    if source_format in _IMPLICIT:
        fallback = _IMPLICIT[source_format]
        return fallback, "png" if fallback == "jpg" else None
    return _REQUESTABLE.get(source_format, "jpg"), None


def accepted_types(accept: str) -> frozenset[str]:
    types = set()
    for item in accept.lower().split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        types.add(media)
    return frozenset(types)


def choose_quality(quality: int | QualityAuto | None, fmt: str, save_data: bool) -> int:
    if isinstance(quality, int):
        return quality
    if quality is None:
        return DEFAULT_QUALITY[fmt]
    level = _LEVELS.index(QualityAuto.GOOD if quality is QualityAuto.AUTO else quality)
    if save_data:  # Save-Data: one level lower than asked (§6)
        level = max(0, level - 1)
    return _QUALITY[fmt][level]


def encode(img: pyvips.Image, plan: OutputPlan) -> bytes:
    img = _metadata(img, plan)
    keep = _keep(plan)
    if plan.delay is not None and img.get_typeof("n-pages") != 0:
        img = img.copy()
        img.set_type(pyvips.GValue.array_int_type, "delay", [plan.delay] * img.get("n-pages"))
    fmt = plan.format
    if fmt == "jpg":
        data = img.jpegsave_buffer(Q=plan.quality, interlace=plan.progressive, keep=keep,
                                   optimize_coding=True)
    elif fmt == "png":
        options = {"palette": True, "Q": plan.quality} if plan.palette else {}
        data = img.pngsave_buffer(compression=6, interlace=plan.progressive, keep=keep,
                                  **options)
    elif fmt == "webp":
        data = img.webpsave_buffer(Q=plan.quality, effort=4, keep=keep)
    elif fmt == "avif":
        # effort 2 of 9: AVIF at the default effort costs seconds per megapixel.
        data = img.heifsave_buffer(Q=plan.quality, compression="av1", effort=2, keep=keep)
    else:
        data = img.gifsave_buffer(keep=keep)
    assert isinstance(data, bytes)
    return data


def _keep(plan: OutputPlan) -> str:
    parts = []
    if plan.keep_metadata:
        parts += ["exif", "xmp", "iptc"]
    elif plan.attribution_only:
        parts.append("exif")
    if plan.profile is not Profile.NONE:
        parts.append("icc")
    return ":".join(parts) or "none"


def _metadata(img: pyvips.Image, plan: OutputPlan) -> pyvips.Image:
    if plan.profile is Profile.SRGB:
        img = img.copy()
        img.set_type(pyvips.GValue.blob_type, "icc-profile-data", srgb_profile())
    if plan.attribution_only and not plan.keep_metadata:
        img = _attribution(img)
    return img


def _attribution(img: pyvips.Image) -> pyvips.Image:
    """Only EXIF Artist and Copyright survive fl_keep_attribution (no GPS, no camera)."""
    kept: dict[int, object] = {}
    if img.get_typeof("exif-data") != 0:
        exif = PILImage.Exif()
        try:
            exif.load(img.get("exif-data"))
            kept = {tag: exif[tag] for tag in (_ARTIST, _COPYRIGHT) if tag in exif}
        except Exception:  # noqa: BLE001, S110 - broken EXIF keeps nothing rather than fail
            kept = {}
    img = img.copy()
    for name in img.get_fields():
        if name.startswith("exif-") or name in ("xmp-data", "iptc-data"):
            img.remove(name)
    if kept:
        exif = PILImage.Exif()
        exif.update(kept)
        img.set_type(pyvips.GValue.blob_type, "exif-data", exif.tobytes())
    return img


@functools.cache
def srgb_profile() -> bytes:
    """libvips' built-in sRGB profile, taken once from a 1x1 transform."""
    probe = (pyvips.Image.black(1, 1, bands=3) + 128).cast("uchar").copy(interpretation="srgb")
    profile = probe.icc_transform("srgb", input_profile="srgb").get("icc-profile-data")
    assert isinstance(profile, bytes)
    return profile
