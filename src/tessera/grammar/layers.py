"""Overlay/underlay values (`l_…`, `u_…`): image, text and fetch layers (grammar §4.1, §4.3).

`parse_layer` turns the text after `l_` into a typed layer; `render_layer` writes it back.
Canonical text is what the Python SDK writes: image ids raw with `:` between folders, text
escaped twice for `,` `/` and once for every other unsafe byte, `$(var)` kept. A layer parsed
from a differently spelled text (`%20` in an id, an explicit default keyword in a font spec)
keeps that text in `literal`, so serialising it gives back the input exactly.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import replace
from typing import Final, TypeVar

from tessera.grammar.ast import (
    DeliveryType,
    FetchLayer,
    FontAntialias,
    FontHinting,
    FontStyle,
    FontWeight,
    Format,
    ImageLayer,
    Layer,
    TextAlign,
    TextDecoration,
    TextLayer,
    TextStyle,
)
from tessera.grammar.lexical import (
    ValueSyntaxError,
    escape_structural,
    parse_int,
    parse_number,
    percent_decode,
    render_number,
    smart_escape,
)

_UNSUPPORTED_PREFIXES: Final = frozenset({"video", "subtitles"})
_TYPE_PREFIXES: Final = frozenset({DeliveryType.PRIVATE.value, DeliveryType.AUTHENTICATED.value})
_LAYER_FORMATS: Final = frozenset(f.value for f in Format if f is not Format.AUTO)
_CONTROL_RE: Final = re.compile(r"[\x00-\x1f\x7f]")
_BASE64URL_RE: Final = re.compile(r"[A-Za-z0-9_\-]+={0,2}")

# Heuristic of grammar §4.3: `<family>_<integer>[_…]` is a font spec, anything else the public
# id of a saved text style (`sample_text_style`, cases 58-59).
_FONT_SPEC_RE: Final = re.compile(r"([^_]+)_(-?[0-9]+)((?:_.*)?)", re.S)
_NUM: Final = r"-?[0-9]+(?:\.[0-9]+)?"
# Keywords in the SDK's fixed order (case 55); the defaults `normal`/`none` are accepted but
# never written, as the SDK drops them.
_KEYWORDS_RE: Final = re.compile(
    r"(?:_(?P<weight>thin|light|normal|bold))?"
    r"(?:_(?P<style>italic|normal))?"
    r"(?:_(?P<decoration>underline|strikethrough|none))?"
    r"(?:_(?P<align>left|center|right|start|end|justify))?"
    r"(?:_(?P<stroke>stroke|none))?"
    rf"(?:_letter_spacing_(?P<letter>{_NUM}))?"
    rf"(?:_line_spacing_(?P<line>{_NUM}))?"
    r"(?:_antialias_(?P<antialias>none|gray|subpixel|fast|good|best))?"
    r"(?:_hinting_(?P<hinting>none|slight|medium|full))?"
)
# `$(name)` interpolations stay unescaped in text (SDK VAR_NAME_RE).
_TEXT_VARIABLE_RE: Final = re.compile(r"(\$\([a-zA-Z]\w+\))")
_TEXT_INNER_RE: Final = re.compile(rb"[,/]")


def parse_layer(text: str) -> Layer:
    """Parse the value of `l_`/`u_`. Raises ValueSyntaxError."""
    layer = _parse(text)
    if canonical_layer_text(layer) == text:
        return layer
    return _with_literal(layer, text)


def render_layer(layer: Layer) -> str:
    """The layer's URL text: its recorded literal when that still describes it, else canonical."""
    if layer.literal is not None:
        try:
            if _parse(layer.literal) == layer.canonical():
                return layer.literal
        except ValueSyntaxError:
            pass
    return canonical_layer_text(layer)


def canonical_layer_text(layer: Layer) -> str:
    """The SDK's spelling of the layer."""
    if isinstance(layer, TextLayer):
        style = (_render_style(layer.style) if isinstance(layer.style, TextStyle)
                 else escape_structural(layer.style))
        return f"text:{style}:{escape_text(layer.text)}"
    if isinstance(layer, FetchLayer):
        return "fetch:" + base64.urlsafe_b64encode(layer.url.encode("utf-8")).decode("ascii")
    parts = [] if layer.type is DeliveryType.UPLOAD else [layer.type.value]
    segments = [escape_structural(segment) for segment in layer.public_id.split("/")]
    if layer.format is not None:
        segments[-1] += "." + layer.format.value
    return ":".join(parts + segments)


def _with_literal(layer: Layer, text: str) -> Layer:
    if isinstance(layer, TextLayer):
        return replace(layer, literal=text)
    if isinstance(layer, FetchLayer):
        return replace(layer, literal=text)
    return replace(layer, literal=text)


def _parse(text: str) -> Layer:
    if not text:
        raise ValueSyntaxError("empty layer")
    prefix, colon, rest = text.partition(":")
    if colon and prefix == "text":
        return _parse_text_layer(rest)
    if colon and prefix == "fetch":
        return _parse_fetch_layer(rest)
    if colon and prefix in _UNSUPPORTED_PREFIXES:
        raise ValueSyntaxError(f"{prefix} layers are not supported")
    if colon and prefix in _TYPE_PREFIXES:
        return _parse_image_layer(rest, DeliveryType(prefix))
    return _parse_image_layer(text, DeliveryType.UPLOAD)


def _decode_token(raw: str, what: str) -> str:
    decoded = percent_decode(raw)
    if not decoded or _CONTROL_RE.search(decoded):
        raise ValueSyntaxError(f"malformed {what} in layer")
    return decoded


def _parse_image_layer(path: str, delivery_type: DeliveryType) -> ImageLayer:
    # `/` in a layer id is written `:` (case 47: `l_brand:logos:main`).
    segments = [_decode_token(raw, "folder or public id") for raw in path.split(":")]
    head, dot, extension = segments[-1].rpartition(".")
    layer_format = None
    if dot and head and extension in _LAYER_FORMATS:
        layer_format = Format(extension)
        segments[-1] = head
    return ImageLayer("/".join(segments), delivery_type, layer_format)


def _parse_fetch_layer(encoded: str) -> FetchLayer:
    if not _BASE64URL_RE.fullmatch(encoded):
        raise ValueSyntaxError("fetch layer is not base64url")
    unpadded = encoded.rstrip("=")
    try:
        url = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueSyntaxError("fetch layer is not base64url") from None
    if not url or _CONTROL_RE.search(url):
        raise ValueSyntaxError("malformed fetch URL in layer")
    return FetchLayer(url)


def _parse_text_layer(rest: str) -> TextLayer:
    raw_style, colon, raw_text = rest.partition(":")
    if not colon or not raw_style:
        raise ValueSyntaxError("text layer needs '<style>:<text>'")
    if not raw_text:
        raise ValueSyntaxError("text layer has no text")
    # Grammar §4.3: the text is decoded twice (`%252C` -> `,`), invalid escapes stay literal.
    text = percent_decode(percent_decode(raw_text))
    return TextLayer(text, _parse_style(_decode_token(raw_style, "text style")))


def _parse_style(style: str) -> TextStyle | str:
    match = _FONT_SPEC_RE.fullmatch(style)
    if match is None:
        return style
    family, size, keywords = match.groups()
    spec = _KEYWORDS_RE.fullmatch(keywords)
    if spec is None:
        raise ValueSyntaxError(f"unknown text style keywords '{keywords.lstrip('_')}'")
    found = spec.groupdict()
    return TextStyle(
        font_family=family,
        font_size=parse_int(size, minimum=1),
        font_weight=_keyword(FontWeight, found["weight"]),
        font_style=_keyword(FontStyle, found["style"]),
        text_decoration=_keyword(TextDecoration, found["decoration"]),
        text_align=_keyword(TextAlign, found["align"]),
        stroke=found["stroke"] == "stroke",
        letter_spacing=None if found["letter"] is None else parse_number(found["letter"]),
        line_spacing=None if found["line"] is None else parse_number(found["line"]),
        antialias=_keyword(FontAntialias, found["antialias"]),
        hinting=_keyword(FontHinting, found["hinting"]),
    )


_Keyword = TypeVar("_Keyword", FontWeight, FontStyle, TextDecoration, TextAlign, FontAntialias,
                    FontHinting)


def _keyword(kind: type[_Keyword], value: str | None) -> _Keyword | None:
    if value is None or value not in kind._value2member_map_:
        return None  # absent, or the default spelled out (`normal`, `none`)
    return kind(value)


def _render_style(style: TextStyle) -> str:
    words = [escape_structural(style.font_family), str(style.font_size)]
    words.extend(keyword.value for keyword in (style.font_weight, style.font_style,
                                               style.text_decoration, style.text_align)
                 if keyword is not None)
    if style.stroke:
        words.append("stroke")
    if style.letter_spacing is not None:
        words.append("letter_spacing_" + render_number(style.letter_spacing))
    if style.line_spacing is not None:
        words.append("line_spacing_" + render_number(style.line_spacing))
    if style.antialias is not None:
        words.append("antialias_" + style.antialias.value)
    if style.hinting is not None:
        words.append("hinting_" + style.hinting.value)
    return "_".join(words)


def escape_text(text: str) -> str:
    # SDK process_layer: `,` and `/` escaped twice (`%252C`), other unsafe bytes once (case 56).
    parts = []
    for part in _TEXT_VARIABLE_RE.split(text):
        if _TEXT_VARIABLE_RE.fullmatch(part):
            parts.append(part)
        elif part:
            parts.append(smart_escape(smart_escape(part, _TEXT_INNER_RE)))
    return "".join(parts)
