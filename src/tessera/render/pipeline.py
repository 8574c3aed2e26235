"""The render pipeline: the order of the steps and the loop that runs them.

`negotiate` settles, without pixels, what the request's headers decide (format, quality, DPR,
w_auto) and what the cache key and `Vary` must therefore carry. `render` then decodes the
source (shrunk on load when the first component scales it), runs the source steps once and
the component steps for every component, renders and places layers recursively, flattens
what the output format cannot carry and encodes. Budgets are checked before each step's
result is computed, the deadline between steps and while libvips computes. Decodes stay
sequential until a step needs pixels out of order; the image is then copied to memory once,
usually after it was scaled down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, TypeVar

import pyvips

from tessera import deferred
from tessera.errors import GrammarError
from tessera.grammar.ast import (
    AngleMode,
    ColorSpace,
    Component,
    Flag,
    ImageLayer,
    TextLayer,
    Transformation,
)
from tessera.media.probe import Probe
from tessera.render.geometry import Box, Context, Size
from tessera.render.layers import (
    LayerNode,
    Node,
    layer_context,
    layer_part,
    plan_chain,
    plan_placement,
)
from tessera.render.limits import Deadline, RenderLimits, check_size, watch
from tessera.render.negotiation import ClientHints, Negotiated, negotiate
from tessera.render.plan import (
    ComponentPlan,
    SourcePlan,
    plan_component,
    shrink_on_load,
)
from tessera.render.steps import (
    angle,
    border,
    colour,
    crop,
    effects,
    flatten,
    load,
    opacity,
    orient,
    overlay,
    pad,
    radius,
    resize,
    text,
)
from tessera.render.steps.encode import (
    ALPHA_FORMATS,
    ANIMATED_FORMATS,
    MIME_TYPES,
    OutputPlan,
    Profile,
    encode,
)

__all__ = ["ClientHints", "Negotiated", "Rendered", "Source", "negotiate", "render"]

log = logging.getLogger(__name__)
P = TypeVar("P")

# The whole story, in order. Source steps run once per decoded frame, before the first
# component; component steps run for every component (on the layer for a layer's own
# components); overlays, the output flatten and the encoder follow in `render`.
SOURCE_STEPS: Final = (load.prescale, colour.to_srgb, orient.orient)
COMPONENT_STEPS: Final = (
    angle.turn_before,        # a_auto_right / a_auto_left (case 41)
    crop.cut_region,          # c_crop, c_thumb
    crop.cut_smart_region,    # c_crop,g_auto
    resize.resize,
    crop.cut_window,          # c_fill, c_lfill
    crop.cut_smart_window,    # c_fill,g_auto
    pad.pad,                  # c_pad, c_lpad, c_mpad
    angle.turn,               # a_<degrees>, a_hflip, a_vflip
    effects.apply_effect,     # e_
    radius.round_corners,     # r_
    border.draw_border,       # bo_
    opacity.fade,             # o_
    flatten.fill_background,  # b_
)


@dataclass(frozen=True, slots=True)
class Source:
    """One stored original. `locate` gives its path on local disk, and `preview` its
    preview's, if it has one; each is called only when those pixels are decoded (a remote
    original is fetched then, so a render from the preview never downloads the original)."""

    locate: Callable[[], Path]
    probe: Probe
    faces: tuple[tuple[int, int, int, int], ...] = ()  # x, y, w, h in display pixels
    preview: Callable[[], Path] | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    data: bytes
    format: str  # jpg, png, webp, avif, gif
    mime: str
    width: int
    height: int  # of one frame


def _reversed(transformation: Transformation) -> tuple[Component, ...]:
    return transformation.components[::-1]


def render(source: Source, transformation: Transformation, negotiated: Negotiated, *,
           resolve_layer: Callable[[ImageLayer], Source], limits: RenderLimits) -> Rendered:
    """Render one derivative. Raises GrammarError (400) for what cannot be rendered,
    ImageRejected/ImageTooLarge (400) past the pixel budgets or for a broken file,
    RenderTimeout (503) past the deadline, and whatever `resolve_layer` raises."""
    nodes = plan_chain(transformation)
    run = _Run(transformation, negotiated, resolve_layer, limits)
    page, frames, animated = _frames(source.probe, transformation, negotiated)
    image = run.animated(source, nodes, page, frames) if animated else run.chain(
        source, nodes, page, run.context).image
    fmt = negotiated.format
    if negotiated.format_if_alpha is not None and image.hasalpha():
        fmt = negotiated.format_if_alpha
    image = flatten.flatten_output(image, fmt in ALPHA_FORMATS)
    # Each header read is several calls into libvips, each giving up the GIL: read once.
    width, full_height = image.width, image.height
    height = image.get("page-height") if animated else full_height
    check_size(width, full_height, limits.max_output_pixels, "output image")
    with watch(image, run.deadline):
        data = encode(image, replace(run.output, format=fmt, quality=negotiated.quality))
    # Freeing the pipeline (every operation, the decoder) costs 0.2-0.3 ms for a 1 MP
    # thumbnail: done once the answer has gone.
    deferred.hold(image)
    del image
    log.info("event=render_done format=%s width=%d height=%d bytes=%d components=%d "
             "duration_ms=%d", fmt, width, height, len(data), len(transformation),
             (run.deadline.elapsed()) * 1000)
    return Rendered(data, fmt, MIME_TYPES[fmt], width, height)


def _frames(probe: Probe, transformation: Transformation,
            negotiated: Negotiated) -> tuple[int, int, bool]:
    """(first frame, frame count, animated output): all frames only for an animated source
    delivered as GIF/WebP, in its own format or under fl_animated/fl_awebp; pg_ picks."""
    wants = any(c.has_flag(Flag.ANIMATED) or c.has_flag(Flag.AWEBP) for c in transformation)
    animated = (probe.frames > 1 and negotiated.format in ANIMATED_FORMATS
                and (negotiated.format == probe.format or wants))
    pages = next((c.page for c in _reversed(transformation) if c.page), ())
    if not pages:
        return 0, (-1 if animated else 1), animated
    indices: list[int] = []
    for item in pages:
        last = probe.frames if item.open_end else (item.last or item.first)
        indices += range(item.first - 1, min(last, probe.frames))
    if not indices or indices[0] >= probe.frames:
        raise GrammarError(f"pg_ asks for a page the image does not have (it has "
                           f"{probe.frames})", reason="no such page")
    contiguous = indices == list(range(indices[0], indices[0] + len(indices)))
    if animated and len(indices) > 1 and contiguous:
        return indices[0], len(indices), True
    return indices[0], 1, False


@dataclass(slots=True)
class _Work:
    image: pyvips.Image
    faces: tuple[Box, ...] = ()
    sequential: bool = False


class _Run:
    """One render's state: budgets, deadline, the layer resolver and request-wide values."""

    def __init__(self, transformation: Transformation, negotiated: Negotiated,
                 resolve_layer: Callable[[ImageLayer], Source], limits: RenderLimits) -> None:
        self.limits = limits
        self.deadline = Deadline(limits.deadline_seconds)
        self.resolve_layer = resolve_layer
        self.context = Context(dpr=negotiated.dpr, width_hint=negotiated.width_hint,
                               keeps_alpha=negotiated.format in ALPHA_FORMATS)
        components = transformation.components
        self.ignore_orientation = any(AngleMode.IGNORE in c.angle for c in components)
        self.copy_profile = any(c.color_space is ColorSpace.COPY for c in components)
        self.output = _output_plan(transformation, self.copy_profile)

    # -- sources -------------------------------------------------------------------------------

    def chain(self, source: Source, nodes: tuple[Node, ...], page: int, ctx: Context) -> _Work:
        """Decode `source` and run `nodes` on it."""
        probe = source.probe
        check_size(probe.width, probe.height, self.limits.max_pixels, "source image")
        orientation = 1 if self.ignore_orientation else probe.orientation
        display = Size(probe.display_width, probe.display_height)
        if self.ignore_orientation:
            display = Size(probe.width, probe.height)
        faces = tuple(Box(*f) for f in source.faces)
        if self.ignore_orientation and probe.orientation not in (0, 1):
            faces = ()  # faces are in display pixels; a_ignore keeps the stored ones
        ctx = replace(ctx, faces=faces)
        first = nodes[0] if nodes and isinstance(nodes[0], Component) and page == 0 else None
        first_plan = plan_component(first, display, ctx) if first is not None else None
        source_plan = SourcePlan(page=page, orientation=orientation, to_srgb=not self.copy_profile)
        if first_plan is not None and first_plan.geometry.is_scale_first and \
                not first_plan.pre_turns and first_plan.geometry.scale_to is not None:
            target = first_plan.geometry.scale_to
            source_plan = replace(source_plan, shrink=shrink_on_load(
                probe.format, display, first_plan.geometry),
                prescale=target if orientation < 5 else Size(target.height, target.width))
        # A preview's EXIF block is not the original's (tessera.media.preview): not for
        # derivatives that keep metadata.
        keeps_exif = self.output.keep_metadata or self.output.attribution_only
        work = _Work(load.decode(source.locate, probe, source_plan,
                                 None if keeps_exif else source.preview), faces, sequential=True)
        work = self.prepare(work, source_plan)
        if first_plan is not None:
            work = self.component(work, first_plan)
            nodes = nodes[1:]
        return self.nodes(work, nodes, ctx)

    def prepare(self, work: _Work, plan: SourcePlan) -> _Work:
        for step in SOURCE_STEPS:
            if step is orient.orient and plan.orientation not in (0, 1):
                work = self.materialise(work)
            work.image = self.step(step, work.image, plan)
        return work

    def animated(self, source: Source, nodes: tuple[Node, ...], page: int,
                 count: int) -> pyvips.Image:
        """Every selected frame through the whole chain, joined again as an animation."""
        probe = source.probe
        check_size(probe.width, probe.height * max(probe.frames, 1), self.limits.max_pixels,
                   "animation")
        plan = SourcePlan(page=page, frames=count, orientation=1 if self.ignore_orientation
                          else probe.orientation, to_srgb=not self.copy_profile)
        tall = load.decode(source.locate, probe, plan)
        frame_height = tall.get("page-height") if tall.get_typeof("page-height") else tall.height
        frames = []
        for index in range(tall.height // frame_height):
            frame = tall.crop(0, index * frame_height, tall.width, frame_height)
            work = self.prepare(_Work(frame), plan)
            frames.append(self.nodes(work, nodes, self.context).image)
            self.deadline.check(f"frame {index}")
        sizes = {(f.width, f.height) for f in frames}
        if len(sizes) != 1:  # g_auto may pick other windows, never other sizes; be sure
            raise GrammarError("Frames of the animation came out in different sizes",
                               reason="frame sizes")
        joined = pyvips.Image.arrayjoin(frames, across=1).copy()
        joined.set_type(pyvips.GValue.gint_type, "page-height", frames[0].height)
        joined.set_type(pyvips.GValue.gint_type, "n-pages", len(frames))
        for name in ("delay", "loop"):
            if tall.get_typeof(name) != 0:
                joined.set_type(tall.get_typeof(name), name, tall.get(name))
        return joined

    # -- components and layers -----------------------------------------------------------------

    def nodes(self, work: _Work, nodes: tuple[Node, ...], ctx: Context) -> _Work:
        for node in nodes:
            if isinstance(node, LayerNode):
                work = self.layer(self.materialise(work), node, ctx)
            else:
                size = Size(work.image.width, work.image.height)
                work = self.component(work, plan_component(node, size, replace(
                    ctx, faces=work.faces)))
        return work

    def component(self, work: _Work, plan: ComponentPlan) -> _Work:
        if work.sequential and not plan.is_sequential:
            work = self.materialise(work)
        for step in COMPONENT_STEPS:
            work.image = self.step(step, work.image, plan)
        work.faces = plan.faces
        return work

    def layer(self, work: _Work, node: LayerNode, ctx: Context) -> _Work:
        base = Size(work.image.width, work.image.height)
        layer_ctx = layer_context(node, base, ctx)
        transform = node.transform
        layer = node.layer
        if isinstance(layer, TextLayer):
            text_plan = text.plan_text(layer, transform, layer_ctx)
            if text.wraps(transform):  # the width wrapped the text; nothing left to scale
                transform = replace(transform, crop=None, width=None, height=None)
            rendered = _Work(text.render_text(text_plan))
            check_size(rendered.image.width, rendered.image.height, self.limits.max_pixels,
                       "text layer")
            size = Size(rendered.image.width, rendered.image.height)
            drawn = self.nodes(self.component(rendered, plan_component(
                transform, size, layer_ctx)), node.body, layer_ctx)
        elif isinstance(layer, ImageLayer):
            drawn = self.chain(self.resolve_layer(layer), (transform, *node.body), 0, layer_ctx)
        else:  # refused by the planner already
            raise GrammarError("Unsupported layer", reason="unsupported layer")
        drawn = self.materialise(drawn)
        placement = plan_placement(node, base, Size(drawn.image.width, drawn.image.height),
                                   replace(ctx, faces=work.faces))
        check_size(placement.canvas.width, placement.canvas.height, self.limits.max_pixels,
                   "canvas")
        work = _Work(overlay.composite(work.image, placement, drawn.image), placement.faces)
        self.deadline.check("overlay")
        if node.apply is not None:
            rest = layer_part(node.apply)  # what the apply component does besides placing
            if not rest.is_empty:
                size = Size(work.image.width, work.image.height)
                work = self.component(work, plan_component(rest, size, replace(
                    ctx, faces=work.faces)))
        return work

    # -- plumbing ------------------------------------------------------------------------------

    def step(self, step: Callable[[pyvips.Image, P], pyvips.Image], image: pyvips.Image,
             plan: P) -> pyvips.Image:
        out = step(image, plan)
        if out is not image:
            check_size(out.width, out.height, self.limits.max_pixels, "intermediate image")
        self.deadline.check(step.__name__)
        return out

    def materialise(self, work: _Work) -> _Work:
        """Compute the image into memory, so later steps may read it in any order."""
        if not work.sequential:
            return work
        with watch(work.image, self.deadline):
            work.image = work.image.copy_memory()
        work.sequential = False
        return work


def _output_plan(transformation: Transformation, copy_profile: bool) -> OutputPlan:
    flags = {entry.flag for c in transformation for entry in c.flags}
    spaces = {c.color_space for c in transformation}
    profile = Profile.NONE
    if Flag.KEEP_IPTC in flags or Flag.FORCE_ICC in flags or spaces & {
            ColorSpace.SRGB, ColorSpace.TINYSRGB}:
        profile = Profile.SRGB
    if copy_profile:
        profile = Profile.ORIGINAL
    if Flag.STRIP_PROFILE in flags:
        profile = Profile.NONE
    delay = next((c.delay for c in _reversed(transformation) if c.delay is not None), None)
    return OutputPlan(
        format="jpg", quality=80,
        progressive=any(c.has_flag(Flag.PROGRESSIVE) and c.flag_argument(Flag.PROGRESSIVE)
                        != "none" for c in transformation),  # semi/steep: plain progressive
        palette=bool(flags & {Flag.PNG8, Flag.LOSSY}) and not flags & {Flag.PNG24, Flag.PNG32},
        keep_metadata=Flag.KEEP_IPTC in flags and Flag.FORCE_STRIP not in flags,
        attribution_only=Flag.KEEP_ATTRIBUTION in flags and Flag.FORCE_STRIP not in flags,
        profile=profile, delay=delay)
