"""SDK option spelling -> URL parameter text: the conversions of the Python SDK's
`generate_transformation_string` (grammar §2.2), re-implemented so tokens and code can be
turned into exactly the text the SDK would put in a URL.

This module only produces text (`("w", "width", "300")`); `parse.from_options` parses that
text into the AST, so every value passes the same validation as a URL. Unknown option keys
are ignored here as the SDK ignores them (seed 001: `miaim`, `super_plop`); values the SDK
could not render, and video/audio options, raise `OptionError`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Final

from tessera.grammar.layers import escape_text


class OptionError(ValueError):
    """A known option whose value cannot be rendered; `option` names it."""

    def __init__(self, option: str, reason: str) -> None:
        super().__init__(reason)
        self.option = option
        self.reason = reason


# Options rendered as `str(value)` without conversion (SDK _SIMPLE_TRANSFORMATION_PARAMS).
_SIMPLE: Final = {"cs": "color_space", "d": "default_image", "dl": "delay", "dn": "density",
                  "f": "fetch_format", "g": "gravity", "pg": "page"}
# Options passed through normalize_expression.
_EXPRESSIONS: Final = {"dpr": "dpr", "h": "height", "o": "opacity", "q": "quality", "w": "width",
                       "x": "x", "y": "y", "z": "zoom"}
UNSUPPORTED_OPTIONS: Final = frozenset({
    "audio_codec", "audio_frequency", "bit_rate", "streaming_profile", "video_sampling",
    "video_codec", "duration", "start_offset", "end_offset", "offset", "fps",
    "keyframe_interval", "custom_function", "custom_pre_function", "prefix"})

# --- normalize_expression (SDK utils.py, same tables and regular expression) ------------------

_IF_OPERATORS: Final = {"=": "eq", "!=": "ne", "<": "lt", ">": "gt", "<=": "lte", ">=": "gte",
                        "&&": "and", "||": "or", "*": "mul", "/": "div", "+": "add", "-": "sub",
                        "^": "pow"}
_PREDEFINED_VARS: Final = {
    "aspect_ratio": "ar", "aspectRatio": "ar", "current_page": "cp", "currentPage": "cp",
    "face_count": "fc", "faceCount": "fc", "height": "h", "initial_aspect_ratio": "iar",
    "initialAspectRatio": "iar", "trimmed_aspect_ratio": "tar", "trimmedAspectRatio": "tar",
    "initial_height": "ih", "initialHeight": "ih", "initial_width": "iw", "initialWidth": "iw",
    "page_count": "pc", "pageCount": "pc", "page_x": "px", "pageX": "px", "page_y": "py",
    "pageY": "py", "tags": "tags", "width": "w", "duration": "du", "initial_duration": "idu",
    "initialDuration": "idu", "illustration_score": "ils", "illustrationScore": "ils",
    "context": "ctx"}
_REPLACE_RE: Final = re.compile(
    r"((\|\||>=|<=|&&|!=|>|=|<|/|-|\+|\*|\^)(?=[ _])|(\$_*[^_ ]+)|(?<![\$:])("
    + "|".join(_PREDEFINED_VARS) + "))")


def normalize_expression(expression: Any) -> Any:
    """SDK rule: operators followed by a space become words, long variable names short ones,
    runs of spaces/underscores one `_`; quoted `!…!` strings and falsy values are unchanged."""
    if re.match(r"^!.+!$", str(expression)):
        return expression
    if not expression:
        return expression

    def translate(match: re.Match[str]) -> str:
        name = match.group(0)
        return _IF_OPERATORS.get(name, _PREDEFINED_VARS.get(name, name))

    return re.sub("[ _]+", "_", _REPLACE_RE.sub(translate, str(expression)))


def _is_emitted(value: Any) -> bool:
    # SDK: `value or value == 0` keeps 0 (`x_0`) and drops None, "" and empty lists.
    return bool(value) or value == 0


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [] if value is None else [value]


def _hex_to_rgb(option: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if not isinstance(value, str):
        raise OptionError(option, "expected a colour string")
    return value.replace("#", "rgb:")  # every `#`, as the Python SDK does (case 14)


def _strings(option: str, values: list[Any]) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise OptionError(option, "expected strings")
    return values


# --- layers (SDK process_layer / __process_text_options) ---------------------------------------

_KEYWORD_OPTIONS: Final = (("font_weight", "normal"), ("font_style", "normal"),
                           ("text_decoration", "none"), ("text_align", None), ("stroke", "none"))


def _text_style(layer: Mapping[str, Any], option: str) -> str | None:
    text_style = str(layer.get("text_style", ""))
    if text_style and not text_style.isspace():
        return text_style
    keywords = [str(layer[name]) for name, default in _KEYWORD_OPTIONS
                if layer.get(name) is not None and layer.get(name) != default]
    for name, prefix in (("letter_spacing", "letter_spacing_"), ("line_spacing", "line_spacing_"),
                         ("font_antialiasing", "antialias_"), ("font_hinting", "hinting_")):
        if layer.get(name) is not None:
            keywords.append(prefix + str(layer[name]))
    family, size = layer.get("font_family"), layer.get("font_size")
    if family is None and size is None and not keywords:
        return None
    if family is None or size is None:
        raise OptionError(option, "text layers need font_family and font_size")
    return "_".join([str(family), str(size), *keywords])


def layer_text(layer: Any, option: str) -> Any:
    """The `l_`/`u_` text the SDK writes for a string or dict layer."""
    if isinstance(layer, str):
        if layer.startswith("fetch:"):
            layer = {"url": layer[len("fetch:"):], "type": "fetch"}
        elif layer.find(":fetch:", 0, 12) != -1:
            kind, _, url = layer.split(":", 2)
            layer = {"url": url, "type": "fetch", "resource_type": kind}
        else:
            return layer  # a raw string is copied as is (cases 48, 59)
    if not isinstance(layer, Mapping):
        return layer
    resource_type: Any = layer.get("resource_type")
    text, delivery_type = layer.get("text"), layer.get("type")
    public_id = layer.get("public_id")
    fetch_url = layer.get("url")
    if text is not None and resource_type is None:
        resource_type = "text"
    if fetch_url and delivery_type is None:
        delivery_type = "fetch"
    if public_id is not None and layer.get("format") is not None:
        public_id = f"{public_id}.{layer['format']}"
    if public_id is None and resource_type != "text" and delivery_type != "fetch":
        raise OptionError(option, "layers need a public_id")
    if public_id is not None and not isinstance(public_id, str):
        raise OptionError(option, "public_id must be a string")
    parts: list[str] = []
    if resource_type is not None and resource_type != "image":
        parts.append(str(resource_type))
    if delivery_type is not None and delivery_type != "upload":
        parts.append(str(delivery_type))
    if resource_type in ("text", "subtitles"):
        style = _text_style(layer, option)
        if style is not None:
            parts.append(style)
        if public_id is not None:
            parts.append(public_id.replace("/", ":"))
        if text is not None:
            parts.append(escape_text(str(text)))
    elif delivery_type == "fetch":
        parts.append(base64.urlsafe_b64encode(str(fetch_url).encode("utf-8")).decode("ascii"))
    else:
        assert public_id is not None  # checked above
        parts.append(public_id.replace("/", ":"))  # folders become `:` (case 47)
    return ":".join(parts)


# --- one component's parameters ---------------------------------------------------------------

def _radius(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        if not 1 <= len(value) <= 4:
            raise OptionError("radius", "expected 1 to 4 corner radii")
        return ":".join(str(normalize_expression(corner)) for corner in value)  # case 84
    return normalize_expression(str(value))


def _effect(value: Any) -> Any:
    if isinstance(value, list):
        value = ":".join(str(item) for item in value)  # ["blur", 200] (case 80)
    elif isinstance(value, Mapping):
        value = ":".join(str(item) for item in next(iter(value.items()), ()))  # first pair only
    return normalize_expression(value)


def _border(value: Any) -> Any:
    if isinstance(value, Mapping):  # case 86
        color = _hex_to_rgb("border", value.get("color", "black"))
        return f"{value.get('width', 2)}px_solid_{color}"
    return value


def param_texts(options: Mapping[str, Any], named: str | None) -> list[tuple[str, str, str]]:
    """`(key, option, text)` for every parameter the SDK would emit from `options`, unsorted.

    `named` is the `t_` value built from a string `transformation` option. Raises OptionError.
    """
    for option in sorted(UNSUPPORTED_OPTIONS):
        if _is_emitted(options.get(option)):
            raise OptionError(option, "video, audio and custom-function options are not "
                                      "supported")
    width, height = options.get("width"), options.get("height")
    size = options.get("size")
    if size:
        dimensions = str(size).split("x")
        if len(dimensions) != 2:
            raise OptionError("size", "expected <width>x<height>")
        width, height = dimensions  # `size: "120x90"` (case 26)
    angle = ".".join(str(item) for item in _as_list(options.get("angle")))  # case 45
    aspect_ratio = options.get("aspect_ratio")
    if isinstance(aspect_ratio, Fraction):
        aspect_ratio = f"{aspect_ratio.numerator}:{aspect_ratio.denominator}"  # case 25
    values: list[tuple[str, str, Any]] = [
        ("a", "angle", normalize_expression(angle)),
        ("ar", "aspect_ratio", normalize_expression(aspect_ratio)),
        ("b", "background", _hex_to_rgb("background", options.get("background"))),
        ("bo", "border", _border(options.get("border"))),
        ("c", "crop", options.get("crop")),
        ("co", "color", _hex_to_rgb("color", options.get("color"))),
        ("e", "effect", _effect(options.get("effect"))),
        ("fl", "flags", ".".join(_strings("flags", _as_list(options.get("flags"))))),
        ("l", "overlay", layer_text(options.get("overlay"), "overlay")),
        ("r", "radius", _radius(options.get("radius"))),
        ("t", "transformation", named),
        ("u", "underlay", layer_text(options.get("underlay"), "underlay")),
    ]
    values += [(key, option, options.get(option)) for key, option in _SIMPLE.items()]
    values += [(key, option, normalize_expression(
        width if option == "width" else height if option == "height" else options.get(option)))
        for key, option in _EXPRESSIONS.items()]
    return [(key, option, str(value)) for key, option, value in values if _is_emitted(value)]


def condition_text(options: Mapping[str, Any]) -> str | None:
    value = normalize_expression(options.get("if"))
    return None if value is None else str(value)


def variable_texts(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`($name, value)` pairs: `$…` keys sorted, then the `variables` list in its order."""
    pairs = sorted((key, str(normalize_expression(str(value))))
                   for key, value in options.items() if key.startswith("$"))
    for item in _as_list(options.get("variables")) if options.get("variables") else []:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise OptionError("variables", "expected (name, value) pairs")
        pairs.append((str(item[0]), str(normalize_expression(str(item[1])))))
    return pairs


def raw_text(options: Mapping[str, Any]) -> str | None:
    raw = options.get("raw_transformation")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise OptionError("raw_transformation", "expected a string")
    return raw
