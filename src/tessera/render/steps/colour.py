"""Colour step: every source becomes 8-bit sRGB, 3 bands or 4 with alpha, before any component.

Owns colour management: an embedded profile (Adobe RGB, Display P3, CMYK) is converted to
sRGB with lcms, CMYK without a profile goes through libvips' built-in CMYK profile, grey and
16-bit images become 8-bit sRGB. The original profile is not carried forward: the encoder
tags sRGB only when asked (fl_force_icc, cs_srgb/tinysrgb, fl_keep_iptc). Under `cs_copy`
the pixels keep their profile (still made 8-bit RGB). Embedded sRGB profiles are left alone,
which saves an lcms pass on most phone photos.
"""

from __future__ import annotations

import pyvips

from tessera.render.plan import SourcePlan

_ICC = "icc-profile-data"


def to_srgb(img: pyvips.Image, plan: SourcePlan) -> pyvips.Image:
    has_profile = img.get_typeof(_ICC) != 0
    interpretation = img.interpretation  # read once: each read is several libvips calls
    if interpretation == "cmyk" or (plan.to_srgb and has_profile
                                    and not _is_srgb(img.get(_ICC))):
        try:
            img = img.icc_transform("srgb", embedded=True, input_profile="cmyk"
                                    if interpretation == "cmyk" else "srgb", depth=8)
        except pyvips.Error:
            # A damaged profile: treat the pixels as sRGB rather than refuse the image.
            img = img.copy()
            img.remove(_ICC)
        interpretation = img.interpretation
    if interpretation != "srgb" or img.format != "uchar" or img.bands not in (3, 4):
        img = img.colourspace("srgb")
        if img.format != "uchar":
            img = img.cast("uchar")
        if img.bands > 4:
            img = img.extract_band(0, n=4)
    return img


def _is_srgb(profile: object) -> bool:
    # The 'desc' tag of sRGB profiles names them ("sRGB IEC61966-2.1", "sRGB built-in");
    # Display P3, Adobe RGB and CMYK profiles do not. Reading the name avoids a full lcms
    # pass per request for the common case.
    # ICC v4 profiles write the name in UTF-16 ('mluc'), v2 in ASCII.
    if not isinstance(profile, bytes):
        return False
    head = profile[:4096]
    return b"sRGB" in head or "sRGB".encode("utf-16-be") in head
