"""Opacity step: `o_<0-100>` multiplies the alpha band (§7), adding one to opaque images."""

from __future__ import annotations

import pyvips

from tessera.render.plan import ComponentPlan
from tessera.render.steps.alpha import join_alpha, split_alpha, with_alpha


def fade(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    if plan.opacity is None or plan.opacity >= 1.0:
        return img
    rgb, alpha = split_alpha(with_alpha(img))
    assert alpha is not None
    return join_alpha(rgb, alpha * plan.opacity)
