"""The component planner: one component + the size of the image it receives → a
`ComponentPlan` of numbers for every component step (grammar §3.1, §7).

Owns rotations (a_auto_right/left before the resize, angles and mirrors after), effect levels
and their ranges, corner radii, border width, opacity and background, face boxes through all
of them, the decode plan of a source (shrink-on-load, prescale), and what is refused before
anything is decoded (conditions, variables, named transformations, unsupported effects and
flags: GrammarError). Geometry comes from `tessera.render.modes`, layer structure lives in
`tessera.render.layers`. Pure: no pyvips and no pixels; the steps only move pixels.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Final

from tessera.errors import GrammarError
from tessera.grammar.ast import (
    AngleMode,
    Auto,
    Component,
    CropMode,
    DecimalNumber,
    EffectName,
    FetchLayer,
    Flag,
    TextLayer,
)
from tessera.render.geometry import (
    Box,
    Context,
    Geometry,
    Rgba,
    Size,
    color,
    move_faces,
    to_size,
    unsupported,
)
from tessera.render.modes import plan_geometry, requested

WHITE: Final[Rgba] = (255, 255, 255, 255)
TRANSPARENT: Final[Rgba] = (0, 0, 0, 0)


class Flip(enum.Enum):
    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"


Turn = int | Flip  # clockwise degrees in 1..359, or a mirror


# name: (default, minimum, maximum) of the level argument, or None for effects without one
# (§7; ranges and defaults not re-checked against Cloudinary's reference).
EFFECT_LEVELS: Final[dict[EffectName, tuple[float, float, float] | None]] = {
    EffectName.GRAYSCALE: None, EffectName.NEGATE: None,
    EffectName.BLACKWHITE: (50, 0, 100), EffectName.SEPIA: (80, 1, 100),
    EffectName.BLUR: (100, 1, 2000), EffectName.BLUR_REGION: (100, 1, 2000),
    EffectName.BLUR_FACES: (100, 1, 2000), EffectName.PIXELATE: (5, 1, 200),
    EffectName.PIXELATE_REGION: (5, 1, 200), EffectName.PIXELATE_FACES: (5, 1, 200),
    EffectName.SHARPEN: (100, 1, 2000), EffectName.UNSHARP_MASK: (100, 1, 2000),
    EffectName.BRIGHTNESS: (80, -99, 100), EffectName.CONTRAST: (0, -100, 100),
    EffectName.SATURATION: (80, -100, 100), EffectName.GAMMA: (0, -50, 150),
    EffectName.HUE: (80, -100, 100), EffectName.RED: (0, -100, 100),
    EffectName.GREEN: (0, -100, 100), EffectName.BLUE: (0, -100, 100),
    EffectName.COLORIZE: (100, 0, 100), EffectName.VIGNETTE: (20, 0, 100),
    EffectName.AUTO_BRIGHTNESS: (100, 0, 100), EffectName.AUTO_CONTRAST: (100, 0, 100),
    EffectName.AUTO_COLOR: (100, 0, 100), EffectName.IMPROVE: (100, 0, 100),
}
# Effects that look at one pixel at a time: they keep a sequential decode sequential.
POINT_EFFECTS: Final = frozenset({
    EffectName.GRAYSCALE, EffectName.NEGATE, EffectName.BLACKWHITE, EffectName.SEPIA,
    EffectName.BRIGHTNESS, EffectName.CONTRAST, EffectName.SATURATION, EffectName.GAMMA,
    EffectName.HUE, EffectName.RED, EffectName.GREEN, EffectName.BLUE, EffectName.COLORIZE})
_DISTANCE_EFFECTS: Final = frozenset({  # levels in pixels: DPR scales them (§3)
    EffectName.BLUR, EffectName.BLUR_REGION, EffectName.BLUR_FACES, EffectName.PIXELATE,
    EffectName.PIXELATE_REGION, EffectName.PIXELATE_FACES})
_REGION_EFFECTS: Final = frozenset({EffectName.BLUR_REGION, EffectName.PIXELATE_REGION})
_FACE_EFFECTS: Final = frozenset({EffectName.BLUR_FACES, EffectName.PIXELATE_FACES})
_IMPROVE_MODES: Final = frozenset({"indoor", "outdoor"})
# Blend modes of fl_layer_apply (§4.2), not effects of their own.
BLEND_EFFECTS: Final = frozenset({EffectName.MULTIPLY, EffectName.SCREEN, EffectName.OVERLAY,
                                  EffectName.MASK})
_UNSUPPORTED_FLAGS: Final = frozenset({Flag.GETINFO, Flag.APNG, Flag.CLIP, Flag.SPLICE,
                                       Flag.REGION_RELATIVE})


@dataclass(frozen=True, slots=True)
class EffectPlan:
    name: EffectName
    level: float = 0.0
    regions: tuple[Box, ...] = ()  # *_region, *_faces
    color: Rgba = (0, 0, 0, 255)  # co_, for colorize


@dataclass(frozen=True, slots=True)
class ComponentPlan:
    """What one component does to the image it receives, in step order."""

    pre_turns: tuple[Turn, ...] = ()  # a_auto_right / a_auto_left, before resizing (case 41)
    geometry: Geometry = field(default_factory=Geometry)
    turns: tuple[Turn, ...] = ()
    turn_background: Rgba = TRANSPARENT
    effect: EffectPlan | None = None
    radius: tuple[int, int, int, int] | None = None  # top-left, top-right, bottom-right, -left
    is_ellipse: bool = False  # r_max
    border: tuple[int, Rgba] | None = None
    opacity: float | None = None
    background: Rgba | None = None  # b_<colour>: what is transparent is flattened onto it
    faces: tuple[Box, ...] = ()  # face boxes once the component has run

    @property
    def is_sequential(self) -> bool:
        """Every step reads pixels once, top to bottom, so a sequential decode can feed it
        (libvips refuses out-of-order reads of a sequential JPEG)."""
        g = self.geometry
        return (not self.pre_turns and not self.turns and g.smart_region is None
                and g.smart_window is None and (g.canvas is None or g.canvas.background
                                                is not None)
                and (self.effect is None or self.effect.name in POINT_EFFECTS))


def check_component(component: Component, index: int) -> None:
    """Refuse what this renderer cannot do, naming it (no silent fallbacks)."""
    if component.condition is not None or component.variables:
        raise unsupported(f"conditions and variables (component {index})")
    if component.named:
        raise unsupported(f"named transformation t_{'.'.join(component.named)}")
    if component.overlay is not None and component.underlay is not None:
        raise GrammarError(f"Both l_ and u_ in component {index}", component=index,
                           reason="overlay and underlay")
    for layer in (component.overlay, component.underlay):
        if isinstance(layer, FetchLayer):
            raise unsupported("l_fetch layers")
        if isinstance(layer, TextLayer) and isinstance(layer.style, str):
            raise unsupported(f"saved text style '{layer.style}'")
    for entry in component.flags:
        if entry.flag in _UNSUPPORTED_FLAGS:
            raise unsupported(f"fl_{entry.flag.value}")
    effect = component.effect
    if effect is None:
        return
    is_apply = component.has_flag(Flag.LAYER_APPLY) or component.overlay is not None
    if effect.name in BLEND_EFFECTS and not is_apply:
        raise GrammarError(f"e_{effect.name.value} applies only with a layer (component "
                           f"{index})", component=index, reason="blend without layer")
    if effect.name not in EFFECT_LEVELS and effect.name not in BLEND_EFFECTS:
        raise unsupported(f"e_{effect.name.value}")
    effect_level(component, 1.0)  # validates the arguments


# --- one component ----------------------------------------------------------------------------

def plan_component(component: Component, size: Size, ctx: Context) -> ComponentPlan:
    """The plan of one (non-layer) component for an input of `size`."""
    pre = _auto_turns(component, size, ctx)
    faces = ctx.faces
    if pre:
        faces = turn_faces(faces, size, pre)
        size = Size(size.height, size.width)
    effect_name = component.effect.name if component.effect is not None else None
    if effect_name in _REGION_EFFECTS:
        # e_blur_region: w/h/x/y/g name the region instead of resizing (§7).
        geometry = Geometry(faces=faces)
        cut = plan_geometry(replace(component, crop=CropMode.CROP), size, ctx)
        regions: tuple[Box, ...] = (cut.region or Box(0, 0, size.width, size.height),)
    else:
        geometry = plan_geometry(component, size, replace(ctx, faces=faces))
        regions = ()
    size = geometry.output(size)
    turns = _post_turns(component)
    faces = turn_faces(geometry.faces, size, turns)
    if any(isinstance(t, int) and t % 90 for t in turns):
        faces = ()  # arbitrary angles: faces are no longer boxes
    if effect_name in _FACE_EFFECTS:
        regions = faces
    border = None
    if component.border is not None:
        width = to_size(component.border.width * ctx.dpr)
        border = (width, color(component.border.color))
        faces = move_faces(faces, width, width)
    background = None if component.background is None or isinstance(
        component.background, Auto) else color(component.background)
    return ComponentPlan(
        pre_turns=pre, geometry=geometry, turns=turns,
        turn_background=background or (TRANSPARENT if ctx.keeps_alpha else WHITE),
        effect=None if effect_name is None or effect_name in BLEND_EFFECTS else EffectPlan(
            effect_name, effect_level(component, ctx.dpr), regions,
            color(component.color) if component.color is not None else (0, 0, 0, 255)),
        radius=_corners(component, ctx.dpr),
        is_ellipse=component.radius is not None and component.radius.is_max,
        border=border,
        opacity=None if component.opacity is None else component.opacity / 100,
        background=background, faces=faces)


def _auto_turns(component: Component, size: Size, ctx: Context) -> tuple[Turn, ...]:
    # a_auto_right/left turn only when the requested orientation differs from the image's
    # (§3.1); they come before the resize so c_fill sees the turned image (case 41).
    modes = [a for a in component.angle if a in (AngleMode.AUTO_RIGHT, AngleMode.AUTO_LEFT)]
    if not modes:
        return ()
    w, h = requested(component, size, ctx)
    if w is None or h is None or w == h or size.width == size.height:
        return ()
    if (w > h) == (size.width > size.height):
        return ()
    return (90,) if modes[0] is AngleMode.AUTO_RIGHT else (270,)


def _post_turns(component: Component) -> tuple[Turn, ...]:
    turns: list[Turn] = []
    for item in component.angle:  # left to right: `a_vflip.45` (case 45)
        if isinstance(item, int):
            if item % 360:
                turns.append(item % 360)
        elif item is AngleMode.HFLIP:
            turns.append(Flip.HORIZONTAL)
        elif item is AngleMode.VFLIP:
            turns.append(Flip.VERTICAL)
    return tuple(turns)


def turn_faces(faces: tuple[Box, ...], size: Size, turns: tuple[Turn, ...]) -> tuple[Box, ...]:
    """Face boxes after quarter turns and mirrors; boxes do not survive other angles."""
    for turn in turns:
        w, h = size.width, size.height
        if turn == 90:
            faces = tuple(Box(h - f.top - f.height, f.left, f.height, f.width) for f in faces)
        elif turn == 180:
            faces = tuple(Box(w - f.left - f.width, h - f.top - f.height, f.width, f.height)
                          for f in faces)
        elif turn == 270:
            faces = tuple(Box(f.top, w - f.left - f.width, f.height, f.width) for f in faces)
        elif turn is Flip.HORIZONTAL:
            faces = tuple(Box(w - f.left - f.width, f.top, f.width, f.height) for f in faces)
        elif turn is Flip.VERTICAL:
            faces = tuple(Box(f.left, h - f.top - f.height, f.width, f.height) for f in faces)
        else:
            return ()
        if turn in (90, 270):
            size = Size(h, w)
    return faces


def effect_level(component: Component, dpr: float) -> float:
    """The effect's level: its first numeric argument or the default, range-checked."""
    effect = component.effect
    assert effect is not None
    limits = EFFECT_LEVELS.get(effect.name)
    args = list(effect.args)
    if effect.name is EffectName.IMPROVE and args and args[0] in _IMPROVE_MODES:
        args.pop(0)  # e_improve:outdoor[:blend]
    if limits is None:
        if args:
            raise GrammarError(f"e_{effect.name.value} takes no argument", reason="bad effect")
        return 0.0
    default, low, high = limits
    if not args:
        level = default
    elif isinstance(args[0], str):
        raise GrammarError(f"Invalid argument for e_{effect.name.value}", reason="bad effect")
    else:
        level = float(args[0]) if isinstance(args[0], int) else args[0].value
    if not low <= level <= high:
        raise GrammarError(f"e_{effect.name.value} level must be {low:g} to {high:g}",
                           reason="effect level out of range")
    return level * dpr if effect.name in _DISTANCE_EFFECTS else level


def _corners(component: Component, dpr: float) -> tuple[int, int, int, int] | None:
    # r_a:b[:c[:d]]: TL TR BR BL; two values TL+BR / TR+BL; three TL / TR+BL / BR (§7).
    radius = component.radius
    if radius is None or radius.is_max:
        return None
    r = [round(c * dpr) for c in radius.corners]
    if len(r) == 1:
        return (r[0], r[0], r[0], r[0])
    if len(r) == 2:
        return (r[0], r[1], r[0], r[1])
    if len(r) == 3:
        return (r[0], r[1], r[2], r[1])
    return (r[0], r[1], r[2], r[3])


# --- decode -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SourcePlan:
    """How to decode and prepare a source before its first component."""

    page: int = 0  # first frame, 0-based (pg_ is 1-based)
    frames: int = 1  # frames to decode from `page`; -1: all the rest
    shrink: int = 1  # decoder shrink (JPEG DCT scaling, WebP scale)
    prescale: Size | None = None  # first component's scale, in decoded orientation
    orientation: int = 1  # EXIF orientation still to apply (1: none; a_ignore gives 1)
    to_srgb: bool = True  # False under cs_copy: keep the pixels and their profile


SHRINK_FORMATS: Final = frozenset({"jpg", "webp"})


def shrink_on_load(fmt: str, size: Size, geometry: Geometry) -> int:
    """The decoder's shrink factor for a first component that starts by scaling: the largest
    JPEG DCT / WebP step (1/2, 1/4, 1/8) that still decodes at least the target size, as
    sharp's fast shrink-on-load and thumbor do. libvips' own thumbnail keeps a factor of two
    for the final resize instead; the lanczos reduce after DCT scaling keeps the result within
    the goldens' tolerance, and a 24 MP fit decodes about twice as fast."""
    if fmt not in SHRINK_FORMATS or not geometry.is_scale_first or geometry.scale_to is None:
        return 1
    factor = min(size.width / geometry.scale_to.width, size.height / geometry.scale_to.height)
    return 8 if factor >= 8 else 4 if factor >= 4 else 2 if factor >= 2 else 1


def dpr_value(value: DecimalNumber | int) -> float:
    return float(value) if isinstance(value, int) else value.value
