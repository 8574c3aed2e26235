"""Angle steps (§3.1): a_auto_right/a_auto_left before the resize, then numeric angles and
mirrors, left to right (`a_vflip.45`, case 45).

Owns turning pixels: quarter turns are exact, other angles rotate clockwise onto the rotated
bounding box with the plan's corner colour (transparent, b_, or white for opaque output),
alpha premultiplied so edges do not darken.
"""

from __future__ import annotations

import pyvips

from tessera.render.geometry import Rgba
from tessera.render.plan import ComponentPlan, Flip, Turn
from tessera.render.steps.alpha import background_for, with_alpha


def turn_before(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    return apply_turns(img, plan.pre_turns, plan.turn_background)


def turn(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    return apply_turns(img, plan.turns, plan.turn_background)


def apply_turns(img: pyvips.Image, turns: tuple[Turn, ...], corner: Rgba) -> pyvips.Image:
    for item in turns:
        if item is Flip.HORIZONTAL:
            img = img.fliphor()
        elif item is Flip.VERTICAL:
            img = img.flipver()
        elif item == 90:
            img = img.rot90()
        elif item == 180:
            img = img.rot180()
        elif item == 270:
            img = img.rot270()
        else:
            img = _rotate(img, float(item), corner)
    return img


def _rotate(img: pyvips.Image, degrees: float, corner: Rgba) -> pyvips.Image:
    if corner[3] < 255:
        img = with_alpha(img)
    if img.hasalpha():
        work = img.premultiply()
        premultiplied = [float(c) * corner[3] / 255 for c in corner[:3]] + [float(corner[3])]
        out = work.rotate(degrees, background=premultiplied).unpremultiply()
    else:
        out = img.rotate(degrees, background=background_for(img, corner))
    return out.cast("uchar").copy(interpretation="srgb")
