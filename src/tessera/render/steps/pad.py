"""Pad step: extend the image onto the planned canvas (c_pad, c_lpad, c_mpad, §3).

Owns filling the new area: the b_ colour, transparent or white as planned, or for b_auto the
mean colour of the image's outer pixels (Cloudinary's default `b_auto` mode is "border").
"""

from __future__ import annotations

import pyvips

from tessera.render.geometry import Rgba
from tessera.render.plan import ComponentPlan
from tessera.render.steps.alpha import background_for, with_alpha


def pad(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    canvas = plan.geometry.canvas
    if canvas is None or (canvas.size.width, canvas.size.height) == (img.width, img.height):
        return img
    colour = canvas.background if canvas.background is not None else edge_colour(img)
    if colour[3] < 255:
        img = with_alpha(img)
    return img.embed(canvas.left, canvas.top, canvas.size.width, canvas.size.height,
                     extend="background", background=background_for(img, colour))


def edge_colour(img: pyvips.Image) -> Rgba:
    """Mean colour of the one-pixel frame around the image."""
    w, h = img.width, img.height
    strips = [img.crop(0, 0, w, 1), img.crop(0, h - 1, w, 1), img.crop(0, 0, 1, h),
              img.crop(w - 1, 0, 1, h)]
    total = sum(s.width * s.height for s in strips)
    bands = min(3, img.bands)
    means = [sum(s.extract_band(b).avg() * s.width * s.height for s in strips) / total
             for b in range(bands)]
    while len(means) < 3:
        means.append(means[0])
    return (round(means[0]), round(means[1]), round(means[2]), 255)
