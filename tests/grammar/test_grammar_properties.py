"""Hypothesis properties: parse and serialize are inverse, serialisation is stable, literal
order survives, and the canonical form is the sorted SDK text."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.grammar.ast import Component, DeliveryType, ImageLayer, Transformation
from tessera.grammar.parse import is_component, parse_component, parse_transformation
from tessera.grammar.serialize import serialize, serialize_component
from tests.grammar.strategies import components, reordered, transformations

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(transformations)
def test_parse_inverts_serialize(transformation: Transformation) -> None:
    text = serialize(transformation)
    assert parse_transformation(text) == transformation


@SETTINGS
@given(transformations)
def test_serialize_is_idempotent(transformation: Transformation) -> None:
    text = serialize(transformation)
    assert serialize(parse_transformation(text)) == text
    assert serialize(parse_transformation(text), canonical=True) == text  # built canonically


@SETTINGS
@given(components)
def test_every_serialized_component_is_a_component(component: Component) -> None:
    text = serialize_component(component)
    assert is_component(text)
    assert "/" not in text
    assert parse_component(text) == component


@SETTINGS
@given(st.data(), components)
def test_literal_order_round_trips(data: st.DataObject, component: Component) -> None:
    shuffled = data.draw(reordered(component))
    text = serialize_component(shuffled)
    assert [p.partition("_")[0] for p in text.split(",")] == list(shuffled.keys())
    parsed = parse_component(text)
    assert parsed == shuffled
    assert serialize_component(parsed) == text
    # Order is spelling, not meaning: the canonical forms agree.
    assert parsed.canonical() == component.canonical()
    assert serialize_component(parsed, canonical=True) == serialize_component(component)


@SETTINGS
@given(components)
def test_canonical_keys_are_if_variables_then_sorted(component: Component) -> None:
    keys = [p.partition("_")[0] for p in serialize_component(component).split(",")]
    head = 1 if component.condition is not None else 0
    if head:
        assert keys[0] == "if"
    variables = keys[head:head + len(component.variables)]
    assert variables == ["$" + v.name for v in component.variables]
    params = keys[head + len(component.variables):]
    assert params == sorted(params, key=lambda key: key + "_")


def _escape_every_byte(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8"))


@SETTINGS
@given(components)
def test_respelled_layers_keep_their_literal(component: Component) -> None:
    # An HTTP client may escape any byte of a layer id (§1.1): the layer is the same, its
    # spelling is kept for signatures, and the canonical form is the SDK's again.
    if not isinstance(component.overlay, ImageLayer):
        component = dataclasses.replace(component, overlay=ImageLayer("folder/logo"))
    layer = component.overlay
    assert isinstance(layer, ImageLayer)
    segments = [_escape_every_byte(segment) for segment in layer.public_id.split("/")]
    if layer.format is not None:
        segments[-1] += "." + layer.format.value
    prefix = [] if layer.type is DeliveryType.UPLOAD else [layer.type.value]
    spelled = "l_" + ":".join(prefix + segments)
    params = [spelled if param.startswith("l_") else param
              for param in serialize_component(component).split(",")]
    text = ",".join(params)
    parsed = parse_component(text)
    canonical = next(p for p in serialize_component(component).split(",") if p.startswith("l_"))
    # Escaping every byte can give the canonical spelling itself (id "%" is "%25" either way):
    # then there is no other spelling to keep.
    expected_literal = None if spelled == canonical else spelled[2:]
    assert parsed.overlay is not None and parsed.overlay.literal == expected_literal
    assert serialize_component(parsed) == text
    assert parsed.canonical() == component.canonical()
    assert serialize_component(parsed, canonical=True) == serialize_component(component)


@SETTINGS
@given(components)
def test_replace_keeps_component_valid(component: Component) -> None:
    # Edits after parsing (planner, tests) never leave a stale literal order behind.
    parsed = parse_component(serialize_component(component))
    edited = dataclasses.replace(parsed, width=10, crop=None)
    assert parse_component(serialize_component(edited)) == edited
