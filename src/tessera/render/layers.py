"""Layers in a chain (grammar §4.2): which components transform a layer and which one places
it, and where a layer lands on its base (§3.3, §11.7-9).

Owns the structure (`plan_chain`: each `fl_layer_apply` closes the nearest open layer; a layer
without one is applied by its own component) and the placement arithmetic, including the
canvas growth seed 000 needs. Pure: no pyvips, no pixels.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Final

from tessera.errors import GrammarError
from tessera.grammar.ast import Component, EffectName, Flag, GravityMode, Layer, Transformation
from tessera.render.geometry import Box, Context, Size, move_faces, offset, place
from tessera.render.plan import BLEND_EFFECTS, check_component

# Flags that place a layer rather than transform it (§4.2).
_PLACEMENT_FLAGS: Final = frozenset({Flag.TILED, Flag.RELATIVE, Flag.LAYER_APPLY,
                                     Flag.NO_OVERFLOW, Flag.CUTTER})


class Blend(enum.Enum):
    """How a layer joins its base at fl_layer_apply (§4.2); values are libvips modes."""

    OVER = "over"
    MULTIPLY = "multiply"
    SCREEN = "screen"
    OVERLAY = "overlay"
    MASK = "dest-in"  # e_mask, fl_cutter: keep the base where the layer is opaque


BLENDS: Final = {EffectName.MULTIPLY: Blend.MULTIPLY, EffectName.SCREEN: Blend.SCREEN,
                  EffectName.OVERLAY: Blend.OVERLAY, EffectName.MASK: Blend.MASK}


@dataclass(frozen=True, slots=True)
class LayerNode:
    """A layer: the `l_`/`u_` component, the components transforming the layer, and the
    `fl_layer_apply` component placing it (None: placed by its own component, §4.2)."""

    opening: Component
    body: tuple[Node, ...] = ()
    apply: Component | None = None

    @property
    def layer(self) -> Layer:
        found = self.opening.overlay or self.opening.underlay
        assert found is not None
        return found

    @property
    def is_underlay(self) -> bool:
        return self.opening.overlay is None

    @property
    def placement(self) -> Component:
        return self.apply or self.opening

    @property
    def transform(self) -> Component:
        """The opening component without placement: what sizes and styles the layer."""
        return layer_part(self.opening)


Node = Component | LayerNode


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a layer goes: the (possibly grown) canvas and both images' top-left on it."""

    canvas: Size
    base: tuple[int, int]
    layer: tuple[int, int]
    tiled: bool = False
    underlay: bool = False
    blend: Blend = Blend.OVER
    faces: tuple[Box, ...] = ()  # the base's faces on the canvas


# --- chain structure --------------------------------------------------------------------------

def plan_chain(transformation: Transformation) -> tuple[Node, ...]:
    """Group components into layers: each `fl_layer_apply` closes the nearest open layer; a
    layer without one is applied in its own component (§4.2). Raises GrammarError for what
    cannot be rendered, before anything is decoded."""
    components = transformation.components
    for index, component in enumerate(components, start=1):
        check_component(component, index)
    closes: dict[int, int] = {}
    open_layers: list[int] = []
    for index, component in enumerate(components):
        is_layer = component.overlay is not None or component.underlay is not None
        if component.has_flag(Flag.LAYER_APPLY) and not is_layer:
            if not open_layers:
                raise GrammarError(f"fl_layer_apply without a layer in component {index + 1}",
                                   component=index + 1, reason="layer_apply without layer")
            closes[open_layers.pop()] = index
        elif is_layer and not component.has_flag(Flag.LAYER_APPLY):
            open_layers.append(index)
    nodes, _ = _nodes(components, 0, len(components), closes)
    return nodes


def _nodes(components: tuple[Component, ...], start: int, stop: int,
           closes: dict[int, int]) -> tuple[tuple[Node, ...], int]:
    nodes: list[Node] = []
    index = start
    while index < stop:
        component = components[index]
        if component.overlay is None and component.underlay is None:
            nodes.append(component)
            index += 1
        elif index in closes:
            body, _ = _nodes(components, index + 1, closes[index], closes)
            nodes.append(LayerNode(component, body, components[closes[index]]))
            index = closes[index] + 1
        else:
            nodes.append(LayerNode(component))
            index += 1
    return tuple(nodes), index


def layer_part(component: Component) -> Component:
    """A layer component without what places the layer: g, x, y, placement flags, blends."""
    effect = component.effect
    return replace(component, overlay=None, underlay=None, gravity=None, x=None, y=None,
                   flags=tuple(e for e in component.flags if e.flag not in _PLACEMENT_FLAGS),
                   effect=None if effect is not None and effect.name in BLEND_EFFECTS else effect,
                   literal_order=())


def layer_context(node: LayerNode, base: Size, ctx: Context) -> Context:
    """Context for planning a layer's own components: its decimals refer to the base under
    fl_relative (case 52); its faces are unknown to the base."""
    relative = node.opening.has_flag(Flag.RELATIVE) or node.placement.has_flag(Flag.RELATIVE)
    return replace(ctx, faces=(), relative_to=base if relative else None)


def plan_placement(node: LayerNode, base: Size, layer: Size, ctx: Context) -> Placement:
    """Where the layer lands on the base (§3.3, §4.2, §11.8-9)."""
    component = node.placement
    blend = Blend.OVER
    if component.effect is not None and component.effect.name in BLEND_EFFECTS:
        blend = BLENDS[component.effect.name]
    if component.has_flag(Flag.CUTTER) or node.opening.has_flag(Flag.CUTTER):
        blend = Blend.MASK
    tiled = component.has_flag(Flag.TILED) or node.opening.has_flag(Flag.TILED)
    if tiled:  # the sized layer repeated from the top-left corner (origin unverified)
        return Placement(base, (0, 0), (0, 0), True, node.is_underlay, blend, ctx.faces)
    gravity = component.gravity
    if gravity is not None and gravity.mode is GravityMode.AUTO:
        gravity = None
    x = offset(component.x, base.width, base, ctx)
    y = offset(component.y, base.height, base, ctx)
    left, top = place(base, layer, gravity, x, y, ctx.faces)
    if component.has_flag(Flag.NO_OVERFLOW) or node.opening.has_flag(Flag.NO_OVERFLOW):
        return Placement(base, (0, 0), (left, top), False, node.is_underlay, blend, ctx.faces)
    # A layer reaching past the base grows the canvas to hold both (seed 000).
    x0, y0 = min(0, left), min(0, top)
    x1, y1 = max(base.width, left + layer.width), max(base.height, top + layer.height)
    return Placement(Size(x1 - x0, y1 - y0), (-x0, -y0), (left - x0, top - y0), False,
                     node.is_underlay, blend, move_faces(ctx.faces, -x0, -y0))
