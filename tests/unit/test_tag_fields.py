"""Tag fields (issue 5): colour validation, WCAG luminance and the contrasting text colour,
and reading `tag[…]` params."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.errors import BadRequest
from tessera.services.tag_fields import (
    BLACK,
    WHITE,
    TagFields,
    check_color,
    color_contrast,
    contrast_ratio,
    relative_luminance,
)


@pytest.mark.parametrize(("color", "luminance"), [
    ("#000000", 0.0), ("#ffffff", 1.0), ("#ff0000", 0.2126), ("#00ff00", 0.7152),
    ("#0000ff", 0.0722), ("#808080", 0.2159), ("#009688", 0.2359),
])
def test_relative_luminance_follows_wcag(color: str, luminance: float) -> None:
    assert relative_luminance(color) == pytest.approx(luminance, abs=5e-4)


def test_contrast_ratio_bounds_and_symmetry() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#123456", "#123456") == pytest.approx(1.0)
    assert contrast_ratio("#009688", WHITE) == contrast_ratio(WHITE, "#009688")
    assert contrast_ratio("#009688", WHITE) == pytest.approx(3.67, abs=0.01)


@pytest.mark.parametrize(("color", "text"), [
    ("#009688", WHITE),  # seed 003
    ("#000000", WHITE), ("#0000ff", WHITE), ("#f44336", WHITE), ("#808080", WHITE),
    ("#ffffff", BLACK), ("#ffeb3b", BLACK), ("#00ff00", BLACK), ("#999999", BLACK),
])
def test_color_contrast_picks_readable_text(color: str, text: str) -> None:
    assert color_contrast(color) == text
    if text == WHITE:
        assert contrast_ratio(color, WHITE) >= 3.0
    else:
        assert contrast_ratio(color, WHITE) < 3.0 < contrast_ratio(color, BLACK)


@pytest.mark.parametrize("value", ["#ABCDEF", " #abcdef ", "#aBcDeF"])
def test_colours_are_normalised(value: str) -> None:
    assert check_color(value) == "#abcdef"


@pytest.mark.parametrize("value", ["abcdef", "#abc", "#abcdeg", "#abcdef0", "red", "", 12,
                                   None, ["#abcdef"], "#ab cde"])
def test_bad_colours_are_refused(value: Any) -> None:
    with pytest.raises(BadRequest):
        check_color(value)


def test_read_all_fields() -> None:
    fields = TagFields.read({"tag": {"name": " Roof ", "label_en": "Roof", "label_fr": "Toit",
                                     "color": "#FF0000", "public": "true", "listed": "0",
                                     "visible": True, "allow_download": "false"}})
    assert fields.name == "Roof"
    assert fields.labels == {"en": "Roof", "fr": "Toit"}
    assert fields.color == "#ff0000"
    assert fields.flags == {"is_public": True, "listed": False, "visible": True,
                            "allow_download": False}


def test_read_nested_labels_and_flat_ones_win() -> None:
    fields = TagFields.read({"tag": {"label": {"en": "A", "fr": "B"}, "label_fr": "C"}})
    assert fields.name is None and fields.color is None and fields.flags is None
    assert fields.labels == {"en": "A", "fr": "C"}


@pytest.mark.parametrize("params", [
    {}, {"tag": "x"}, {"tag": {"name": ""}}, {"tag": {"name": "  "}}, {"tag": {"name": 3}},
    {"tag": {"name": "a" * 256}}, {"tag": {"name": "a\nb"}}, {"tag": {"public": "yes"}},
    {"tag": {"visible": 1}}, {"tag": {"label": "x"}}, {"tag": {"label": {"de": "x"}}},
    {"tag": {"label_en": ["x"]}}, {"tag": {"label_fr": "x" * 256}},
    {"tag": {"color": "blue"}},
])
def test_bad_fields_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        TagFields.read(params)
