"""The five workloads, spelled once for every engine (Tessera, pyvips, thumbor, sharp).

Each workload names its source, the Cloudinary transformation Tessera is asked for, the
equivalent thumbor URL path, the sharp recipe (read by `sharp.mjs`) and the pyvips call, so the
engines do the same work: same output size, same format, same quality (JPEG/WebP Q80 — thumbor's
and sharp's default, spelled out for pyvips and Tessera), PNG compression 6, metadata stripped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyvips

from bench import sources
from bench.sources import Source

QUALITY = 80
PNG_COMPRESSION = 6
BIG = 10_000_000  # "no limit" for a one-sided fit


@dataclass(frozen=True)
class Workload:
    """One measured transformation of one source."""

    key: str
    label: str
    source: Source
    crop: str  # "fit" or "fill"
    width: int
    height: int | None  # None: fit to the width only
    fmt: str  # jpg, webp, png
    expect: tuple[int, int]  # output size every engine must produce (±1 px)

    # -- Tessera (Cloudinary URL) -------------------------------------------------------------
    def cloudinary_transformation(self) -> list[dict[str, Any]]:
        step: dict[str, Any] = {"crop": self.crop, "width": self.width}
        if self.height is not None:
            step["height"] = self.height
        chain = [step]
        if self.fmt in ("jpg", "webp"):
            chain.append({"quality": QUALITY})
        return chain

    # -- thumbor --------------------------------------------------------------------------------
    def thumbor_path(self, file_name: str) -> str:
        size = f"{self.width}x{self.height or 0}"
        resize = f"fit-in/{size}" if self.crop == "fit" else size  # plain WxH = fill, centred
        filters = [f"format({'jpeg' if self.fmt == 'jpg' else self.fmt})"]
        if self.fmt in ("jpg", "webp"):
            filters.append(f"quality({QUALITY})")
        return f"/unsafe/{resize}/filters:{':'.join(filters)}/{file_name}"

    # -- sharp ----------------------------------------------------------------------------------
    def sharp_recipe(self) -> dict[str, Any]:
        return {"key": self.key, "width": self.width, "height": self.height,
                "fit": "inside" if self.crop == "fit" else "cover", "format": self.fmt,
                "quality": QUALITY, "compression": PNG_COMPRESSION}

    # -- pyvips, in process ---------------------------------------------------------------------
    def pyvips_render(self, path: str) -> bytes:
        """pyvips' own `thumbnail` doing the same work, encoded to bytes."""
        if self.crop == "fit":
            image = pyvips.Image.thumbnail(path, self.width, height=self.height or BIG)
        else:
            image = pyvips.Image.thumbnail(path, self.width, height=self.height, crop="centre")
        if self.fmt == "jpg":
            return image.jpegsave_buffer(Q=QUALITY, keep="none")  # type: ignore[no-any-return]
        if self.fmt == "webp":
            return image.webpsave_buffer(Q=QUALITY, keep="none")  # type: ignore[no-any-return]
        return image.pngsave_buffer(compression=PNG_COMPRESSION,  # type: ignore[no-any-return]
                                    keep="none")


WORKLOADS: tuple[Workload, ...] = (
    Workload("24mp-fit", "6000x4000 JPEG -> fit 400x300 JPEG q80", sources.JPEG_24MP,
             "fit", 400, 300, "jpg", (400, 267)),
    Workload("24mp-fill", "6000x4000 JPEG -> fill 200x200 JPEG q80", sources.JPEG_24MP,
             "fill", 200, 200, "jpg", (200, 200)),
    Workload("24mp-webp", "6000x4000 JPEG -> fit 1920 WebP q80", sources.JPEG_24MP,
             "fit", 1920, None, "webp", (1920, 1280)),
    Workload("1mp-fit", "1200x800 JPEG -> fit 400x300 JPEG q80", sources.JPEG_1MP,
             "fit", 400, 300, "jpg", (400, 267)),
    Workload("png-fit", "2000x2000 RGBA PNG -> fit 400x300 PNG", sources.PNG_RGBA,
             "fit", 400, 300, "png", (300, 300)),
)

BY_KEY = {w.key: w for w in WORKLOADS}


def output_size(body: bytes) -> tuple[int, int]:
    """Width and height of an encoded image (header only)."""
    image = pyvips.Image.new_from_buffer(body, "")
    return image.width, image.height


def size_ok(got: tuple[int, int], expect: tuple[int, int]) -> bool:
    return abs(got[0] - expect[0]) <= 1 and abs(got[1] - expect[1]) <= 1

# The peak-RSS test (e): a 100 MP JPEG rendered to 400 px.
RSS_WORKLOAD = Workload("100mp-fit", "10000x10000 JPEG -> fit 400x400 JPEG q80",
                        sources.JPEG_100MP, "fit", 400, 400, "jpg", (400, 400))
