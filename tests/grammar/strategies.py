"""Hypothesis strategies: valid ASTs (for round trips) and SDK option dicts (for the oracle)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from tessera.grammar import ast
from tessera.grammar.ast import (
    AngleMode,
    Auto,
    Border,
    ColorSpace,
    Component,
    CropMode,
    DecimalNumber,
    DeliveryType,
    Effect,
    EffectName,
    Expression,
    FetchLayer,
    Flag,
    FlagEntry,
    FontAntialias,
    FontHinting,
    FontStyle,
    FontWeight,
    Format,
    Gravity,
    GravityMode,
    ImageLayer,
    NamedColor,
    PageRange,
    QualityAuto,
    Radius,
    Ratio,
    RgbColor,
    TextAlign,
    TextDecoration,
    TextLayer,
    TextStyle,
    Transformation,
    Variable,
)
from tessera.grammar.lexical import CSS_COLOR_NAMES

COMPASS = [GravityMode(g) for g in ("north_west", "north", "north_east", "west", "center",
                                    "east", "south_west", "south", "south_east", "xy_center")]
RESERVED_FIRST_SEGMENTS = {"text", "fetch", "private", "authenticated", "video", "subtitles"}

positive_ints = st.integers(1, 5000)
signed_ints = st.integers(-2000, 2000)


def decimals(*, signed: bool = False, positive: bool = True) -> st.SearchStrategy[DecimalNumber]:
    text = st.builds(lambda sign, whole, frac: f"{sign}{whole}.{frac}",
                     st.sampled_from(["", "-"] if signed else [""]),
                     st.integers(0, 99).map(str), st.from_regex(r"[0-9]{1,3}", fullmatch=True))
    if positive and not signed:
        text = text.filter(lambda t: float(t) > 0)
    return text.map(DecimalNumber)


operands = st.sampled_from(["iw", "ih", "w", "h", "ar", "fc", "$size", "$w2", "10", "0.5", "-3"])
operators = st.sampled_from(["add", "sub", "mul", "div", "gt", "lt", "eq", "and", "pow"])
expressions = st.builds(lambda a, op, b: Expression(f"{a}_{op}_{b}"), operands, operators, operands)
colors = st.one_of(st.sampled_from(sorted(CSS_COLOR_NAMES)).map(NamedColor),
                   st.from_regex(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8}",
                                 fullmatch=True).map(RgbColor))
autos = st.sampled_from([Auto(), Auto(("100",)), Auto(("50", "400")), Auto(("breakpoints",))])
dimensions = st.one_of(positive_ints, decimals(), autos, expressions)
offsets = st.one_of(signed_ints, decimals(signed=True), expressions)
numbers = st.one_of(positive_ints, decimals())

# Layer ids: anything but `/` `.` and control characters; `%`, `,`, `:` get escaped.
id_segments = st.text(st.characters(codec="utf-8", exclude_characters="/.",
                                    exclude_categories=["Cc", "Cs"]), min_size=1, max_size=8)
layer_ids = st.lists(id_segments, min_size=1, max_size=3).map("/".join)


@st.composite
def image_layers(draw: st.DrawFn) -> ImageLayer:
    delivery_type = draw(st.sampled_from(DeliveryType))
    public_id = draw(layer_ids)
    if delivery_type is DeliveryType.UPLOAD:
        # `l_private:x` is a private layer, not folder "private" (grammar §4.1).
        public_id = draw(layer_ids.filter(
            lambda i: i.split("/")[0] not in RESERVED_FIRST_SEGMENTS))
    layer_format = draw(st.none() | st.sampled_from([f for f in Format if f is not Format.AUTO]))
    return ImageLayer(public_id, delivery_type, layer_format)


def _no_double_escape(text: str) -> bool:
    # `%41` in a text cannot be written: the server decodes text twice (grammar §4.3).
    return all(not (c == "%" and text[i + 1:i + 3].isalnum() and len(text[i + 1:i + 3]) == 2
                    and all(h in "0123456789abcdefABCDEF" for h in text[i + 1:i + 3]))
               for i, c in enumerate(text))


text_styles = st.builds(
    TextStyle,
    font_family=st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,6})?", fullmatch=True),
    font_size=st.integers(1, 300),
    font_weight=st.none() | st.sampled_from(FontWeight),
    font_style=st.none() | st.sampled_from(FontStyle),
    text_decoration=st.none() | st.sampled_from(TextDecoration),
    text_align=st.none() | st.sampled_from(TextAlign),
    stroke=st.booleans(),
    letter_spacing=st.none() | st.integers(-20, 20) | decimals(signed=True),
    line_spacing=st.none() | st.integers(-20, 20),
    antialias=st.none() | st.sampled_from(FontAntialias),
    hinting=st.none() | st.sampled_from(FontHinting),
)
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
                max_size=20).filter(_no_double_escape)
text_layers = st.builds(TextLayer, texts, text_styles | st.from_regex(
    r"[a-z]{1,6}(_[a-z]{1,6}){0,2}", fullmatch=True))
fetch_layers = st.from_regex(r"https://[a-z]{1,10}\.example/[a-z0-9/]{0,12}",
                             fullmatch=True).map(FetchLayer)
layers = st.one_of(image_layers(), text_layers, fetch_layers)


@st.composite
def flag_entries(draw: st.DrawFn) -> tuple[FlagEntry, ...]:
    flags = draw(st.lists(st.sampled_from(Flag), min_size=1, max_size=3, unique=True))
    entries = []
    for flag in flags:
        argument = None
        if flag is Flag.ATTACHMENT:
            argument = draw(st.none() | st.from_regex(r"[A-Za-z0-9_\-]{1,10}", fullmatch=True))
        elif flag is Flag.PROGRESSIVE:
            argument = draw(st.none() | st.sampled_from(["semi", "steep", "none"]))
        entries.append(FlagEntry(flag, argument))
    return tuple(entries)


@st.composite
def gravities(draw: st.DrawFn) -> Gravity:
    if draw(st.booleans()):
        return Gravity(draw(st.sampled_from(COMPASS)))
    mode = draw(st.sampled_from([GravityMode.FACE, GravityMode.FACES, GravityMode.AUTO,
                                 GravityMode.CUSTOM, GravityMode.ADV_EYES]))
    qualifiers = draw(st.lists(st.sampled_from(["center", "face", "subject", "auto"]),
                               max_size=1))
    return Gravity(mode, tuple(qualifiers))


@st.composite
def pages(draw: st.DrawFn) -> PageRange:
    first = draw(st.integers(1, 50))
    kind = draw(st.sampled_from(["one", "range", "open"]))
    if kind == "range":
        return PageRange(first, draw(st.integers(first, 60)))
    return PageRange(first, open_end=kind == "open")


effect_args = st.one_of(signed_ints, decimals(signed=True),
                        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True))
variable_names = st.from_regex(r"[a-z][A-Za-z0-9]{0,5}", fullmatch=True)

FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "condition": expressions | st.sampled_from([Expression("end"), Expression("else")]),
    "variables": st.lists(st.builds(Variable, variable_names, expressions | st.just(
        Expression("200"))), max_size=2, unique_by=lambda v: v.name).map(tuple),
    "angle": st.lists(signed_ints | st.sampled_from(AngleMode), min_size=1, max_size=3)
    .map(tuple),
    "aspect_ratio": st.one_of(st.builds(Ratio, st.integers(1, 32), st.integers(1, 32)),
                              positive_ints, decimals()),
    "background": colors | autos,
    "border": st.builds(Border, st.integers(1, 50), colors),
    "crop": st.sampled_from(CropMode),
    "color": colors,
    "color_space": st.sampled_from(ColorSpace),
    "default_image": st.from_regex(r"([a-z0-9_\-]{1,6}/){0,2}[a-z0-9_\-]{1,8}\.(png|jpg)",
                                   fullmatch=True),
    "delay": st.integers(0, 5000),
    "density": st.integers(1, 600),
    "dpr": numbers | st.just(Auto()),
    "effect": st.builds(Effect, st.sampled_from(EffectName),
                        st.lists(effect_args, max_size=2).map(tuple)),
    "fetch_format": st.sampled_from(Format),
    "flags": flag_entries(),
    "gravity": gravities(),
    "height": dimensions,
    "overlay": layers,
    "opacity": st.integers(0, 100),
    "page": st.lists(pages(), min_size=1, max_size=3).map(tuple),
    "quality": st.integers(1, 100) | st.sampled_from(QualityAuto),
    "radius": st.builds(Radius, st.lists(st.integers(0, 500), min_size=1, max_size=4)
                        .map(tuple)) | st.just(Radius(is_max=True)),
    "named": st.lists(st.from_regex(r"[A-Za-z0-9_\-]{1,10}", fullmatch=True), min_size=1,
                      max_size=3).map(tuple),
    "underlay": layers,
    "width": dimensions,
    "x": offsets,
    "y": offsets,
    "zoom": numbers,
}
assert set(FIELDS) | {"literal_order"} == {f for f in Component.__dataclass_fields__}, \
    "every Component field needs a strategy"

components = st.fixed_dictionaries({}, optional=FIELDS).map(
    lambda values: Component(**values)).filter(lambda c: not c.is_empty)
transformations = st.lists(components, min_size=0, max_size=4).map(
    lambda cs: Transformation(tuple(cs)))


@st.composite
def reordered(draw: st.DrawFn, component: Component) -> Component:
    """The same component with its parameters in a random literal order."""
    order = draw(st.permutations(component.canonical_keys()))
    return Component(**{name: getattr(component, name) for name in FIELDS},
                     literal_order=tuple(order))


# --- SDK option dicts -------------------------------------------------------------------------

sdk_dimension = st.one_of(st.integers(1, 4000), st.sampled_from([0.25, 0.5, 0.75, 1.5, 2.0]),
                          st.sampled_from(["auto", "iw", "ih", "iw_div_2", "initial_width / 2",
                                           "initial_height * 0.5", "$size"]))
sdk_color = st.one_of(st.sampled_from(["red", "blue", "white", "#ffcc00", "#123", "#00ff0080"]))
sdk_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
                   max_size=15).filter(_no_double_escape)
sdk_layer_id = st.from_regex(r"[a-z0-9_\-]{1,8}(/[a-z0-9_\-]{1,8}){0,2}", fullmatch=True).filter(
    lambda i: i.split("/")[0] not in RESERVED_FIRST_SEGMENTS)
sdk_layers = st.one_of(
    sdk_layer_id.map(lambda i: i.replace("/", ":")),
    sdk_layer_id.map(lambda i: "private:" + i.replace("/", ":")),
    st.fixed_dictionaries({"public_id": sdk_layer_id},
                          optional={"type": st.sampled_from(["upload", "private",
                                                             "authenticated"]),
                                    "format": st.sampled_from(["png", "jpg"]),
                                    "resource_type": st.just("image")}),
    st.fixed_dictionaries(
        {"text": sdk_text, "font_family": st.sampled_from(["Arial", "Roboto", "Open Sans"]),
         "font_size": st.integers(1, 120)},
        optional={"font_weight": st.sampled_from(["bold", "normal", "thin"]),
                  "font_style": st.sampled_from(["italic", "normal"]),
                  "text_decoration": st.sampled_from(["underline", "none", "strikethrough"]),
                  "text_align": st.sampled_from(["left", "center", "justify"]),
                  "stroke": st.sampled_from(["stroke", "none"]),
                  "letter_spacing": st.integers(-5, 10), "line_spacing": st.integers(-5, 10),
                  "font_antialiasing": st.sampled_from(["none", "best"]),
                  "font_hinting": st.sampled_from(["full", "slight"])}),
    st.fixed_dictionaries({"text": sdk_text, "text_style": st.sampled_from(["my_style", "s1"])}),
    st.from_regex(r"https://[a-z]{1,8}\.example/[a-z]{0,8}\.png", fullmatch=True).map(
        lambda url: "fetch:" + url),
)
SDK_OPTIONS: dict[str, st.SearchStrategy[Any]] = {
    "width": sdk_dimension,
    "height": sdk_dimension,
    "crop": st.sampled_from([m.value for m in CropMode]),
    "gravity": st.sampled_from(["north", "south_east", "face", "faces:center", "auto", "center"]),
    "x": st.integers(-300, 300) | st.sampled_from([0.1, -0.25]),
    "y": st.integers(-300, 300),
    "zoom": st.sampled_from([0.75, 1.5, 2]),
    "angle": st.integers(-360, 360) | st.lists(
        st.sampled_from(["vflip", "hflip", 45, 90, "auto_right"]), min_size=1, max_size=3),
    "aspect_ratio": st.sampled_from(["16:9", "4:3", 1.5, Fraction(3, 2), Fraction(16, 9)]),
    "background": sdk_color,
    "color": sdk_color,
    "border": st.sampled_from(["5px_solid_red", "2px_solid_rgb:00ff00"]) | st.fixed_dictionaries(
        {}, optional={"width": st.integers(1, 9), "color": sdk_color}),
    "effect": st.sampled_from(["sepia", "blur:300", "saturation:-50", ["blur", 200],
                               {"sharpen": 150}, "improve", ["tint", 50, "red"]]),
    "flags": st.sampled_from(["attachment", "tiled", "attachment:pic"]) | st.lists(
        st.sampled_from(["progressive", "keep_iptc", "lossy", "relative"]), min_size=1,
        max_size=3, unique=True),
    "opacity": st.integers(0, 100),
    "quality": st.integers(1, 100) | st.sampled_from(["auto", "auto:good", "auto:eco"]),
    "dpr": st.sampled_from(["auto", 1.0, 2.0, 2, 1.5]),
    "fetch_format": st.sampled_from(["auto", "webp", "png", "avif"]),
    "radius": st.integers(0, 90) | st.just("max") | st.lists(st.integers(1, 40), min_size=1,
                                                              max_size=4),
    "overlay": sdk_layers,
    "underlay": sdk_layers,
    "page": st.integers(1, 9),
    "density": st.integers(50, 600),
    "default_image": st.sampled_from(["avatar.png", "docs:fallback.jpg"]),
    "color_space": st.sampled_from(["srgb", "no_cmyk"]),
    "delay": st.integers(0, 500),
    "size": st.builds(lambda w, h: f"{w}x{h}", st.integers(1, 900), st.integers(1, 900)),
    "if": st.sampled_from(["w > 100", "ar < 1.0", "fc >= 1 && w < 300", "initial_width > 500"]),
    "$size": st.integers(10, 400),
    "$ratio": st.sampled_from(["iw / ih", 1.5]),
    "variables": st.just([("$first", 2), ("$second", "$first * 3")]),
    "transformation": st.sampled_from(["named_a", ["a", "b"]]),
    "raw_transformation": st.sampled_from(["e_grayscale,o_80", "dpr_auto,q_auto,f_auto",
                                           "fl_layer_apply"]),
    # Keys the SDK (and we) ignore: they must vanish (seed 001).
    "miaim": st.just("hey hey !"),
    "super_plop": st.just("test?"),
    "html_height": st.just(10),
}
_RAW_KEYS = {"e_grayscale,o_80": ("effect", "opacity"), "dpr_auto,q_auto,f_auto": (
    "dpr", "quality", "fetch_format"), "fl_layer_apply": ("flags",)}


def _no_raw_clash(options: dict[str, Any]) -> bool:
    raw = options.get("raw_transformation")
    return raw is None or not any(key in options for key in _RAW_KEYS[raw])


sdk_dicts = st.fixed_dictionaries({}, optional=SDK_OPTIONS).filter(_no_raw_clash)


@st.composite
def sdk_options(draw: st.DrawFn) -> dict[str, Any]:
    """A dict of options, sometimes with a chained `transformation` list of dicts."""
    options = draw(sdk_dicts)
    if draw(st.booleans()):
        options["transformation"] = draw(st.lists(sdk_dicts | st.sampled_from(["named_x"]),
                                                  min_size=1, max_size=3))
    return options


__all__ = ["ast", "components", "reordered", "sdk_options", "transformations"]
