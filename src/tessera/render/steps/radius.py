"""Radius step: rounded corners (`r_<px>`, `r_a:b:c:d`) and ellipses (`r_max`), §7.

Owns the corner masks: anti-aliased quarter circles (alpha follows the distance from each
corner's centre), an ellipse inscribed in the image for r_max. Outside becomes transparent;
b_ or the JPEG flatten gives it a colour later.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvips

from tessera.render.plan import ComponentPlan
from tessera.render.steps.alpha import join_alpha, split_alpha, with_alpha


def round_corners(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    if plan.is_ellipse:
        mask = ellipse_mask(img.width, img.height)
    elif plan.radius is not None and any(plan.radius):
        mask = corner_mask(img.width, img.height, plan.radius)
    else:
        return img
    rgb, alpha = split_alpha(with_alpha(img))
    assert alpha is not None
    return join_alpha(rgb, alpha * mask / 255)


def corner_mask(width: int, height: int, radii: tuple[int, int, int, int]) -> pyvips.Image:
    """An 8-bit mask, 255 inside; corners in order top-left, top-right, bottom-right, -left."""
    mask = (pyvips.Image.black(width, height) + 255).cast("uchar")
    limit = min(width, height) // 2
    for corner, radius in enumerate(radii):
        r = min(radius, limit)
        if r <= 0:
            continue
        tile = _quarter(r)  # the top-left shape; mirrored for the other corners
        if corner in (1, 2):
            tile = tile[:, ::-1]
        if corner in (2, 3):
            tile = tile[::-1, :]
        left = 0 if corner in (0, 3) else width - r
        top = 0 if corner in (0, 1) else height - r
        mask = mask.insert(pyvips.Image.new_from_array(np.ascontiguousarray(tile)), left, top)
    return mask


def _quarter(r: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    centres = np.arange(r, dtype=np.float64) + 0.5
    dx, dy = np.meshgrid(r - centres, r - centres)
    coverage = np.clip(r - np.hypot(dx, dy) + 0.5, 0.0, 1.0)
    return (coverage * 255).round().astype(np.uint8)


def ellipse_mask(width: int, height: int) -> pyvips.Image:
    """The inscribed ellipse (a circle for squares), anti-aliased over about one pixel."""
    rx, ry = width / 2, height / 2
    xy = pyvips.Image.xyz(width, height)
    x = (xy.extract_band(0) + 0.5 - rx) / rx
    y = (xy.extract_band(1) + 0.5 - ry) / ry
    inside = (1 - (x * x + y * y) ** 0.5) * min(rx, ry) + 0.5
    return ((inside > 1).ifthenelse(1, (inside < 0).ifthenelse(0, inside)) * 255).cast("uchar")
