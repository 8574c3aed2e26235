"""Lexical pieces shared by the parameter parsers: numbers, colours, expressions, escaping.

Parsers here take the text of one value and return an AST value or raise `ValueSyntaxError`
with a short reason; `tessera.grammar.parse` adds the component index and key. Numbers are
accepted only in the spelling they are serialised back to (no `+`, no leading zeros), so every
text that parses also round-trips byte for byte.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Final

from tessera.grammar.ast import Auto, Color, DecimalNumber, Expression, NamedColor, Number, RgbColor


class ValueSyntaxError(ValueError):
    """A value that does not follow the grammar; the message is the public reason."""


INT_RE: Final = re.compile(r"0|-?[1-9][0-9]*")
DECIMAL_RE: Final = re.compile(r"-?[0-9]+\.[0-9]+")
WORD_RE: Final = re.compile(r"[a-z0-9_]+")

# Bytes the SDK's smart_escape leaves alone (grammar §1.1).
_SAFE_RE: Final = re.compile(rb"[^a-zA-Z0-9_.\-/:]+")


def parse_int(text: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer in canonical spelling, optionally bounded."""
    if not INT_RE.fullmatch(text):
        raise ValueSyntaxError("expected an integer")
    value = int(text)
    _check_range(value, minimum, maximum)
    return value


def parse_number(text: str, *, minimum: float | None = None, maximum: float | None = None,
                 exclusive_minimum: bool = False) -> Number:
    """An integer or a decimal literal (`0.5`, `2.0`); the decimal keeps its spelling."""
    number: Number
    if INT_RE.fullmatch(text):
        number = int(text)
        value: float = number
    elif DECIMAL_RE.fullmatch(text):
        number = DecimalNumber(text)
        value = number.value
    else:
        raise ValueSyntaxError("expected a number")
    if exclusive_minimum and minimum is not None and value <= minimum:
        raise ValueSyntaxError(f"must be greater than {minimum:g}")
    _check_range(value, None if exclusive_minimum else minimum, maximum)
    return number


def is_number(text: str) -> bool:
    return bool(INT_RE.fullmatch(text) or DECIMAL_RE.fullmatch(text))


def _check_range(value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ValueSyntaxError(f"must be at least {minimum:g}")
    if maximum is not None and value > maximum:
        raise ValueSyntaxError(f"must be at most {maximum:g}")


def render_number(value: Number) -> str:
    return value.text if isinstance(value, DecimalNumber) else str(value)


def parse_auto(text: str) -> Auto:
    """`auto` or `auto:<arg>[:<arg>…]` with lowercase word arguments."""
    head, _, rest = text.partition(":")
    if head != "auto":
        raise ValueSyntaxError("expected 'auto'")
    args = tuple(rest.split(":")) if rest else ()
    if any(not WORD_RE.fullmatch(arg) for arg in args):
        raise ValueSyntaxError("malformed auto argument")
    return Auto(args)


def render_auto(value: Auto) -> str:
    return ":".join(("auto", *value.args))


# --- colours ----------------------------------------------------------------------------------

_RGB_RE: Final = re.compile(r"rgb:([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")

CSS_COLOR_NAMES: Final = frozenset("""
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet
brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan
darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta
darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen darkslateblue
darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey
dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray
green greenyellow grey honeydew hotpink indianred indigo ivory khaki lavender lavenderblush
lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray
lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray
lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon
mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue
mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin
navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen
paleturquoise palevioletred papayawhip peachpuff peru pink plum powderblue purple
rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen seashell sienna
silver skyblue slateblue slategray slategrey snow springgreen steelblue tan teal thistle
tomato turquoise violet wheat white whitesmoke yellow yellowgreen
""".split())


def parse_color(text: str) -> Color:
    """`rgb:RGB[A]`/`rgb:RRGGBB[AA]` or a CSS colour name; `#` never appears in a URL."""
    match = _RGB_RE.fullmatch(text)
    if match:
        return RgbColor(match.group(1))
    if text in CSS_COLOR_NAMES:
        return NamedColor(text)
    raise ValueSyntaxError("expected a colour name or rgb:<hex>")


def render_color(color: Color) -> str:
    return f"rgb:{color.hex}" if isinstance(color, RgbColor) else color.name


# --- expressions (grammar §2.2) ----------------------------------------------------------------

OPERATORS: Final = frozenset(
    "eq ne lt gt lte gte and or mul div add sub pow mod in nin".split())
PREDEFINED_VARIABLES: Final = frozenset(
    "w h iw ih ar iar tar cp fc pc px py tags du idu ils ctx md".split())
_TOKEN_RE: Final = re.compile(
    r"![^!,/]*!"                        # quoted string: !sale!
    r"|\$[A-Za-z][A-Za-z0-9]*"          # user variable: $size
    r"|-?[0-9]+(?:\.[0-9]+)?"           # number
    r"|[a-z]+(?::![^!,/]*!)?"           # word, or ctx:!key! / md:!key!
)
VARIABLE_NAME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while True:
        match = _TOKEN_RE.match(text, position)
        if match is None or match.end() == position:
            raise ValueSyntaxError("malformed expression")
        tokens.append(match.group())
        position = match.end()
        if position == len(text):
            return tokens
        if text[position] != "_":
            raise ValueSyntaxError("malformed expression")
        position += 1


def _short(token: str) -> str:
    return token if len(token) <= 20 else token[:20] + "…"


def _is_operand(token: str) -> bool:
    if token[0] in "!$" or is_number(token):
        return True
    word, _, quoted = token.partition(":")
    if quoted:
        return word in ("ctx", "md")
    return word in PREDEFINED_VARIABLES


def parse_expression(text: str, *, is_condition: bool = False) -> Expression:
    """An `operand (_operator_ operand)*` expression in normalised URL form (`iw_div_2`).

    Conditions (`if_…`) may also be the bare words `else` and `end`.
    """
    if is_condition and text in ("else", "end"):
        return Expression(text)
    tokens = _tokens(text)
    if len(tokens) % 2 == 0:
        raise ValueSyntaxError("malformed expression")
    for index, token in enumerate(tokens):
        if index % 2:
            if token not in OPERATORS:
                raise ValueSyntaxError(f"unknown operator '{_short(token)}' in expression")
        elif token[0] in "-0123456789" and not is_number(token):
            raise ValueSyntaxError(f"malformed number '{_short(token)}' in expression")
        elif not _is_operand(token):
            raise ValueSyntaxError(f"unknown operand '{_short(token)}' in expression")
    return Expression(text)


# --- escaping ----------------------------------------------------------------------------------

def percent_decode(text: str) -> str:
    """Decode `%XX` escapes once; invalid escapes stay literal (`100%` -> `100%`).

    Raises ValueSyntaxError when the decoded bytes are not UTF-8.
    """
    if "%" not in text:
        return text
    try:
        return urllib.parse.unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise ValueSyntaxError("escaped bytes are not UTF-8") from None


def smart_escape(text: str, unsafe: re.Pattern[bytes] = _SAFE_RE) -> str:
    """The SDK's `smart_escape`: every UTF-8 byte matched by `unsafe` becomes `%XX` (uppercase)."""

    def pack(match: re.Match[bytes]) -> bytes:
        return "".join(f"%{byte:02X}" for byte in match.group()).encode("ascii")

    return unsafe.sub(pack, text.encode("utf-8")).decode("utf-8")


_STRUCTURAL_RE: Final = re.compile(rb"[%,/:]")


def escape_structural(text: str) -> str:
    """Escape only what would break the grammar (`%`, `,`, `/`, `:`); the SDK copies layer
    ids raw (grammar §1.1), so ids without these characters come out exactly as it writes them."""
    return smart_escape(text, _STRUCTURAL_RE)
