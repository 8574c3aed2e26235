"""Crop steps: cut the planned region (before scaling, c_crop/c_thumb) or window (after
scaling, c_fill/c_lfill), or let libvips' attention smartcrop choose the place for g_auto.

Owns only the cuts; where they are is tessera.render.geometry's arithmetic (§3, §3.3).
"""

from __future__ import annotations

import pyvips

from tessera.render.geometry import Box, Size
from tessera.render.plan import ComponentPlan


def cut_region(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    return _cut(img, plan.geometry.region)


def cut_smart_region(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    return _smart_cut(img, plan.geometry.smart_region)


def cut_window(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    return _cut(img, plan.geometry.window)


def cut_smart_window(img: pyvips.Image, plan: ComponentPlan) -> pyvips.Image:
    return _smart_cut(img, plan.geometry.smart_window)


def _smart_cut(img: pyvips.Image, size: Size | None) -> pyvips.Image:
    """g_auto: libvips' attention saliency picks the window."""
    if size is None:
        return img
    return img.smartcrop(size.width, size.height, interesting="attention")


def _cut(img: pyvips.Image, box: Box | None) -> pyvips.Image:
    if box is None or (box.left, box.top, box.width, box.height) == (0, 0, img.width,
                                                                     img.height):
        return img
    return img.crop(box.left, box.top, box.width, box.height)
