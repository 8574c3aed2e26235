"""The image a public link answers once its image is gone (issue 5, external URLs): a plain
light-grey PNG with a darker frame, drawn once by libvips and kept in memory."""

from __future__ import annotations

from functools import cache
from typing import Final

import pyvips

WIDTH: Final = 320
HEIGHT: Final = 240
_FRAME: Final = 6


@cache
def placeholder_png() -> bytes:
    inner = (pyvips.Image.black(WIDTH - 2 * _FRAME, HEIGHT - 2 * _FRAME, bands=3)
             + [230, 230, 230]).cast("uchar")
    framed = inner.embed(_FRAME, _FRAME, WIDTH, HEIGHT, extend="background",
                         background=[158, 158, 158])
    return bytes(framed.pngsave_buffer(compression=9))
