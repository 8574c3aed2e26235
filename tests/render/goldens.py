"""Golden images for the visual steps: `tests/render/golden/<step>/<case>.png`, compared by
mean absolute pixel difference (0-255, over all channels) against a tolerance each test states.
Goldens are written only under `--update-goldens`; a mismatch writes the actual render and an
amplified difference image to `tests/_artifacts/<step>/` for review."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import pyvips

GOLDEN_DIR = Path(__file__).parent / "golden"
ARTIFACT_DIR = Path(__file__).parents[1] / "_artifacts"


def as_array(image: pyvips.Image) -> np.ndarray:  # type: ignore[type-arg]
    """RGBA uint8 array, so images with and without alpha compare alike."""
    if image.bands == 3:
        image = image.bandjoin(255)
    elif image.bands in (1, 2):
        image = image.colourspace("srgb")
        image = image.bandjoin(255) if image.bands == 3 else image
    return np.asarray(image.cast("uchar").numpy(), dtype=np.uint8).reshape(
        image.height, image.width, 4)


@dataclass(frozen=True)
class Goldens:
    update: bool

    def check(self, name: str, image: pyvips.Image, tolerance: float) -> None:
        """Compare `image` with golden `name` ("effects/sepia"); `tolerance` is the largest
        mean absolute difference accepted, on the 0-255 scale."""
        path = GOLDEN_DIR / f"{name}.png"
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            image.pngsave(str(path), keep="none", compression=9)
            return
        if not path.exists():
            pytest.fail(f"golden {path} is missing: run pytest with --update-goldens")
        expected = as_array(pyvips.Image.pngload(str(path)))
        actual = as_array(image)
        if expected.shape != actual.shape:
            self._save(name, image, None)
            pytest.fail(f"{name}: size {actual.shape[1]}x{actual.shape[0]} differs from the "
                        f"golden's {expected.shape[1]}x{expected.shape[0]}")
        difference = np.abs(expected.astype(np.int16) - actual.astype(np.int16))
        mean = float(difference.mean())
        if mean > tolerance:
            self._save(name, image, difference)
            pytest.fail(f"{name}: mean difference {mean:.2f} > tolerance {tolerance} "
                        f"(artifacts in {ARTIFACT_DIR / name}.*)")

    def _save(self, name: str, image: pyvips.Image, difference: np.ndarray | None  # type: ignore[type-arg]
              ) -> None:
        target = ARTIFACT_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        image.pngsave(f"{target}.actual.png")
        if difference is not None:
            amplified = np.clip(difference[:, :, :3].astype(np.int32) * 4, 0, 255)
            diff = pyvips.Image.new_from_array(np.ascontiguousarray(amplified.astype(np.uint8)))
            diff.copy(interpretation="srgb").pngsave(f"{target}.diff.png")
