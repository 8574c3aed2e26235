"""The twelve crop modes (grammar §3, §11.3-5): one component's `w h c g x y ar z` turned into
the `Geometry` of the image it receives: what to cut before scaling, the size to scale to,
the window to cut after, the canvas to pad onto, and where the faces end up.

Pure arithmetic over `tessera.render.geometry`; the steps cut and scale by these numbers.
"""

from __future__ import annotations

from typing import Final

from tessera.errors import GrammarError
from tessera.grammar.ast import Auto, Component, CropMode, Flag, Gravity, GravityMode
from tessera.render.geometry import (
    FACE_GRAVITIES,
    Box,
    Canvas,
    Context,
    Geometry,
    Rgba,
    Size,
    clamp_box,
    color,
    dimension,
    face_box,
    intersect,
    move_faces,
    offset,
    place,
    ratio,
    to_int,
    to_size,
    unsupported,
)

_PAD_MODES: Final = frozenset({CropMode.PAD, CropMode.LPAD, CropMode.MPAD})


def requested(component: Component, size: Size, ctx: Context) -> tuple[float | None,
                                                                     float | None]:
    """The requested box in output pixels; a single side plus `ar` gives the other (§3)."""
    base = ctx.relative_to
    w = dimension(component.width, size.width, size, ctx,
                  None if base is None else base.width)
    if isinstance(component.height, Auto):
        raise unsupported("h_auto")
    h = dimension(component.height, size.height, size, ctx,
                  None if base is None else base.height)
    if component.aspect_ratio is not None:
        aspect = ratio(component.aspect_ratio)
        if w is not None and h is None:
            h = w / aspect
        elif h is not None and w is None:
            w = h * aspect
        elif w is None and h is None and component.crop is not None:
            # `ar` alone: the largest box of that aspect inside the image (cut modes) or the
            # smallest around it (pad modes).
            inside = (component.crop not in _PAD_MODES)
            if (size.width / size.height > aspect) == inside:
                h, w = float(size.height), size.height * aspect
            else:
                w, h = float(size.width), size.width / aspect
    return w, h


def plan_geometry(component: Component, size: Size, ctx: Context) -> Geometry:
    """The resize/crop/pad of one component for an input of `size` (§3, §11.3-5)."""
    w, h = requested(component, size, ctx)
    mode = component.crop or CropMode.SCALE  # no c_ with w/h behaves like scale (§3)
    if w is None and h is None:
        return Geometry(faces=ctx.faces)
    if mode is CropMode.CROP:
        return _crop(component, size, ctx, w, h)
    if mode is CropMode.THUMB:
        return _thumb(component, size, ctx, w, h)
    ignore_aspect = component.has_flag(Flag.IGNORE_ASPECT_RATIO)
    if w is None or h is None:
        # One side: every mode scales proportionally; limit/lfill/lpad never enlarge, mfit/mpad
        # never shrink (§3 table, §11.3).
        s = (w / size.width) if w is not None else (h / size.height)  # type: ignore[operator]
        if mode in (CropMode.LIMIT, CropMode.LFILL, CropMode.LPAD):
            s = min(1.0, s)
        elif mode in (CropMode.MFIT, CropMode.MPAD):
            s = max(1.0, s)
        if ignore_aspect:
            target = Size(to_size(w) if w is not None else size.width,
                          to_size(h) if h is not None else size.height)
            return _scaled(size, target, ctx.faces)
        return _scaled(size, Size(to_size(size.width * s), to_size(size.height * s)), ctx.faces)
    box = Size(to_size(w), to_size(h))
    fit = min(box.width / size.width, box.height / size.height)
    fill = max(box.width / size.width, box.height / size.height)
    if mode is CropMode.FILL_PAD:
        mode = _fill_or_pad(component, size, box)
    if mode is CropMode.SCALE:
        return _scaled(size, box, ctx.faces)
    if mode in (CropMode.FIT, CropMode.LIMIT, CropMode.MFIT):
        s = {CropMode.FIT: fit, CropMode.LIMIT: min(1.0, fit), CropMode.MFIT: max(1.0, fit)}[mode]
        return _scaled(size, Size(to_size(size.width * s), to_size(size.height * s)), ctx.faces)
    if mode in (CropMode.FILL, CropMode.LFILL):
        s = fill if mode is CropMode.FILL else min(1.0, fill)
        scaled = Size(to_size(size.width * s), to_size(size.height * s))
        cut = Size(min(box.width, scaled.width), min(box.height, scaled.height))
        return _windowed(component, size, scaled, cut, ctx)
    if mode is CropMode.MPAD and fit < 1.0:
        return Geometry(faces=ctx.faces)  # larger than the box: unchanged (§3, unverified)
    s = {CropMode.PAD: fit, CropMode.LPAD: min(1.0, fit), CropMode.MPAD: fit}[mode]
    scaled = Size(to_size(size.width * s), to_size(size.height * s))
    return _padded(component, size, scaled, box, ctx)


def _fill_or_pad(component: Component, size: Size, box: Size) -> CropMode:
    # fill_pad needs g_auto (§3). Without a saliency model: cut when the aspects are close,
    # pad when cutting would lose more than a third of the image (implementation choice).
    if component.gravity is None or component.gravity.mode is not GravityMode.AUTO:
        raise GrammarError("c_fill_pad requires g_auto", reason="fill_pad without g_auto")
    image, target = size.width / size.height, box.width / box.height
    return CropMode.FILL if max(image / target, target / image) <= 1.5 else CropMode.PAD


def _scaled(size: Size, target: Size, faces: tuple[Box, ...]) -> Geometry:
    return Geometry(scale_to=target, faces=move_faces(
        faces, 0, 0, target.width / size.width, target.height / size.height))


def _is_auto(gravity: Gravity | None) -> bool:
    return gravity is not None and gravity.mode is GravityMode.AUTO


def _windowed(component: Component, size: Size, scaled: Size, cut: Size,
              ctx: Context) -> Geometry:
    sx, sy = scaled.width / size.width, scaled.height / size.height
    faces = move_faces(ctx.faces, 0, 0, sx, sy)
    if cut == scaled:
        return Geometry(scale_to=scaled, faces=faces)
    if _is_auto(component.gravity):
        return Geometry(scale_to=scaled, smart_window=cut)
    x = offset(component.x, scaled.width, scaled, ctx)
    y = offset(component.y, scaled.height, scaled, ctx)
    left, top = place(scaled, cut, component.gravity, x, y, faces)
    window = clamp_box(left, top, cut, scaled)
    return Geometry(scale_to=scaled, window=window,
                    faces=move_faces(faces, -window.left, -window.top))


def _padded(component: Component, size: Size, scaled: Size, box: Size,
            ctx: Context) -> Geometry:
    if isinstance(component.background, Auto):
        background: Rgba | None = None
    elif component.background is not None:
        background = color(component.background)
    else:  # white for opaque output, transparent when it keeps alpha (§3, unverified)
        background = (0, 0, 0, 0) if ctx.keeps_alpha else (255, 255, 255, 255)
    canvas_size = Size(max(box.width, scaled.width), max(box.height, scaled.height))
    gravity = component.gravity if component.gravity is None or component.gravity.mode not in (
        FACE_GRAVITIES | {GravityMode.AUTO}) else None
    left, top = place(canvas_size, scaled, gravity, 0, 0)
    faces = move_faces(ctx.faces, 0, 0, scaled.width / size.width, scaled.height / size.height)
    return Geometry(scale_to=scaled, canvas=Canvas(canvas_size, left, top, background),
                    faces=move_faces(faces, left, top))


def _crop(component: Component, size: Size, ctx: Context, w: float | None,
          h: float | None) -> Geometry:
    # c_crop cuts the unscaled input; a missing side is the full side (§3, unverified).
    cut = Size(to_size(w) if w is not None else size.width,
               to_size(h) if h is not None else size.height)
    gravity = component.gravity
    if _is_auto(gravity):
        smart = Size(min(cut.width, size.width), min(cut.height, size.height))
        return Geometry(smart_region=smart)
    x = offset(component.x, size.width, size, ctx)
    y = offset(component.y, size.height, size, ctx)
    if gravity is None and (component.x is not None or component.y is not None):
        left, top = to_int(x), to_int(y)  # no gravity: x/y are the top-left corner (case 18)
    elif gravity is not None and gravity.mode in FACE_GRAVITIES:
        # Around the faces, x/y ignored [docs]; the region moves inside the image.
        left, top = place(size, cut, gravity, 0, 0, ctx.faces)
        region = clamp_box(left, top, cut, size)
        return Geometry(region=region, faces=move_faces(ctx.faces, -region.left, -region.top))
    else:
        left, top = place(size, cut, gravity, x, y)
    region = intersect(left, top, cut, size)
    return Geometry(region=region, faces=move_faces(ctx.faces, -region.left, -region.top))


def _thumb(component: Component, size: Size, ctx: Context, w: float | None,
           h: float | None) -> Geometry:
    # c_thumb: a region around the face(s), widened to the target aspect, then scaled to the
    # box (§3). Framing: the face box grown 1.5x, divided by z_ (z > 1 tightens); never
    # smaller than the box itself, so a thumbnail does not magnify the face (implementation
    # choice; Cloudinary's exact framing is unverified). No face: centre, as c_fill.
    if w is None or h is None:
        side = w if w is not None else h
        assert side is not None
        w, h = (side, side * size.height / size.width) if w is not None else (
            side * size.width / size.height, side)
    box = Size(to_size(w), to_size(h))
    mode = component.gravity.mode if component.gravity is not None else GravityMode.FACE
    face = face_box(ctx.faces, mode if mode in FACE_GRAVITIES else GravityMode.FACE)
    aspect = box.width / box.height
    if face is None:
        rw = min(float(size.width), size.height * aspect)
        cx, cy = size.width / 2, size.height / 2
    else:
        zoom = 1.0 if component.zoom is None else (
            float(component.zoom) if isinstance(component.zoom, int) else component.zoom.value)
        rw = max(face.width * 1.5 / zoom, face.height * 1.5 / zoom * aspect, float(box.width))
        cx, cy = face.left + face.width / 2, face.top + face.height / 2
    rw = min(rw, float(size.width), size.height * aspect)
    cut = Size(to_size(rw), to_size(rw / aspect))
    region = clamp_box(to_int(cx - cut.width / 2), to_int(cy - cut.height / 2), cut, size)
    faces = move_faces(ctx.faces, -region.left, -region.top,
                       box.width / region.width, box.height / region.height)
    return Geometry(region=region, scale_to=box, faces=faces)
