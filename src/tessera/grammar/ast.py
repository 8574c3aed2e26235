"""The typed AST of a Cloudinary transformation: frozen, slotted dataclasses and enums.

A `Transformation` is a tuple of `Component`s (the `/`-separated steps); a `Component` holds one
typed field per URL parameter (`c_`, `w_`, `l_`, …, grammar §2.3). Nothing below the parser sees
the URL string. This module owns the shape only: it imports nothing from Tessera but its own
vocabulary, leaves value validation to `tessera.grammar.parse` (only a decimal literal checks its
spelling, since serialisation writes it verbatim), and never renders pixels.

Literal information: `Component.literal_order` keeps the order of parameters when the URL text
was not in SDK order (seeds: `dpr_auto,q_auto,f_auto`), and layers keep `literal` when their text
was spelled differently from the SDK's canonical form (e.g. `%20` in a font name). Both are empty
for canonical input, so `==` means "same URL text" and `canonical()` drops them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Final

from tessera.grammar.vocabulary import (
    AngleMode,
    ColorSpace,
    CropMode,
    DeliveryType,
    EffectName,
    Flag,
    FontAntialias,
    FontHinting,
    FontStyle,
    FontWeight,
    Format,
    GravityMode,
    QualityAuto,
    TextAlign,
    TextDecoration,
)

__all__ = [
    "AngleMode", "AspectRatio", "Auto", "Border", "CONDITION_KEY", "Color", "ColorSpace",
    "Component", "CropMode", "DecimalNumber", "DeliveryType", "Dimension", "Effect",
    "EffectArg", "EffectName", "Expression", "FetchLayer", "Flag", "FlagEntry", "FontAntialias",
    "FontHinting", "FontStyle", "FontWeight", "Format", "Gravity", "GravityMode", "ImageLayer",
    "Layer", "NamedColor", "Number", "Offset", "PARAM_FIELDS", "PageRange", "QualityAuto",
    "Radius", "Ratio", "RgbColor", "TextAlign", "TextDecoration", "TextLayer", "TextStyle",
    "Transformation", "Variable",
]


_DECIMAL_RE: Final = re.compile(r"-?[0-9]+\.[0-9]+")


@dataclass(frozen=True, slots=True)
class DecimalNumber:
    """A decimal literal kept as written (`0.5`, `2.0`): `w_0.5` is relative, `w_1` is pixels,
    and `dpr_2.0` must come back as `2.0` (case 67), so the spelling is the value."""

    text: str

    def __post_init__(self) -> None:
        if not _DECIMAL_RE.fullmatch(self.text):
            raise ValueError(f"not a decimal literal: {self.text!r}")

    @property
    def value(self) -> float:
        return float(self.text)


Number = int | DecimalNumber


@dataclass(frozen=True, slots=True)
class Expression:
    """An arithmetic/conditional expression in URL form (`iw_div_2`, `w_gt_100`, `$size`)."""

    text: str


@dataclass(frozen=True, slots=True)
class Auto:
    """`auto[:arg…]` for w/h (`w_auto:100`), `dpr_auto` and `b_auto[:mode]`."""

    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NamedColor:
    """A CSS colour name (`red`)."""

    name: str


@dataclass(frozen=True, slots=True)
class RgbColor:
    """`rgb:<hex>` with 3, 4, 6 or 8 hex digits, case kept as written."""

    hex: str


Color = NamedColor | RgbColor
Dimension = int | DecimalNumber | Auto | Expression
Offset = int | DecimalNumber | Expression


@dataclass(frozen=True, slots=True)
class Ratio:
    """`ar_16:9`."""

    numerator: int
    denominator: int


AspectRatio = Ratio | int | DecimalNumber


@dataclass(frozen=True, slots=True)
class Border:
    """`bo_<width>px_solid_<colour>` (the only style Cloudinary has)."""

    width: int
    color: Color


EffectArg = int | DecimalNumber | str


@dataclass(frozen=True, slots=True)
class Effect:
    """`e_<name>[:<arg>…]`, e.g. `e_blur:300` (case 71)."""

    name: EffectName
    args: tuple[EffectArg, ...] = ()


@dataclass(frozen=True, slots=True)
class FlagEntry:
    """One `.`-joined item of `fl_`; only `attachment` and `progressive` take an argument."""

    flag: Flag
    argument: str | None = None


@dataclass(frozen=True, slots=True)
class Gravity:
    """`g_<mode>[:<qualifier>…]` (`g_faces:center`, `g_auto:subject`)."""

    mode: GravityMode
    qualifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Radius:
    """`r_max` or 1-4 `:`-separated corner radii in pixels (case 84)."""

    corners: tuple[int, ...] = ()
    is_max: bool = False


@dataclass(frozen=True, slots=True)
class PageRange:
    """One `;`-separated item of `pg_`: `2`, `2-4` or the open range `3-`."""

    first: int
    last: int | None = None
    open_end: bool = False


@dataclass(frozen=True, slots=True)
class Variable:
    """`$<name>_<value>`; `name` is without the `$`."""

    name: str
    value: Expression


@dataclass(frozen=True, slots=True)
class TextStyle:
    """`<family>_<size>[_keyword…]` of a text layer, keywords in the SDK's fixed order (case 55)."""

    font_family: str
    font_size: int
    font_weight: FontWeight | None = None
    font_style: FontStyle | None = None
    text_decoration: TextDecoration | None = None
    text_align: TextAlign | None = None
    stroke: bool = False
    letter_spacing: Number | None = None
    line_spacing: Number | None = None
    antialias: FontAntialias | None = None
    hinting: FontHinting | None = None


@dataclass(frozen=True, slots=True)
class ImageLayer:
    """`l_[private:|authenticated:]<folder>:<id>[.<ext>]`; `public_id` uses `/` for folders."""

    public_id: str
    type: DeliveryType = DeliveryType.UPLOAD
    format: Format | None = None
    literal: str | None = None

    def canonical(self) -> ImageLayer:
        return replace(self, literal=None)


@dataclass(frozen=True, slots=True)
class TextLayer:
    """`l_text:<style>:<text>`; `style` is a font spec or the public id of a saved text style,
    `text` is the decoded text (escapes removed twice, grammar §4.3)."""

    text: str
    style: TextStyle | str
    literal: str | None = None

    def canonical(self) -> TextLayer:
        return replace(self, literal=None)


@dataclass(frozen=True, slots=True)
class FetchLayer:
    """`l_fetch:<base64url(url)>`: a remote image."""

    url: str
    literal: str | None = None

    def canonical(self) -> FetchLayer:
        return replace(self, literal=None)


Layer = ImageLayer | TextLayer | FetchLayer

# URL key -> Component field, in the SDK's canonical order (sorted rendered strings; keys are
# unique inside a component, so this equals sorting by key + "_", grammar §2.2 step 2).
PARAM_FIELDS: Final[dict[str, str]] = {
    "a": "angle",
    "ar": "aspect_ratio",
    "b": "background",
    "bo": "border",
    "c": "crop",
    "co": "color",
    "cs": "color_space",
    "d": "default_image",
    "dl": "delay",
    "dn": "density",
    "dpr": "dpr",
    "e": "effect",
    "f": "fetch_format",
    "fl": "flags",
    "g": "gravity",
    "h": "height",
    "l": "overlay",
    "o": "opacity",
    "pg": "page",
    "q": "quality",
    "r": "radius",
    "t": "named",
    "u": "underlay",
    "w": "width",
    "x": "x",
    "y": "y",
    "z": "zoom",
}
CONDITION_KEY: Final = "if"


def _is_set(value: object) -> bool:
    return value is not None and value != ()


@dataclass(frozen=True, slots=True, repr=False)
class Component:
    """One `/`-separated step: every parameter is a qualifier of the same step (grammar §2.1).

    Tuple fields are empty when absent. `default_image` is a public id with extension, `named`
    holds `t_` names, `page` the `pg_` items. `literal_order` lists the keys (`if`, `$name`,
    `w`, …) in the order the URL text had them, and is `()` when that order was canonical.
    """

    condition: Expression | None = None
    variables: tuple[Variable, ...] = ()
    angle: tuple[int | AngleMode, ...] = ()
    aspect_ratio: AspectRatio | None = None
    background: Color | Auto | None = None
    border: Border | None = None
    crop: CropMode | None = None
    color: Color | None = None
    color_space: ColorSpace | None = None
    default_image: str | None = None
    delay: int | None = None
    density: int | None = None
    dpr: Number | Auto | None = None
    effect: Effect | None = None
    fetch_format: Format | None = None
    flags: tuple[FlagEntry, ...] = ()
    gravity: Gravity | None = None
    height: Dimension | None = None
    overlay: Layer | None = None
    opacity: int | None = None
    page: tuple[PageRange, ...] = ()
    quality: int | QualityAuto | None = None
    radius: Radius | None = None
    named: tuple[str, ...] = ()
    underlay: Layer | None = None
    width: Dimension | None = None
    x: Offset | None = None
    y: Offset | None = None
    zoom: Number | None = None
    literal_order: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Normalise the recorded order so equal URL texts give equal ASTs: keep the present
        # keys in their literal order, append keys added later (dataclasses.replace) in
        # canonical order, and forget the order entirely when it is the canonical one.
        if not self.literal_order:
            return
        canonical = self.canonical_keys()
        present = set(canonical)
        seen: set[str] = set()
        order: list[str] = []
        for key in self.literal_order:
            if key in present and key not in seen:
                seen.add(key)
                order.append(key)
        order.extend(key for key in canonical if key not in seen)
        # Variables may refer to earlier ones, so their relative order is the tuple's; the
        # literal order only says where they sit among the other keys.
        variable_keys = iter(["$" + variable.name for variable in self.variables])
        order = [next(variable_keys) if key[0] == "$" else key for key in order]
        normalised = () if order == list(canonical) else tuple(order)
        object.__setattr__(self, "literal_order", normalised)

    def __repr__(self) -> str:
        # Only the parameters that are set: a full repr of 30 fields hides the interesting ones.
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                          if _is_set(getattr(self, f.name)))
        return f"Component({shown})"

    def canonical_keys(self) -> tuple[str, ...]:
        """Keys present, in SDK order: `if`, variables (in their own order), sorted params."""
        keys: list[str] = []
        if self.condition is not None:
            keys.append(CONDITION_KEY)
        keys.extend("$" + variable.name for variable in self.variables)
        keys.extend(key for key, name in PARAM_FIELDS.items() if _is_set(getattr(self, name)))
        return tuple(keys)

    def keys(self) -> tuple[str, ...]:
        """Keys in serialisation order: the literal order if recorded, else canonical."""
        return self.literal_order or self.canonical_keys()

    @property
    def is_empty(self) -> bool:
        return not self.canonical_keys()

    @property
    def flag_set(self) -> frozenset[Flag]:
        return frozenset(entry.flag for entry in self.flags)

    def has_flag(self, flag: Flag) -> bool:
        return any(entry.flag is flag for entry in self.flags)

    def flag_argument(self, flag: Flag) -> str | None:
        """The `:`-argument of `flag` (`fl_attachment:name`), or None."""
        for entry in self.flags:
            if entry.flag is flag:
                return entry.argument
        return None

    def canonical(self) -> Component:
        """This component without literal order or layer spellings (cache keys)."""
        return replace(
            self,
            literal_order=(),
            overlay=self.overlay.canonical() if self.overlay is not None else None,
            underlay=self.underlay.canonical() if self.underlay is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Transformation:
    """A chain of components, applied left to right (grammar §2.1)."""

    components: tuple[Component, ...] = ()

    def __post_init__(self) -> None:
        for index, component in enumerate(self.components, start=1):
            if component.is_empty:
                raise ValueError(f"component {index} is empty")

    def __iter__(self) -> Iterator[Component]:
        return iter(self.components)

    def __len__(self) -> int:
        return len(self.components)

    def canonical(self) -> Transformation:
        """The same steps in SDK-canonical spelling: what cache keys and URL building use."""
        return Transformation(tuple(component.canonical() for component in self.components))
