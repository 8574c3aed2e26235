"""Natural-looking benchmark sources, generated deterministically from the shared corpus.

Real photos from `shared/corpus` are cropped and resized with pyvips, and a seeded film grain is
added where the photo was enlarged, so the JPEGs carry the entropy of a real camera file (a
24 MP phone JPEG at Q92 is ~6 MB here) rather than the smoothness of an upscale. Nothing random
is left: the same corpus and libvips give the same bytes. Files are cached under
`bench/.cache/sources/<GENERATION>/` and regenerated only when missing.

  photo_6000x4000.jpg   harbour photo (Nokia), 3:2 crop, Q92 4:2:0, no EXIF/ICC
  photo_1200x800.jpg    the same scene, a different crop, downscaled, Q90
  photo_rgba_2000x2000.png  dog photo, square crop, with a diagonal gradient alpha
  photo_10000x10000.jpg dog photo enlarged to 100 MP, Q85 (the peak-RSS test)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyvips

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
GENERATION = "v1"  # bump when the recipes below change
SOURCE_DIR = CACHE / "sources" / GENERATION


def _corpus() -> Path:
    for candidate in (REPO.parent / "shared" / "corpus", Path("/work/shared/corpus")):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("shared/corpus not found beside the repository")


@dataclass(frozen=True)
class Source:
    """One generated file: its name under SOURCE_DIR and its pixel size."""

    name: str
    width: int
    height: int

    @property
    def path(self) -> Path:
        return SOURCE_DIR / self.name


JPEG_24MP = Source("photo_6000x4000.jpg", 6000, 4000)
JPEG_1MP = Source("photo_1200x800.jpg", 1200, 800)
PNG_RGBA = Source("photo_rgba_2000x2000.png", 2000, 2000)
JPEG_100MP = Source("photo_10000x10000.jpg", 10000, 10000)
ALL = (JPEG_24MP, JPEG_1MP, PNG_RGBA, JPEG_100MP)


def _grain(image: pyvips.Image, sigma: float, seed: int) -> pyvips.Image:
    noise = pyvips.Image.gaussnoise(image.width, image.height, sigma=sigma, mean=0, seed=seed)
    return (image + noise).cast("uchar")


def _harbour() -> pyvips.Image:
    return pyvips.Image.new_from_file(str(_corpus() / "gps" / "nokia_phone_n_e.jpg"))


def _dog_square() -> pyvips.Image:
    dog = pyvips.Image.new_from_file(
        str(_corpus() / "jpeg" / "phone_photo_4032x3024_orient6.jpg")).autorot()
    side = min(dog.width, dog.height)
    return dog.crop((dog.width - side) // 2, (dog.height - side) // 2, side, side)


def _make_24mp(out: Path) -> None:
    src = _harbour()  # 4608x1976
    crop_w = src.height * 3 // 2
    crop = src.crop((src.width - crop_w) // 2, 0, crop_w, src.height)
    big = crop.resize(6000 / crop.width, vscale=4000 / crop.height, kernel="lanczos3")
    _grain(big, 3.0, 6000).jpegsave(str(out), Q=92, subsample_mode="on", keep="none")


def _make_1mp(out: Path) -> None:
    src = _harbour()
    crop_w = src.height * 3 // 2
    crop = src.crop(src.width - crop_w, 0, crop_w, src.height)  # the right-hand part
    small = crop.resize(1200 / crop.width, vscale=800 / crop.height, kernel="lanczos3")
    small.jpegsave(str(out), Q=90, subsample_mode="on", keep="none")


def _make_png(out: Path) -> None:
    square = _dog_square()
    photo = square.resize(2000 / square.width, kernel="lanczos3")
    # Alpha falls from opaque at the top-left corner to ~25% at the bottom-right.
    xyz = pyvips.Image.xyz(2000, 2000)
    ramp = (xyz[0] + xyz[1]) * (191 / 3998)
    alpha = (255 - ramp).cast("uchar")
    photo.bandjoin(alpha).copy(interpretation="srgb").pngsave(str(out), compression=6,
                                                              keep="none")


def _make_100mp(out: Path) -> None:
    square = _dog_square()
    big = square.resize(10000 / square.width, kernel="lanczos3")
    _grain(big, 3.0, 10000).jpegsave(str(out), Q=85, subsample_mode="on", keep="none")


_RECIPES: dict[str, Callable[[Path], None]] = {
    JPEG_24MP.name: _make_24mp,
    JPEG_1MP.name: _make_1mp,
    PNG_RGBA.name: _make_png,
    JPEG_100MP.name: _make_100mp,
}


def ensure(source: Source) -> Path:
    """Generate `source` unless it is already cached; return its path."""
    path = source.path
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp{path.suffix}")
    try:
        _RECIPES[source.name](tmp)
        image = pyvips.Image.new_from_file(str(tmp))
        if (image.width, image.height) != (source.width, source.height):
            raise RuntimeError(f"{source.name}: generated {image.width}x{image.height}")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def ensure_all(sources: tuple[Source, ...] = ALL) -> dict[str, Path]:
    """Generate every missing source; map name -> path."""
    return {source.name: ensure(source) for source in sources}
