"""Decode step: the source's pixels through `tessera.media.decode.load_image` (the one safe
loader), shrunk on load where the plan allows, or from the source's preview where that holds
the same decode (`tessera.media.preview`); and the early scale that goes with it.

Owns the decode options (page, frames, access, shrink) and `prescale`, which scales a freshly
decoded image straight to the first component's size before it is oriented, as libvips'
thumbnail does (shrink-on-load leaves at most a factor of two for this resize). It checks no
budgets (the pipeline does) and never opens files another way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyvips

from tessera.media import preview as previews
from tessera.media.decode import Access, load_image
from tessera.media.probe import Probe
from tessera.render.plan import SourcePlan
from tessera.render.steps.resize import scale


def decode(locate: Callable[[], Path], probe: Probe, plan: SourcePlan,
           preview: Callable[[], Path] | None = None) -> pyvips.Image:
    """The frames `plan` selects, before orientation. Sequential access unless several
    frames are split apart later (frames are cut out of one tall image). `preview`: the
    source's preview, which stands in for a decode at 1/8 (`tessera.media.preview`)."""
    access: Access = "sequential" if plan.frames == 1 else "random"
    if plan.page == 0 and plan.frames == 1:
        return previews.decode(locate, probe, access=access, shrink=plan.shrink,
                               preview=preview)
    return load_image(locate(), probe, page=plan.page, n=plan.frames, access=access,
                      shrink=plan.shrink)


def prescale(img: pyvips.Image, plan: SourcePlan) -> pyvips.Image:
    """Scale to the first component's size in decoded orientation (pre-orientation)."""
    if plan.prescale is None:
        return img
    return scale(img, plan.prescale)
