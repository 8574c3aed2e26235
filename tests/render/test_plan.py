"""Planner structure (§4.2): which components transform a layer and which place it, what is
refused before decoding, and placement arithmetic (seed 000)."""

from __future__ import annotations

import pytest

from tessera.errors import GrammarError
from tessera.grammar.parse import parse_component, parse_transformation
from tessera.render.geometry import Box, Context, Size
from tessera.render.layers import Blend, LayerNode, plan_chain, plan_placement
from tessera.render.plan import Flip, plan_component, shrink_on_load, turn_faces


def test_single_component_layers_and_layer_apply_groups() -> None:
    nodes = plan_chain(parse_transformation(
        "c_fit,w_800/c_fit,l_a,w_800,x_800/l_b/c_scale,w_0.5/fl_layer_apply,g_north/e_sepia"))
    assert [type(n).__name__ for n in nodes] == ["Component", "LayerNode", "LayerNode",
                                                 "Component"]
    single, grouped = nodes[1], nodes[2]
    assert isinstance(single, LayerNode) and single.apply is None and single.body == ()
    assert isinstance(grouped, LayerNode) and grouped.apply is not None
    assert len(grouped.body) == 1 and grouped.placement.gravity is not None
    assert single.transform.x is None and single.transform.width == 800  # sizes the layer


def test_nested_layers_close_innermost_first() -> None:
    nodes = plan_chain(parse_transformation("l_a/l_b/fl_layer_apply/fl_layer_apply"))
    outer = nodes[0]
    assert isinstance(outer, LayerNode) and isinstance(outer.body[0], LayerNode)


@pytest.mark.parametrize("text", [
    "fl_layer_apply", "if_w_gt_100,w_10", "$size_10,w_10", "t_thumbnail", "e_oil_paint",
    "l_a,u_b", "fl_getinfo", "e_sepia:200", "e_screen", "l_text:style_name:hi",
])
def test_refused_before_decoding(text: str) -> None:
    with pytest.raises(GrammarError):
        plan_chain(parse_transformation(text))


def test_seed_000_places_three_images_side_by_side() -> None:
    node = plan_chain(parse_transformation("c_fit,l_a,w_800,x_800"))[0]
    assert isinstance(node, LayerNode)
    first = plan_placement(node, Size(800, 533), Size(800, 533), Context())
    assert first.canvas == Size(1600, 533) and first.layer == (800, 0) and first.base == (0, 0)
    node = plan_chain(parse_transformation("c_fit,l_b,w_800,x_1200"))[0]
    assert isinstance(node, LayerNode)
    second = plan_placement(node, Size(1600, 533), Size(800, 533), Context())
    assert second.canvas == Size(2400, 533) and second.layer == (1600, 0)


def test_placement_blends_and_tiles() -> None:
    node = plan_chain(parse_transformation("l_a/fl_layer_apply,e_multiply"))[0]
    assert isinstance(node, LayerNode)
    assert plan_placement(node, Size(10, 10), Size(5, 5), Context()).blend is Blend.MULTIPLY
    tiled = plan_chain(parse_transformation("fl_tiled,l_a,w_200"))[0]
    assert isinstance(tiled, LayerNode)
    placed = plan_placement(tiled, Size(1000, 800), Size(200, 100), Context())
    assert placed.tiled and placed.canvas == Size(1000, 800)


def test_component_plan_turns_borders_and_faces() -> None:
    plan = plan_component(parse_component("a_90,bo_4px_solid_red,c_scale,w_100"), Size(200, 100),
                          Context(faces=(Box(0, 0, 20, 10),)))
    assert plan.turns == (90,) and plan.border == (4, (255, 0, 0, 255))
    assert plan.faces == (Box(49, 4, 5, 10),)  # scaled to 10x5, turned to x=45, framed +4
    assert plan_component(parse_component("a_vflip.45"), Size(10, 10), Context()).turns == (
        Flip.VERTICAL, 45)
    assert plan_component(parse_component("r_10:20:30"), Size(10, 10), Context()).radius == (
        10, 20, 30, 20)


def test_turning_faces_is_reversible() -> None:
    faces = (Box(10, 20, 30, 40),)
    once = turn_faces(faces, Size(200, 100), (90,))
    assert turn_faces(once, Size(100, 200), (270,)) == faces


def test_shrink_on_load_decodes_at_least_the_target() -> None:
    plan = plan_component(parse_component("c_fit,h_300,w_400"), Size(6000, 4000), Context())
    assert shrink_on_load("jpg", Size(6000, 4000), plan.geometry) == 8  # 15x: 750x500, then 1.9x
    exact = plan_component(parse_component("c_fit,h_400,w_400"), Size(3200, 3200), Context())
    assert shrink_on_load("jpg", Size(3200, 3200), exact.geometry) == 8  # decodes 400x400
    under = plan_component(parse_component("c_fit,h_400,w_400"), Size(3160, 3160), Context())
    assert shrink_on_load("jpg", Size(3160, 3160), under.geometry) == 4  # 1/8 would be 395
    assert shrink_on_load("png", Size(6000, 4000), plan.geometry) == 1
    crop = plan_component(parse_component("c_crop,w_400"), Size(6000, 4000), Context())
    assert shrink_on_load("jpg", Size(6000, 4000), crop.geometry) == 1


def test_sequential_decode_only_for_plain_steps() -> None:
    assert plan_component(parse_component("c_fill,h_10,w_10"), Size(100, 50),
                          Context()).is_sequential
    for text in ("a_90", "c_fill,g_auto,h_10,w_10", "e_blur", "b_auto,c_pad,h_10,w_10"):
        assert not plan_component(parse_component(text), Size(100, 50), Context()).is_sequential
