"""Parse transformations into the AST: from URL text, and from SDK-style option dicts.

URL text (`c_fit,w_100/fl_attachment`) is split on `/` into components and on `,` into
`key_value` parameters (split at the first `_`); each value goes through its typed parser in
`params.PARAMS`. Unknown keys, malformed values, duplicate keys and empty components raise
`GrammarError` naming the 1-based component, the key and the reason. Text-layer escapes are
decoded inside the layer parser, after splitting, so `%2C` never splits a component.

`from_options` accepts the SDK spelling carried by SharinPix tokens and code
(`{"crop": "fit", "width": 101}`): it renders each option to the text the SDK would write and
parses that text, so token and URL input are validated identically; unknown option keys are
dropped as the SDK drops them (seeds 000/001), bad values of known keys raise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final

from tessera.errors import GrammarError
from tessera.grammar.ast import (
    CONDITION_KEY,
    Auto,
    Component,
    CropMode,
    Transformation,
    Variable,
)
from tessera.grammar.lexical import VARIABLE_NAME_RE, ValueSyntaxError, parse_expression
from tessera.grammar.options import (
    OptionError,
    condition_text,
    param_texts,
    raw_text,
    variable_texts,
)
from tessera.grammar.params import PARAMS, UNSUPPORTED_KEYS

_KEY_RE: Final = re.compile(r"[a-z]+")
_SHOWN: Final = 60  # longest value echoed in an error message


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


@functools.lru_cache(maxsize=512)
def parse_transformation(text: str) -> Transformation:
    """Parse URL transformation text; `""` is the empty transformation. Raises GrammarError.

    Remembered (the values are immutable): delivery URLs mostly repeat a few transformations
    over many images, and parsing one costs more than the rest of a cached answer."""
    return Transformation(tuple(_parse_components(text, 1))) if text else Transformation()


def _parse_components(text: str, first_index: int) -> list[Component]:
    return [parse_component(part, index=index)
            for index, part in enumerate(text.split("/"), start=first_index)]


def is_component(text: str) -> bool:
    """True if `text` parses completely as one component (delivery-path splitting, §1.2)."""
    if "_" not in text:
        return False
    try:
        parse_component(text)
    except GrammarError:
        return False
    return True


def parse_component(text: str, *, index: int = 1) -> Component:
    """Parse one `,`-separated component; `index` only labels errors. Raises GrammarError."""
    if not text:
        raise GrammarError(f"Empty component {index}", component=index, reason="empty component")
    fields: dict[str, Any] = {}
    variables: list[Variable] = []
    order: list[str] = []
    for param in text.split(","):
        key, underscore, value = param.partition("_")
        if not param:
            raise GrammarError(f"Empty parameter in component {index}", component=index,
                               reason="empty parameter")
        if key in order:
            raise GrammarError(f"Parameter '{_shown(key)}' given twice in component {index}",
                               component=index, key=key, reason="duplicate parameter")
        if not underscore or not value:
            raise GrammarError(
                f"Malformed parameter '{_shown(param)}' in component {index}: expected key_value",
                component=index, key=key, reason="missing value")
        try:
            if key.startswith("$"):
                if not VARIABLE_NAME_RE.fullmatch(key[1:]):
                    raise _unknown(key, index)
                variables.append(Variable(key[1:], parse_expression(value)))
            elif key == CONDITION_KEY:
                fields["condition"] = parse_expression(value, is_condition=True)
            elif key in PARAMS:
                spec = PARAMS[key]
                fields[spec.field] = spec.parse(value)
            else:
                raise _unknown(key, index)
        except ValueSyntaxError as error:
            raise GrammarError(
                f"Invalid value '{_shown(value)}' for '{key}' in component {index}: {error}",
                component=index, key=key, value=value, reason=str(error)) from None
        order.append(key)
    return Component(**fields, variables=tuple(variables), literal_order=tuple(order))


def _unknown(key: str, index: int) -> GrammarError:
    if key in UNSUPPORTED_KEYS:
        return GrammarError(f"Unsupported parameter '{key}' in component {index}",
                            component=index, key=key, reason="unsupported parameter")
    shown = _shown(key) if _KEY_RE.fullmatch(key) or key.startswith("$") else repr(_shown(key))
    return GrammarError(f"Unknown parameter {shown} in component {index}", component=index,
                        key=key, reason="unknown parameter")


# --- SDK option spelling ----------------------------------------------------------------------

OptionsInput = Mapping[str, Any] | list[Any] | str


def from_options(options: OptionsInput) -> Transformation:
    """Build the AST from SDK options: a dict (`{"crop": "fit", "width": 101}`), a list of
    them (chained components, as SharinPix token `transformations`), or a string naming
    named transformations (the SDK's `transformation="name"`). Raises GrammarError."""
    if isinstance(options, str | list):
        options = {"transformation": options}
    if not isinstance(options, Mapping):
        raise GrammarError("Transformation options must be a dict, a list or a string",
                           reason="bad options")
    return Transformation(tuple(_components_from(options, 0)))


def _components_from(options: Mapping[str, Any], offset: int) -> list[Component]:
    components: list[Component] = []
    base = options.get("transformation")
    items = list(base) if isinstance(base, list | tuple) else [] if base is None else [base]
    named: str | None = None
    if any(isinstance(item, Mapping) for item in items):
        # Dicts and strings in a list each become their own components, placed before the
        # component built from the remaining options (cases 91-94).
        for item in items:
            nested = item if isinstance(item, Mapping) else {"transformation": item}
            components += _components_from(nested, offset + len(components))
    elif items:
        if not all(isinstance(item, str) for item in items):
            raise GrammarError(f"Named transformations must be strings in component {offset + 1}",
                               component=offset + 1, key="t", option="transformation",
                               reason="expected strings")
        named = ".".join(items)  # `t_named_a.named_b` (case 96)
    index = offset + len(components) + 1
    try:
        texts = param_texts(options, named)
        condition = condition_text(options)
        variables = variable_texts(options)
        raw = raw_text(options)
    except OptionError as error:
        raise GrammarError(f"Invalid option '{error.option}' in component {index}: "
                           f"{error.reason}", component=index, option=error.option,
                           reason=error.reason) from None
    params = []
    for key, option, text in texts:
        _check_option_value(key, option, text, index)
        params.append(f"{key}_{text}")
    _check_expressions(condition, variables, index)
    # SDK order: `if`, then variables, then the sorted parameters, then the raw text (case 97).
    prefix = [] if condition is None else [f"if_{condition}"]
    prefix += [f"{name}_{value}" for name, value in variables]
    parts = prefix + sorted(params) + ([raw] if raw else [])
    if parts:
        try:
            components += _parse_components(",".join(parts), index)
        except GrammarError as error:
            if raw is None:
                raise
            # Each option was checked alone above, so this comes from the raw text.
            raise GrammarError(error.message, option="raw_transformation",
                               **error.context) from None
    if options.get("responsive_width"):
        components.append(Component(crop=CropMode.LIMIT, width=Auto()))  # SDK default
    return components


def _check_expressions(condition: str | None, variables: list[tuple[str, str]],
                       index: int) -> None:
    """Validate `if` and `$name` values alone, so a raw text never takes the blame."""
    checks = [] if condition is None else [(CONDITION_KEY, condition)]
    for key, text in checks + variables:
        try:
            if key != CONDITION_KEY and not VARIABLE_NAME_RE.fullmatch(key[1:]):
                raise ValueSyntaxError("malformed variable name")
            parse_expression(text, is_condition=key == CONDITION_KEY)
        except ValueSyntaxError as error:
            raise GrammarError(
                f"Invalid value '{_shown(text)}' for '{_shown(key)}' in component {index}: "
                f"{error}", component=index, key=key, option=key, value=text,
                reason=str(error)) from None


def _check_option_value(key: str, option: str, text: str, index: int) -> None:
    """Validate one rendered option alone, so the error names the option, not the URL key."""
    reason: str | None = None
    if "," in text or "/" in text:
        reason = "contains an unescaped ',' or '/'"
    else:
        try:
            PARAMS[key].parse(text)
        except ValueSyntaxError as error:
            reason = str(error)
    if reason is not None:
        raise GrammarError(
            f"Invalid value '{_shown(text)}' for option '{option}' in component {index}: "
            f"{reason}", component=index, key=key, option=option, value=text, reason=reason)
