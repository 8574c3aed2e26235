"""Band handling shared by the steps: every image between steps is 8-bit sRGB with 3 bands, or 4
with alpha last (`tessera.render.steps.colour` makes it so). Owns splitting and joining the
alpha band and building solid-colour images; it decides nothing.
"""

from __future__ import annotations

import pyvips

from tessera.render.geometry import Rgba


def split_alpha(img: pyvips.Image) -> tuple[pyvips.Image, pyvips.Image | None]:
    """Colour bands and the alpha band (None when the image is opaque)."""
    if img.hasalpha():
        return img.extract_band(0, n=img.bands - 1), img.extract_band(img.bands - 1)
    return img, None


def join_alpha(rgb: pyvips.Image, alpha: pyvips.Image | None) -> pyvips.Image:
    out = rgb if alpha is None else rgb.bandjoin(alpha)
    return out.cast("uchar").copy(interpretation="srgb")


def with_alpha(img: pyvips.Image) -> pyvips.Image:
    """The image with an alpha band, opaque where it had none."""
    return img if img.hasalpha() else img.bandjoin(255).copy(interpretation="srgb")


def solid(width: int, height: int, rgba: Rgba, *, alpha: bool = True) -> pyvips.Image:
    """A width x height image of one colour (with its alpha band when `alpha`)."""
    values = list(rgba if alpha else rgba[:3])
    img = pyvips.Image.black(width, height, bands=len(values)) + values
    return img.cast("uchar").copy(interpretation="srgb")


def background_for(img: pyvips.Image, rgba: Rgba) -> list[float]:
    """`rgba` as a libvips background for `img`: with alpha only when the image has it."""
    return [float(v) for v in (rgba if img.hasalpha() else rgba[:3])]
