"""Render arithmetic for sizes and positions: the value types, numbers and gravity (grammar §3).

Owns the plain types every plan uses (sizes, boxes, canvases, a component's `Geometry`),
resolving relative, DPR, w_auto and expression values, colours, the gravity and offset rule of
§3.3 and moving face boxes. Pure: no pyvips, no pixels. The crop modes themselves are in
`tessera.render.modes`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from PIL import ImageColor

from tessera.errors import GrammarError
from tessera.grammar.ast import (
    AspectRatio,
    Auto,
    Color,
    DecimalNumber,
    Dimension,
    Expression,
    Gravity,
    GravityMode,
    NamedColor,
    Offset,
    Ratio,
)

Rgba = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Size:
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Context:
    """Request-wide values, and face boxes in the coordinates of the image being planned."""

    dpr: float = 1.0
    width_hint: int | None = None  # Sec-CH-Width, for w_auto
    faces: tuple[Box, ...] = ()
    keeps_alpha: bool = False  # the output format has alpha: pads default to transparent
    relative_to: Size | None = None  # fl_relative: the base a layer's decimals refer to


@dataclass(frozen=True, slots=True)
class Canvas:
    """Extend the image to `size` with its top-left at (left, top) (pad modes)."""

    size: Size
    left: int
    top: int
    background: Rgba | None  # None: b_auto, the colour of the image's own edges


@dataclass(frozen=True, slots=True)
class Geometry:
    """One component's cut/scale/extend, in step order. `region` is in the input's
    coordinates, `window` in the scaled image's; `faces` are where the faces end up."""

    region: Box | None = None  # c_crop, c_thumb: cut from the unscaled input
    smart_region: Size | None = None  # c_crop,g_auto: libvips attention picks the place
    scale_to: Size | None = None
    window: Box | None = None  # c_fill, c_lfill: cut from the scaled image
    smart_window: Size | None = None  # c_fill,g_auto
    canvas: Canvas | None = None
    faces: tuple[Box, ...] = ()

    @property
    def is_scale_first(self) -> bool:
        """The geometry starts with a plain scale: the source may be decoded shrunk and scaled
        before it is oriented (scaling commutes with the EXIF turns, §11.10)."""
        return self.scale_to is not None and self.region is None and self.smart_region is None

    def output(self, size: Size) -> Size:
        """Size of the image after this geometry, given the input size."""
        if self.canvas is not None:
            return self.canvas.size
        if self.window is not None:
            return Size(self.window.width, self.window.height)
        if self.smart_window is not None:
            return self.smart_window
        if self.scale_to is not None:
            return self.scale_to
        if self.region is not None:
            return Size(self.region.width, self.region.height)
        return self.smart_region or size


# --- numbers ----------------------------------------------------------------------------------

def to_int(value: float) -> int:
    """Round half up (§3: round to nearest; the exact tie rule is unverified)."""
    return math.floor(value + 0.5)


def to_size(value: float) -> int:
    return max(1, to_int(value))


def unsupported(what: str) -> GrammarError:
    return GrammarError(f"Unsupported transformation: {what}", reason="unsupported")


_Operator = Callable[[float, float], float]
_OPERATORS: Final[dict[str, tuple[int, _Operator]]] = {
    "add": (1, float.__add__), "sub": (1, float.__sub__), "mul": (2, float.__mul__),
    "div": (2, float.__truediv__), "mod": (2, float.__mod__), "pow": (3, float.__pow__)}


def evaluate(expression: Expression, size: Size) -> float:
    """Arithmetic over numbers and `iw ih iar` (of the input) with the usual precedence.
    Variables, conditions and values that need account data raise GrammarError."""
    known = {"iw": float(size.width), "ih": float(size.height),
             "iar": size.width / size.height}
    values: list[float] = []
    operators: list[str] = []

    def reduce_while(precedence: int) -> None:
        while operators and _OPERATORS[operators[-1]][0] >= precedence:
            right, left = values.pop(), values.pop()
            try:
                values.append(_OPERATORS[operators.pop()][1](left, right))
            except (ZeroDivisionError, OverflowError):
                raise unsupported(f"expression '{expression.text}' has no value") from None

    for index, token in enumerate(expression.text.split("_")):
        if index % 2:
            if token not in _OPERATORS:
                raise unsupported(f"operator '{token}' in expression '{expression.text}'")
            reduce_while(_OPERATORS[token][0])
            operators.append(token)
        elif token in known:
            values.append(known[token])
        else:
            try:
                values.append(float(token))
            except ValueError:
                raise unsupported(f"'{token}' in expression '{expression.text}'") from None
    reduce_while(0)
    return values[0]


def auto_width(value: Auto, width_hint: int | None) -> int | None:
    """`w_auto[:step[:fallback]]` (§6): the client's width rounded up to `step`; without a
    hint the fallback, or None (then the width is absent)."""
    step = int(value.args[0]) if value.args and value.args[0].isdigit() else 1
    step = max(step, 1)
    if width_hint is None:
        fallback = value.args[1] if len(value.args) > 1 else ""
        return int(fallback) if fallback.isdigit() else None
    return max(1, math.ceil(width_hint / step) * step)


def dimension(value: Dimension | None, own: int, size: Size, ctx: Context,
              reference: int | None = None) -> float | None:
    """w_/h_ in output pixels: decimals are fractions of the input side (or of `reference`,
    the base under fl_relative), then DPR multiplies (§3; cases 3, 20, 67)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value * ctx.dpr
    if isinstance(value, DecimalNumber):
        return value.value * (own if reference is None else reference) * ctx.dpr
    if isinstance(value, Auto):
        width = auto_width(value, ctx.width_hint)
        return None if width is None else float(width)
    return evaluate(value, size) * ctx.dpr


def offset(value: Offset | None, container: int, size: Size, ctx: Context) -> float:
    """x_/y_: signed pixels (× DPR), or a fraction of the container (case 21)."""
    if value is None:
        return 0.0
    if isinstance(value, int):
        return value * ctx.dpr
    if isinstance(value, DecimalNumber):
        return value.value * container
    return evaluate(value, size) * ctx.dpr


def color(value: Color) -> Rgba:
    """A CSS name or `rgb:` hex of 3, 4, 6 or 8 digits as RGBA (§2.4)."""
    if isinstance(value, NamedColor):
        r, g, b = ImageColor.getrgb(value.name)[:3]
        return (r, g, b, 255)
    digits = value.hex if len(value.hex) > 4 else "".join(c * 2 for c in value.hex)
    channels = [int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)]
    return (channels[0], channels[1], channels[2], channels[3] if len(channels) == 4 else 255)


def ratio(value: AspectRatio) -> float:
    if isinstance(value, Ratio):
        return value.numerator / value.denominator
    return float(value) if isinstance(value, int) else value.value


# --- gravity (§3.2, §3.3) ---------------------------------------------------------------------

_WEST: Final = frozenset({GravityMode.NORTH_WEST, GravityMode.WEST, GravityMode.SOUTH_WEST})
_EAST: Final = frozenset({GravityMode.NORTH_EAST, GravityMode.EAST, GravityMode.SOUTH_EAST})
_NORTH: Final = frozenset({GravityMode.NORTH_WEST, GravityMode.NORTH, GravityMode.NORTH_EAST})
_SOUTH: Final = frozenset({GravityMode.SOUTH_WEST, GravityMode.SOUTH, GravityMode.SOUTH_EAST})
FACE_GRAVITIES: Final = frozenset({GravityMode.FACE, GravityMode.FACES, GravityMode.ADV_FACE,
                                   GravityMode.ADV_FACES, GravityMode.ADV_EYES})


def place(container: Size, obj: Size, gravity: Gravity | None, x: float, y: float,
          faces: tuple[Box, ...] = ()) -> tuple[int, int]:
    """Top-left of `obj` in `container`: the one offset rule of §3.3 for crops and layers.
    Offsets point into the image from the anchored edge; `xy_center` centres on (x, y); face
    gravities centre on the face box and fall back to the centre without faces (unverified),
    as `custom`, `ocr_text` and `auto` do here (no data for them; callers smart-crop)."""
    mode = GravityMode.CENTER if gravity is None else gravity.mode
    if mode is GravityMode.XY_CENTER:
        return to_int(x - obj.width / 2), to_int(y - obj.height / 2)
    box = face_box(faces, mode)
    if box is not None:
        return (to_int(box.left + box.width / 2 - obj.width / 2),
                to_int(box.top + box.height / 2 - obj.height / 2))
    if mode in _WEST:
        left = x
    elif mode in _EAST:
        left = container.width - obj.width - x
    else:  # centre column; floor, as seed 000's arithmetic (centre rounding is unverified)
        left = (container.width - obj.width) // 2 + x
    if mode in _NORTH:
        top = y
    elif mode in _SOUTH:
        top = container.height - obj.height - y
    else:
        top = (container.height - obj.height) // 2 + y
    return to_int(left), to_int(top)


def face_box(faces: tuple[Box, ...], mode: GravityMode) -> Box | None:
    """`face`: the largest face; `faces`: the box around all of them (§3.2)."""
    if not faces or mode not in FACE_GRAVITIES:
        return None
    if mode is not GravityMode.FACES and mode is not GravityMode.ADV_FACES:
        return max(faces, key=lambda f: f.width * f.height)
    left, top = min(f.left for f in faces), min(f.top for f in faces)
    right = max(f.left + f.width for f in faces)
    bottom = max(f.top + f.height for f in faces)
    return Box(left, top, right - left, bottom - top)


def clamp_box(left: int, top: int, obj: Size, container: Size) -> Box:
    """Move a window inside the container, shrinking it only where it is larger."""
    width, height = min(obj.width, container.width), min(obj.height, container.height)
    return Box(max(0, min(left, container.width - width)),
               max(0, min(top, container.height - height)), width, height)


def intersect(left: int, top: int, obj: Size, container: Size) -> Box:
    """The part of a region inside the container (c_crop with offsets past an edge)."""
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(container.width, left + obj.width), min(container.height, top + obj.height)
    if x1 <= x0 or y1 <= y0:
        raise GrammarError("Crop region lies outside the image", reason="empty crop")
    return Box(x0, y0, x1 - x0, y1 - y0)


def move_faces(faces: tuple[Box, ...], dx: float, dy: float, sx: float = 1.0,
               sy: float = 1.0) -> tuple[Box, ...]:
    """Faces after a shift by (dx, dy), then a scale by (sx, sy)."""
    return tuple(Box(to_int((f.left + dx) * sx), to_int((f.top + dy) * sy),
                     to_size(f.width * sx), to_size(f.height * sy)) for f in faces)
