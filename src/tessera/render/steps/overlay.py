"""Overlay step: put a rendered layer on its base (§4.2, §11.7-9).

Owns compositing: tiling (`fl_tiled`, repeated from the top-left corner), the blend modes of
fl_layer_apply, underlays (the base goes over the layer), and the grown canvas a layer past
the base's edges asks for (seed 000), whose new area is transparent until flattened. Where
everything goes is `tessera.render.plan.plan_placement`'s arithmetic.
"""

from __future__ import annotations

import math

import pyvips

from tessera.render.layers import Blend, Placement
from tessera.render.plan import TRANSPARENT
from tessera.render.steps.alpha import solid, with_alpha


def composite(img: pyvips.Image, placement: Placement, layer: pyvips.Image) -> pyvips.Image:
    canvas = placement.canvas
    if placement.tiled:
        across, down = math.ceil(img.width / layer.width), math.ceil(img.height / layer.height)
        layer = layer.replicate(across, down).crop(0, 0, img.width, img.height)
    opaque_base = not img.hasalpha()
    grown = (canvas.width, canvas.height) != (img.width, img.height)
    if placement.underlay or grown:
        bottom = solid(canvas.width, canvas.height, TRANSPARENT)
        layers = [with_alpha(img), with_alpha(layer)]
        spots = [placement.base, placement.layer]
        modes = ["over", placement.blend.value]
        if placement.underlay:
            layers.reverse()
            spots.reverse()
            modes = ["over", "over"]
        out = bottom.composite(layers, modes, x=[s[0] for s in spots], y=[s[1] for s in spots])
    else:
        x, y = placement.layer
        out = with_alpha(img).composite2(with_alpha(layer), placement.blend.value, x=x, y=y)
        if opaque_base and placement.blend is not Blend.MASK:
            out = out.extract_band(0, n=3)  # an opaque base stays opaque under "over"
    return out.cast("uchar").copy(interpretation="srgb")
