"""Orientation step: apply the source's EXIF orientation before the first component (§3,
§11.10), unless a_ignore asked not to (the planner then passes orientation 1).

Owns the eight orientations as libvips turns: the same mapping as libvips' autorot, a quarter
turn first and then a left-right mirror. The orientation comes from the probe (EXIF, PNG raw
profiles, XMP), not from libvips' own field, which misses some of those. The output is
tagged orientation 1 so a kept EXIF block (fl_keep_iptc) cannot turn it again.
"""

from __future__ import annotations

from typing import Final

import pyvips

from tessera.render.plan import SourcePlan

# orientation: (clockwise quarter turns, mirror left-right afterwards)
_TURNS: Final = {2: (0, True), 3: (180, False), 4: (180, True), 5: (90, True),
                 6: (90, False), 7: (270, True), 8: (270, False)}


def orient(img: pyvips.Image, plan: SourcePlan) -> pyvips.Image:
    if plan.orientation not in _TURNS:
        return img
    angle, mirror = _TURNS[plan.orientation]
    if angle == 90:
        img = img.rot90()
    elif angle == 180:
        img = img.rot180()
    elif angle == 270:
        img = img.rot270()
    if mirror:
        img = img.fliphor()
    img = img.copy()
    img.set_type(pyvips.GValue.gint_type, "orientation", 1)
    return img
