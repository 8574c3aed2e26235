"""Border step: `bo_<n>px_solid_<colour>` adds a solid frame around the image (§7), outside
its size (the image grows by 2n; inside-or-outside is unverified). With r_ the frame follows
the rounded corners, its outer radius the inner one plus the width.
"""

from __future__ import annotations

import pyvips

from tessera.render.plan import ComponentPlan
from tessera.render.steps.alpha import background_for, solid, with_alpha
from tessera.render.steps.radius import corner_mask, ellipse_mask


def draw_border(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    if plan.border is None:
        return img
    width, colour = plan.border
    w, h = img.width + 2 * width, img.height + 2 * width
    rounded = plan.is_ellipse or (plan.radius is not None and any(plan.radius))
    if not rounded:
        if colour[3] < 255:
            img = with_alpha(img)
        return img.embed(width, width, w, h, extend="background",
                         background=background_for(img, colour))
    if plan.is_ellipse:
        mask = ellipse_mask(w, h)
    else:
        assert plan.radius is not None
        r = plan.radius
        mask = corner_mask(w, h, (r[0] + width if r[0] else 0, r[1] + width if r[1] else 0,
                                  r[2] + width if r[2] else 0, r[3] + width if r[3] else 0))
    frame = solid(w, h, colour, alpha=False).bandjoin(mask * (colour[3] / 255)).cast("uchar")
    frame = frame.copy(interpretation="srgb")
    return frame.composite2(with_alpha(img), "over", x=width, y=width).cast("uchar")
