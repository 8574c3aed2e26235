"""Output negotiation: what the request's headers decide before any pixel is read (§6, §11.11).

Owns resolving f_auto (Accept), q_auto (and Save-Data), dpr_auto (DPR, Sec-CH-DPR) and w_auto
(Width, Sec-CH-Width) into one `Negotiated`, with the `Vary` headers the answer depends on and
a short `key` for the derivative cache. f_, q_ and dpr_ are properties of the whole derivative:
the last one given wins. Pure: no pixels, no I/O. Format and quality tables live with the
encoder (`tessera.render.steps.encode`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tessera.errors import GrammarError
from tessera.grammar.ast import Auto, Component, Format, QualityAuto, Transformation
from tessera.render.geometry import auto_width
from tessera.render.plan import dpr_value
from tessera.render.steps.encode import choose_format, choose_quality

MAX_DPR: Final = 5.0


@dataclass(frozen=True, slots=True)
class ClientHints:
    """Request headers that negotiate output."""

    accept: str = ""
    dpr: float | None = None  # DPR / Sec-CH-DPR
    width: int | None = None  # Sec-CH-Width / Width
    save_data: bool = False


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What the request's headers decided; `key` goes into the derivative's cache key and
    `vary` into the response's Vary header (§11.11)."""

    format: str
    format_if_alpha: str | None  # f_auto without AVIF/WebP: PNG when the result has alpha
    quality: int
    dpr: float
    width_hint: int | None  # the client width w_auto used, if any
    save_data: bool
    vary: frozenset[str]
    key: str


def _reversed(transformation: Transformation) -> tuple[Component, ...]:
    return transformation.components[::-1]


def negotiate(transformation: Transformation, extension: str | None, source_format: str,
              hints: ClientHints) -> Negotiated:
    """Resolve f_auto, q_auto, dpr_auto and w_auto against the hints (§6). f_, q_ and dpr_
    apply to the whole derivative; the last one given wins. Raises GrammarError."""
    requested = next((c.fetch_format for c in _reversed(transformation) if c.fetch_format), None)
    fmt, format_if_alpha = choose_format(requested, extension, source_format, hints.accept)
    quality_spec = next((c.quality for c in _reversed(transformation) if c.quality), None)
    dpr_spec = next((c.dpr for c in _reversed(transformation) if c.dpr is not None), None)
    vary: set[str] = set()
    if isinstance(dpr_spec, Auto):
        vary |= {"DPR", "Sec-CH-DPR"}
        # Rounded to a tenth and kept to 1-4, so caches see few variants (implementation choice).
        dpr = 1.0 if hints.dpr is None else min(4.0, max(1.0, round(hints.dpr, 1)))
    else:
        dpr = 1.0 if dpr_spec is None else dpr_value(dpr_spec)
        if dpr > MAX_DPR:
            raise GrammarError(f"dpr must be at most {MAX_DPR:g}", reason="dpr too large")
    autos = [c.width for c in transformation if isinstance(c.width, Auto)]
    width_hint = hints.width if autos else None
    if autos:
        vary |= {"Width", "Sec-CH-Width"}
    if requested is Format.AUTO:
        vary.add("Accept")
    save_data = hints.save_data and isinstance(quality_spec, QualityAuto)
    if isinstance(quality_spec, QualityAuto):
        vary.add("Save-Data")
    quality = choose_quality(quality_spec, fmt, save_data)
    widths = ".".join(str(auto_width(a, width_hint)) for a in autos if isinstance(a, Auto))
    key = f"{fmt}{'|' + format_if_alpha if format_if_alpha else ''}.q{quality}.dpr{dpr:g}"
    key += f".w{widths}" if widths else ""
    return Negotiated(fmt, format_if_alpha, quality, dpr, width_hint, save_data,
                      frozenset(vary), key)
