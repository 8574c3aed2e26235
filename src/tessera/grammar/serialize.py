"""Serialise the AST back to URL text.

`serialize` writes what the Python SDK writes for the equivalent options: parameters as
`key_value`, `if` first, then variables, then the parameters sorted by key (grammar §2.2),
components joined by `/`, `.` between angles/flags/names, `:` between layer folders, text-layer
escaping as `process_layer` does it.

Non-canonical order is kept, not corrected. Signatures cover the literal URL text (§8), and
the seeds' `dpr_auto,q_auto,f_auto` (or an SDK `raw_transformation`, case 97) is valid but not
in SDK order, so the AST records such an order in `Component.literal_order` (and a layer's
differently escaped spelling in `literal`) and `serialize` reproduces it: for every text that
parses, `serialize(parse_transformation(s)) == s`. ASTs built from options or by hand have no
literal order and serialise canonically. Cache keys and new URLs that must be canonical use
`serialize(t, canonical=True)`, i.e. `serialize(t.canonical())` (`canonical_text` remembers it).
"""

from __future__ import annotations

import functools

from tessera.grammar.ast import CONDITION_KEY, Component, Transformation
from tessera.grammar.params import PARAMS


def serialize_component(component: Component, *, canonical: bool = False) -> str:
    """One component's text, in its literal order unless `canonical`."""
    if canonical:
        component = component.canonical()
    variables = {"$" + variable.name: variable.value.text for variable in component.variables}
    parts: list[str] = []
    for key in component.keys():
        if key == CONDITION_KEY:
            assert component.condition is not None
            parts.append(f"if_{component.condition.text}")
        elif key in variables:
            parts.append(f"{key}_{variables[key]}")
        else:
            spec = PARAMS[key]
            parts.append(f"{key}_{spec.render(getattr(component, spec.field))}")
    return ",".join(parts)


def serialize(transformation: Transformation, *, canonical: bool = False) -> str:
    """The transformation's URL text (`""` when empty)."""
    return "/".join(serialize_component(component, canonical=canonical)
                    for component in transformation.components)


@functools.lru_cache(maxsize=512)
def canonical_text(transformation: Transformation) -> str:
    """`serialize(transformation, canonical=True)`, remembered: every delivery needs it for
    the derivative's key, and transformations repeat."""
    return serialize(transformation, canonical=True)
