"""Text layers: `l_text:<family>_<size>[_<style>…]:<text>` rendered with Pango (§4.3, §11.12).

Owns the font: Tessera ships Roboto (the `font-roboto` package: Thin, Light, Regular, Bold and
their italics) and renders every family with it, since no other font is installed by the
project; the family name in the URL is not looked up. The size is in pixels (times DPR),
`co_` colours the text (default black), `letter_spacing`, `line_spacing`, underline,
strikethrough and alignment are honoured, `c_fit`/`c_limit` with `w_` wraps lines at that
width. Not rendered: `stroke`, `antialias_*`, `hinting_*` (accepted, no effect).
"""

from __future__ import annotations

import html
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyvips

from tessera.errors import GrammarError, TesseraError
from tessera.grammar.ast import (
    Component,
    CropMode,
    FontStyle,
    FontWeight,
    TextAlign,
    TextDecoration,
    TextLayer,
    TextStyle,
)
from tessera.render.geometry import Context, Rgba, Size, color, dimension, to_size
from tessera.render.steps.alpha import solid

MAX_FONT_PIXELS: Final = 1000  # a bigger font is a pixel bomb in disguise
_FACES: Final = {None: "Regular", FontWeight.THIN: "Thin", FontWeight.LIGHT: "Light",
                 FontWeight.BOLD: "Bold"}
_ALIGN: Final = {TextAlign.LEFT: "low", TextAlign.START: "low", TextAlign.CENTER: "centre",
                 TextAlign.RIGHT: "high", TextAlign.END: "high", TextAlign.JUSTIFY: "low"}


@dataclass(frozen=True, slots=True)
class TextPlan:
    markup: str
    font: str  # Pango description, e.g. "Roboto Bold Italic 40"
    fontfile: Path
    color: Rgba
    wrap: int | None = None
    align: str = "low"
    justify: bool = False
    spacing: int | None = None


def wraps(component: Component) -> bool:
    """`c_fit`/`c_limit` with `w_` on a text layer wraps the text instead of scaling it."""
    return component.width is not None and component.crop in (CropMode.FIT, CropMode.LIMIT)


def plan_text(layer: TextLayer, component: Component, ctx: Context) -> TextPlan:
    style = layer.style
    assert isinstance(style, TextStyle)  # saved styles are refused by the planner
    size = style.font_size * ctx.dpr
    if size > MAX_FONT_PIXELS:
        raise GrammarError(f"Text size {size:g} is over the limit of {MAX_FONT_PIXELS} pixels",
                           reason="text too large")
    face = _FACES.get(style.font_weight, "Regular")
    italic = style.font_style is FontStyle.ITALIC
    file_face = ("" if face == "Regular" else face) + "Italic" if italic else face
    words = ["Roboto"] + ([] if face == "Regular" else [face]) + (["Italic"] if italic else [])
    markup = html.escape(layer.text, quote=False)
    attributes = []
    if style.letter_spacing is not None:  # Pango units are 1/1024 point (= pixel at 72 dpi)
        spacing = float(style.letter_spacing) if isinstance(style.letter_spacing, int) else \
            style.letter_spacing.value
        attributes.append(f'letter_spacing="{round(spacing * ctx.dpr * 1024)}"')
    if style.text_decoration is TextDecoration.UNDERLINE:
        attributes.append('underline="single"')
    elif style.text_decoration is TextDecoration.STRIKETHROUGH:
        attributes.append('strikethrough="true"')
    if attributes:
        markup = f"<span {' '.join(attributes)}>{markup}</span>"
    line = None
    if style.line_spacing is not None:
        extra = float(style.line_spacing) if isinstance(style.line_spacing, int) else \
            style.line_spacing.value
        line = max(1, round(size * 1.2 + extra * ctx.dpr))
    wrap = None
    if wraps(component):
        width = dimension(component.width, 1, Size(1, 1), ctx)
        wrap = None if width is None else to_size(width)
    return TextPlan(
        markup=markup, font=" ".join([*words, f"{size:g}"]), fontfile=font_file(file_face),
        color=color(component.color) if component.color is not None else (0, 0, 0, 255),
        wrap=wrap, align=_ALIGN.get(style.text_align, "low") if style.text_align else "low",
        justify=style.text_align is TextAlign.JUSTIFY, spacing=line)


def font_file(face: str) -> Path:
    """The bundled Roboto file for a face name ("Bold", "LightItalic", "Italic", …)."""
    try:
        files = importlib.resources.files("font_roboto") / "files"
    except ModuleNotFoundError:
        raise TesseraError("Text layers need the font-roboto package",
                           detail="pip install font-roboto") from None
    return Path(str(files / f"Roboto-{face}.ttf"))


def render_text(plan: TextPlan) -> pyvips.Image:
    """The text as an sRGB image with alpha, ink in the plan's colour."""
    options: dict[str, object] = {"font": plan.font, "fontfile": str(plan.fontfile),
                                  "dpi": 72, "align": plan.align, "justify": plan.justify}
    if plan.wrap is not None:
        options["width"] = plan.wrap
    if plan.spacing is not None:
        options["spacing"] = plan.spacing
    mask = pyvips.Image.text(plan.markup, **options)
    ink = solid(mask.width, mask.height, plan.color, alpha=False)
    alpha = (mask * (plan.color[3] / 255)).cast("uchar")
    return ink.bandjoin(alpha).copy(interpretation="srgb")
