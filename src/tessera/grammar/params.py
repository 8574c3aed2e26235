"""The parameter table: each URL key mapped to its Component field, SDK option name, and a
typed value parser and renderer (grammar §2.3, §2.4).

A parser takes the text after `key_` and returns the AST value or raises `ValueSyntaxError`
with the reason; a renderer is its exact inverse for every value the parser returns. This
module does not know about components, ordering or errors with positions (`parse.py` does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from tessera.grammar.ast import (
    PARAM_FIELDS,
    AngleMode,
    AspectRatio,
    Auto,
    Border,
    Color,
    ColorSpace,
    CropMode,
    Dimension,
    Effect,
    EffectArg,
    EffectName,
    Expression,
    Flag,
    FlagEntry,
    Format,
    Gravity,
    GravityMode,
    Number,
    Offset,
    PageRange,
    QualityAuto,
    Radius,
    Ratio,
)
from tessera.grammar.layers import parse_layer, render_layer
from tessera.grammar.lexical import (
    INT_RE,
    WORD_RE,
    ValueSyntaxError,
    is_number,
    parse_auto,
    parse_color,
    parse_expression,
    parse_int,
    parse_number,
    render_auto,
    render_color,
    render_number,
)


@dataclass(frozen=True, slots=True)
class ParamSpec:
    key: str
    field: str
    option: str
    parse: Callable[[str], Any]
    render: Callable[[Any], str]


_E = TypeVar("_E")


def _enum_parser(kind: Callable[[str], _E], what: str) -> Callable[[str], _E]:
    def parse(text: str) -> _E:
        try:
            return kind(text)
        except ValueError:
            raise ValueSyntaxError(f"unknown {what}") from None
    return parse


def _value(item: Any) -> str:
    return str(item.value)


# --- geometry ---------------------------------------------------------------------------------

def parse_dimension(text: str) -> Dimension:
    """`w_`/`h_`: pixels, a decimal relative to the input (`w_0.5`, case 3), `auto[:…]`, or an
    expression (`iw_div_2`)."""
    if is_number(text):
        return parse_number(text, minimum=0, exclusive_minimum=True)
    if text == "auto" or text.startswith("auto:"):
        return parse_auto(text)
    return parse_expression(text)


def render_dimension(value: Dimension) -> str:
    if isinstance(value, Auto):
        return render_auto(value)
    if isinstance(value, Expression):
        return value.text
    return render_number(value)


def parse_offset(text: str) -> Offset:
    """`x_`/`y_`: signed pixels (case 37), a decimal fraction (case 21), or an expression."""
    if is_number(text):
        return parse_number(text)
    return parse_expression(text)


def render_offset(value: Offset) -> str:
    return value.text if isinstance(value, Expression) else render_number(value)


def parse_angle(text: str) -> tuple[int | AngleMode, ...]:
    # `.` joins steps applied left to right: `a_vflip.45` (case 45).
    items: list[int | AngleMode] = []
    for item in text.split("."):
        if INT_RE.fullmatch(item):
            items.append(int(item))
        elif item in AngleMode._value2member_map_:
            items.append(AngleMode(item))
        else:
            raise ValueSyntaxError("expected degrees or auto_right, auto_left, ignore, vflip, "
                                   "hflip, exif")
    return tuple(items)


def render_angle(items: tuple[int | AngleMode, ...]) -> str:
    return ".".join(str(item) for item in items)


_RATIO_RE: Final = re.compile(r"([1-9][0-9]*):([1-9][0-9]*)")


def parse_aspect_ratio(text: str) -> AspectRatio:
    match = _RATIO_RE.fullmatch(text)
    if match:
        return Ratio(int(match.group(1)), int(match.group(2)))  # `ar_16:9` (case 24)
    if is_number(text):
        return parse_number(text, minimum=0, exclusive_minimum=True)
    raise ValueSyntaxError("expected <width>:<height> or a decimal")


def render_aspect_ratio(value: AspectRatio) -> str:
    if isinstance(value, Ratio):
        return f"{value.numerator}:{value.denominator}"
    return render_number(value)


def parse_gravity(text: str) -> Gravity:
    mode_text, *qualifiers = text.split(":")
    mode = _enum_parser(GravityMode, "gravity")(mode_text)
    if qualifiers and mode not in (GravityMode.FACE, GravityMode.FACES, GravityMode.AUTO,
                                   GravityMode.CUSTOM, GravityMode.ADV_FACE,
                                   GravityMode.ADV_FACES, GravityMode.ADV_EYES,
                                   GravityMode.OCR_TEXT):
        raise ValueSyntaxError(f"gravity {mode.value} takes no qualifier")
    if any(not WORD_RE.fullmatch(q) for q in qualifiers):
        raise ValueSyntaxError("malformed gravity qualifier")
    return Gravity(mode, tuple(qualifiers))


def render_gravity(value: Gravity) -> str:
    return ":".join((value.mode.value, *value.qualifiers))


def parse_zoom(text: str) -> Number:
    return parse_number(text, minimum=0, exclusive_minimum=True)


def parse_dpr(text: str) -> Number | Auto:
    if text == "auto":
        return Auto()
    return parse_number(text, minimum=0, exclusive_minimum=True)


def render_dpr(value: Number | Auto) -> str:
    return render_auto(value) if isinstance(value, Auto) else render_number(value)


# --- colour, border, radius -------------------------------------------------------------------

def parse_background(text: str) -> Color | Auto:
    if text == "auto" or text.startswith("auto:"):
        return parse_auto(text)
    return parse_color(text)


def render_background(value: Color | Auto) -> str:
    return render_auto(value) if isinstance(value, Auto) else render_color(value)


_BORDER_RE: Final = re.compile(r"([0-9]+)px_solid_(.+)")


def parse_border(text: str) -> Border:
    match = _BORDER_RE.fullmatch(text)
    if match is None:
        raise ValueSyntaxError("expected <width>px_solid_<colour>")
    return Border(parse_int(match.group(1), minimum=1), parse_color(match.group(2)))


def render_border(value: Border) -> str:
    return f"{value.width}px_solid_{render_color(value.color)}"


def parse_radius(text: str) -> Radius:
    if text == "max":
        return Radius(is_max=True)
    corners = text.split(":")
    if len(corners) > 4:
        raise ValueSyntaxError("at most 4 corner radii")
    return Radius(tuple(parse_int(corner, minimum=0) for corner in corners))


def render_radius(value: Radius) -> str:
    return "max" if value.is_max else ":".join(str(corner) for corner in value.corners)


# --- effects, flags, quality, formats ---------------------------------------------------------

_EFFECT_WORD_RE: Final = re.compile(r"[A-Za-z0-9_]+")


def parse_effect(text: str) -> Effect:
    name, *raw_args = text.split(":")
    args: list[EffectArg] = []
    for arg in raw_args:
        if is_number(arg):
            args.append(parse_number(arg))
        elif _EFFECT_WORD_RE.fullmatch(arg):
            args.append(arg)
        else:
            raise ValueSyntaxError("malformed effect argument")
    return Effect(_enum_parser(EffectName, "effect")(name), tuple(args))


def render_effect(value: Effect) -> str:
    return ":".join((value.name.value, *(
        arg if isinstance(arg, str) else render_number(arg) for arg in value.args)))


_ATTACHMENT_NAME_RE: Final = re.compile(r"[A-Za-z0-9_\-]+")
_PROGRESSIVE_MODES: Final = frozenset({"semi", "steep", "none"})


def parse_flags(text: str) -> tuple[FlagEntry, ...]:
    entries: list[FlagEntry] = []
    for item in text.split("."):  # `fl_progressive.keep_iptc` (case 64)
        name, colon, argument = item.partition(":")
        flag = _enum_parser(Flag, "flag")(name)
        if any(entry.flag is flag for entry in entries):
            raise ValueSyntaxError(f"flag {name} given twice")
        if not colon:
            entries.append(FlagEntry(flag))
            continue
        if flag is Flag.ATTACHMENT and _ATTACHMENT_NAME_RE.fullmatch(argument):
            entries.append(FlagEntry(flag, argument))  # `fl_attachment:my_photo` (case 63)
        elif flag is Flag.PROGRESSIVE and argument in _PROGRESSIVE_MODES:
            entries.append(FlagEntry(flag, argument))
        else:
            raise ValueSyntaxError(f"malformed argument for flag {name}")
    return tuple(entries)


def render_flags(entries: tuple[FlagEntry, ...]) -> str:
    return ".".join(entry.flag.value if entry.argument is None
                    else f"{entry.flag.value}:{entry.argument}" for entry in entries)


def parse_quality(text: str) -> int | QualityAuto:
    if text in QualityAuto._value2member_map_:
        return QualityAuto(text)
    if INT_RE.fullmatch(text):
        return parse_int(text, minimum=1, maximum=100)
    raise ValueSyntaxError("expected 1-100 or auto[:best|good|eco|low]")


def render_quality(value: int | QualityAuto) -> str:
    return value.value if isinstance(value, QualityAuto) else str(value)


# --- assets and pages -------------------------------------------------------------------------

_DEFAULT_IMAGE_RE: Final = re.compile(r"[A-Za-z0-9_\-]+(?::[A-Za-z0-9_\-]+)*\.[A-Za-z0-9]+")


def parse_default_image(text: str) -> str:
    # A public id *with* extension (case 89); folders are written with `:`.
    if not _DEFAULT_IMAGE_RE.fullmatch(text):
        raise ValueSyntaxError("expected a public id with extension")
    return text.replace(":", "/")


def render_default_image(value: str) -> str:
    return value.replace("/", ":")


_NAME_RE: Final = re.compile(r"[A-Za-z0-9_\-]+")


def parse_named(text: str) -> tuple[str, ...]:
    names = tuple(text.split("."))  # `t_named_a.named_b` (case 96)
    if any(not _NAME_RE.fullmatch(name) for name in names):
        raise ValueSyntaxError("malformed named transformation")
    return names


_PAGE_RE: Final = re.compile(r"([1-9][0-9]*)(?:(-)([1-9][0-9]*)?)?")


def parse_page(text: str) -> tuple[PageRange, ...]:
    pages: list[PageRange] = []
    for item in text.split(";"):
        match = _PAGE_RE.fullmatch(item)
        if match is None:
            raise ValueSyntaxError("expected pages like 2, 2-4, 3- or 2;4")
        first, dash, last = match.groups()
        if last is not None and int(last) < int(first):
            raise ValueSyntaxError("page range ends before it starts")
        pages.append(PageRange(int(first), None if last is None else int(last),
                               open_end=bool(dash) and last is None))
    return tuple(pages)


def render_page(pages: tuple[PageRange, ...]) -> str:
    def one(page: PageRange) -> str:
        if page.last is not None:
            return f"{page.first}-{page.last}"
        return f"{page.first}-" if page.open_end else str(page.first)
    return ";".join(one(page) for page in pages)


def _int_parser(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        return parse_int(text, minimum=minimum, maximum=maximum)
    return parse


# key: (option name, parser, renderer); fields come from ast.PARAM_FIELDS.
_TABLE: Final[dict[str, tuple[str, Callable[[str], Any], Callable[[Any], str]]]] = {
    "a": ("angle", parse_angle, render_angle),
    "ar": ("aspect_ratio", parse_aspect_ratio, render_aspect_ratio),
    "b": ("background", parse_background, render_background),
    "bo": ("border", parse_border, render_border),
    "c": ("crop", _enum_parser(CropMode, "crop mode"), _value),
    "co": ("color", parse_color, render_color),
    "cs": ("color_space", _enum_parser(ColorSpace, "color space"), _value),
    "d": ("default_image", parse_default_image, render_default_image),
    "dl": ("delay", _int_parser(0), str),
    "dn": ("density", _int_parser(1), str),
    "dpr": ("dpr", parse_dpr, render_dpr),
    "e": ("effect", parse_effect, render_effect),
    "f": ("fetch_format", _enum_parser(Format, "format"), _value),
    "fl": ("flags", parse_flags, render_flags),
    "g": ("gravity", parse_gravity, render_gravity),
    "h": ("height", parse_dimension, render_dimension),
    "l": ("overlay", parse_layer, render_layer),
    "o": ("opacity", _int_parser(0, 100), str),
    "pg": ("page", parse_page, render_page),
    "q": ("quality", parse_quality, render_quality),
    "r": ("radius", parse_radius, render_radius),
    "t": ("transformation", parse_named, ".".join),
    "u": ("underlay", parse_layer, render_layer),
    "w": ("width", parse_dimension, render_dimension),
    "x": ("x", parse_offset, render_offset),
    "y": ("y", parse_offset, render_offset),
    "z": ("zoom", parse_zoom, render_number),
}

PARAMS: Final[dict[str, ParamSpec]] = {
    key: ParamSpec(key, PARAM_FIELDS[key], option, parse, render)
    for key, (option, parse, render) in _TABLE.items()
}

# Known Cloudinary keys for video/audio, custom functions and sprites: a URL using them gets a
# precise "not supported" instead of "unknown" (grammar §2.3).
UNSUPPORTED_KEYS: Final = frozenset({"ac", "af", "br", "du", "eo", "so", "sp", "vc", "vs", "fps",
                                     "ki", "fn", "p"})
