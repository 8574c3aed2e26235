"""The writable fields of a tag (`tag[name]`, `tag[label_en]`, `tag[label][fr]`, `tag[color]`,
`tag[public]`, …) read from request params, validated, and the contrasting text colour.

Pure: no database. Defaults are seed 003's tag (`#009688` on `#ffffff`, listed, not public,
not visible, no download), which is also what a tag created on demand gets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from tessera.errors import BadRequest

MAX_TAG_NAME_LENGTH: Final = 255
MAX_LABEL_LENGTH: Final = 255
LANGUAGES: Final = ("en", "fr")
DEFAULT_COLOR: Final = "#009688"  # seed 003
BLACK: Final = "#000000"
WHITE: Final = "#ffffff"
# White text is kept while it reaches WCAG 2 AA for large text (3:1, success criterion 1.4.3):
# tag chips are short bold labels. Seed 003 pins `#009688` (3.67:1 with white) → `#ffffff`.
MIN_WHITE_CONTRAST: Final = 3.0
_COLOR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_FLAGS: Final = {"public": "is_public", "listed": "listed", "visible": "visible",
                 "allow_download": "allow_download"}
_TRUE: Final = ("true", "1")
_FALSE: Final = ("false", "0")


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb` (0 black … 1 white)."""
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two `#rrggbb` colours (1 … 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def color_contrast(color: str) -> str:
    """The text colour of a tag chip: white while it is readable enough, else black."""
    return WHITE if contrast_ratio(color, WHITE) >= MIN_WHITE_CONTRAST else BLACK


def check_color(value: Any) -> str:
    if not isinstance(value, str) or not _COLOR.fullmatch(value.strip()):
        raise BadRequest("tag[color] must be a colour as #rrggbb")
    return value.strip().lower()


def check_tag_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("Missing required parameter - tag[name]")
    name = value.strip()
    if len(name) > MAX_TAG_NAME_LENGTH or not name.isprintable():
        raise BadRequest(f"Tag names are 1-{MAX_TAG_NAME_LENGTH} printable characters")
    return name


def is_valid_tag_name(value: str) -> bool:
    try:
        return check_tag_name(value) == value
    except BadRequest:
        return False


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise BadRequest(f"tag[{name}] must be true or false")


def _label(name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_LABEL_LENGTH:
        raise BadRequest(f"tag[{name}] must be a text of at most {MAX_LABEL_LENGTH} "
                         "characters")
    return value


@dataclass(frozen=True, slots=True)
class TagFields:
    """What a request sets on a tag; None (or no label key) leaves a field as it is."""

    name: str | None = None
    labels: Mapping[str, str] | None = None
    color: str | None = None
    flags: Mapping[str, bool] | None = None  # model attribute → value

    @classmethod
    def read(cls, params: Mapping[str, Any]) -> TagFields:
        """The `tag` hash of the params (form, query or JSON). Raises BadRequest."""
        raw = params.get("tag")
        if not isinstance(raw, Mapping):
            raise BadRequest("Missing required parameter - tag")
        labels: dict[str, str] = {}
        nested = raw.get("label")
        if nested is not None:
            if not isinstance(nested, Mapping):
                raise BadRequest("tag[label] must be a hash of languages")
            for language, text in nested.items():
                if language not in LANGUAGES:
                    raise BadRequest(f"tag[label] languages are {', '.join(LANGUAGES)}")
                labels[language] = _label(f"label][{language}", text)
        for language in LANGUAGES:  # `label_en` wins over `label[en]`: it is the flat form
            if f"label_{language}" in raw:
                labels[language] = _label(f"label_{language}", raw[f"label_{language}"])
        return cls(
            name=check_tag_name(raw["name"]) if "name" in raw else None,
            labels=labels or None,
            color=check_color(raw["color"]) if "color" in raw else None,
            flags={attribute: _flag(key, raw[key]) for key, attribute in _FLAGS.items()
                   if key in raw} or None,
        )
