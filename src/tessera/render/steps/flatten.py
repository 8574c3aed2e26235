"""Background steps: flatten transparency onto a colour.

`fill_background` runs in every component: a component's `b_<colour>` is the colour behind
whatever that component left transparent (rotation corners, rounded corners, pads, a text
box, §7). `flatten_output` runs once before encoding: an output format without alpha (JPEG)
gets the remaining transparency flattened onto white (§3, §4.2: unverified colour).
"""

from __future__ import annotations

import pyvips

from tessera.render.geometry import Rgba
from tessera.render.plan import WHITE, ComponentPlan
from tessera.render.steps.alpha import solid


def fill_background(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    if plan.background is None or not img.hasalpha():
        return img
    return onto(img, plan.background)


def flatten_output(img: pyvips.Image, keeps_alpha: bool) -> pyvips.Image:
    if keeps_alpha or not img.hasalpha():
        return img
    return onto(img, WHITE)


def onto(img: pyvips.Image, colour: Rgba) -> pyvips.Image:
    """`img` over a solid `colour`; opaque colours drop the alpha band."""
    if colour[3] == 255:
        flat = img.flatten(background=[float(c) for c in colour[:3]])
        return flat.cast("uchar").copy(interpretation="srgb")
    under = solid(img.width, img.height, colour)
    return under.composite2(img, "over").cast("uchar").copy(interpretation="srgb")
