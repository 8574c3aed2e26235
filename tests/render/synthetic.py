"""Synthetic sources for render tests and a renderer from URL text to pixels.

`quadrants(w, h)` paints four colours (red top-left, green top-right, blue bottom-left,
yellow bottom-right), so orientation, crops and gravity can be read off a few pixels.
`Renderer` writes a source to disk, probes it like an upload, renders a transformation through
the public API and decodes the result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyvips

from tessera.grammar.ast import ImageLayer
from tessera.grammar.parse import parse_transformation
from tessera.media.probe import Probe, probe_file
from tessera.render.limits import RenderLimits
from tessera.render.pipeline import ClientHints, Rendered, Source, negotiate, render
from tests.conftest import corpus_dir

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
CORPUS = corpus_dir()
_PROBES: dict[str, Probe] = {}


def quadrants(width: int, height: int, *, alpha: bool = False) -> pyvips.Image:
    array = np.zeros((height, width, 4 if alpha else 3), dtype=np.uint8)
    top, left = height // 2, width // 2
    for (rows, cols), colour in (((slice(0, top), slice(0, left)), RED),
                                 ((slice(0, top), slice(left, None)), GREEN),
                                 ((slice(top, None), slice(0, left)), BLUE),
                                 ((slice(top, None), slice(left, None)), YELLOW)):
        array[rows, cols, :3] = colour
    if alpha:
        array[:, :, 3] = 255
    return pyvips.Image.new_from_array(array).copy(interpretation="srgb")


def flat(width: int, height: int, colour: tuple[int, ...]) -> pyvips.Image:
    array = np.zeros((height, width, len(colour)), dtype=np.uint8)
    array[:, :] = colour
    return pyvips.Image.new_from_array(array).copy(interpretation="srgb")


def pixel(image: pyvips.Image, x: int, y: int) -> tuple[int, ...]:
    return tuple(round(v) for v in image.getpoint(x, y))


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


@dataclass
class Result:
    rendered: Rendered
    image: pyvips.Image

    @property
    def size(self) -> tuple[int, int]:
        return self.rendered.width, self.rendered.height

    def at(self, x: int, y: int) -> tuple[int, ...]:
        return pixel(self.image, x, y)


@dataclass
class Renderer:
    directory: Path
    layers: dict[str, Source] = field(default_factory=dict)
    _count: int = 0

    def source(self, image: pyvips.Image, fmt: str = "png", *,
               faces: tuple[tuple[int, int, int, int], ...] = (), **save: object) -> Source:
        self._count += 1
        path = self.directory / f"source{self._count}.{fmt}"
        image.write_to_file(str(path), **save)
        return self.file(path, faces)

    def file(self, path: Path, faces: tuple[tuple[int, int, int, int], ...] = ()) -> Source:
        return Source(lambda: path, self.probe(path), faces)

    @staticmethod
    def probe(path: Path) -> Probe:
        # Probing verifies by decoding every frame; corpus files are probed once per session.
        key = str(path)
        if key not in _PROBES or not key.startswith(str(CORPUS)):
            _PROBES[key] = probe_file(path, max_pixels=200_000_000, max_frames=500)
        return _PROBES[key]

    def layer(self, public_id: str, image: pyvips.Image, fmt: str = "png") -> None:
        self.layers[public_id] = self.source(image, fmt)

    def render(self, source: Source, text: str, extension: str | None = "png", *,
               hints: ClientHints | None = None, limits: RenderLimits | None = None,
               layers: Mapping[str, Source] | None = None) -> Result:
        transformation = parse_transformation(text)
        negotiated = negotiate(transformation, extension, source.probe.format,
                               hints or ClientHints())
        known = {**self.layers, **(layers or {})}

        def resolve(layer: ImageLayer) -> Source:
            return known[layer.public_id]

        rendered = render(source, transformation, negotiated, resolve_layer=resolve,
                          limits=limits or RenderLimits())
        image = pyvips.Image.new_from_buffer(rendered.data, "")
        return Result(rendered, image)
