"""Every malformed transformation is a 400 GrammarError naming the component, key and reason."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.errors import GrammarError
from tessera.grammar.parse import from_options, parse_transformation
from tessera.grammar.serialize import serialize

# (text, 1-based component, key or None, words the message must contain)
URL_ERRORS: list[tuple[str, int, str | None, str]] = [
    ("c_fit,w_abc", 1, "w", "Invalid value 'abc' for 'w' in component 1"),
    ("c_fit/w_abc", 2, "w", "in component 2"),
    ("c_fit//w_100", 2, None, "Empty component 2"),
    ("/c_fit", 1, None, "Empty component 1"),
    ("c_fit/", 2, None, "Empty component 2"),
    ("c_fit,,w_100", 1, None, "Empty parameter in component 1"),
    ("c_fit,", 1, None, "Empty parameter"),
    ("c_fit/foo_bar", 2, "foo", "Unknown parameter foo in component 2"),
    ("W_100", 1, "W", "Unknown parameter 'W'"),
    ("vc_h264", 1, "vc", "Unsupported parameter 'vc'"),
    ("raw_c_fit", 1, "raw", "Unknown parameter raw"),  # no raw passthrough in URLs
    ("sample", 1, "sample", "expected key_value"),
    ("w_", 1, "w", "expected key_value"),
    ("w_100,w_200", 1, "w", "given twice"),
    ("c_bogus", 1, "c", "unknown crop mode"),
    ("c_imagga_scale", 1, "c", "unknown crop mode"),
    ("w_0", 1, "w", "must be greater than 0"),
    ("w_-5", 1, "w", "must be greater than 0"),
    ("w_0100", 1, "w", "malformed number '0100'"),
    ("x_1e5", 1, "x", "expression"),
    ("q_0", 1, "q", "must be at least 1"),
    ("q_101", 1, "q", "must be at most 100"),
    ("q_auto:fast", 1, "q", "expected 1-100"),
    ("o_101", 1, "o", "must be at most 100"),
    ("g_up", 1, "g", "unknown gravity"),
    ("g_north:center", 1, "g", "takes no qualifier"),
    ("fl_bogus", 1, "fl", "unknown flag"),
    ("fl_tiled.tiled", 1, "fl", "given twice"),
    ("fl_tiled:x", 1, "fl", "malformed argument for flag tiled"),
    ("e_nonsense", 1, "e", "unknown effect"),
    ("e_blur:3%0", 1, "e", "malformed effect argument"),
    ("a_up", 1, "a", "expected degrees"),
    ("a_45.", 1, "a", "expected degrees"),
    ("bo_5", 1, "bo", "expected <width>px_solid_<colour>"),  # SDK's numeric border (§10)
    ("b_#ff0000", 1, "b", "expected a colour name or rgb:<hex>"),
    ("co_rgb:ggg", 1, "co", "expected a colour"),
    ("co_Red", 1, "co", "expected a colour"),
    ("r_1:2:3:4:5", 1, "r", "at most 4"),
    ("ar_16:0", 1, "ar", "expected <width>:<height>"),
    ("dpr_0", 1, "dpr", "must be greater than 0"),
    ("z_-1", 1, "z", "must be greater than 0"),
    ("pg_0", 1, "pg", "expected pages"),
    ("pg_4-2", 1, "pg", "ends before it starts"),
    ("d_avatar", 1, "d", "with extension"),
    ("t_a:b", 1, "t", "malformed named transformation"),
    ("f_exe", 1, "f", "unknown format"),
    ("cs_icc:x", 1, "cs", "unknown color space"),
    ("l_text:Arial_20", 1, "l", "needs '<style>:<text>'"),
    ("l_text:Arial_20:", 1, "l", "has no text"),
    ("l_text:Arial_20_wobbly:Hi", 1, "l", "unknown text style keywords 'wobbly'"),
    ("l_video:dog", 1, "l", "video layers are not supported"),
    ("l_a::b", 1, "l", "malformed folder or public id"),
    ("u_%FF", 1, "u", "not UTF-8"),
    ("l_fetch:!!", 1, "l", "not base64url"),
    ("if_w_gt", 1, "if", "malformed expression"),
    ("if_w_foo_100", 1, "if", "unknown operator 'foo'"),
    ("w_bogus_add_1", 1, "w", "unknown operand 'bogus'"),
    ("$1a_10", 1, "$1a", "Unknown parameter $1a"),
]


@pytest.mark.parametrize(("text", "component", "key", "words"), URL_ERRORS,
                         ids=[case[0] for case in URL_ERRORS])
def test_url_errors(text: str, component: int, key: str | None, words: str) -> None:
    with pytest.raises(GrammarError) as caught:
        parse_transformation(text)
    error = caught.value
    assert (error.status, error.code) == (400, "bad_transformation")
    assert words in error.message
    assert error.context["component"] == component
    assert f"component {component}" in error.message
    assert error.context.get("key") == key
    if key is not None:
        assert key in error.message
        assert error.context["reason"]


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(GrammarError) as caught:
        parse_transformation("w_" + "x" * 500)
    assert len(caught.value.message) < 200
    assert caught.value.context["value"] == "x" * 500


# (options, component, option name, words)
OPTION_ERRORS: list[tuple[Any, int, str, str]] = [
    ({"width": "abc"}, 1, "width", "Invalid value 'abc' for option 'width' in component 1"),
    ([{"crop": "fit"}, {"crop": "bogus"}], 2, "crop", "unknown crop mode"),
    ({"transformation": [{"width": 5}], "quality": 500}, 2, "quality", "at most 100"),
    ({"border": 5}, 1, "border", "px_solid_"),
    ({"background": 5}, 1, "background", "expected a colour string"),
    ({"overlay": "text:Arial_20:a,b"}, 1, "overlay", "unescaped ','"),
    ({"overlay": {"text": "Hi"}}, 1, "overlay", "needs '<style>:<text>'"),
    ({"overlay": {"font_family": "Arial", "text": "Hi"}}, 1, "overlay", "font_size"),
    ({"overlay": {"type": "private"}}, 1, "overlay", "public_id"),
    ({"overlay": {"public_id": "clip", "resource_type": "video"}}, 1, "overlay",
     "video layers are not supported"),
    ({"flags": ["tiled", 5]}, 1, "flags", "expected strings"),
    ({"flags": "bogus"}, 1, "flags", "unknown flag"),
    ({"size": "100"}, 1, "size", "<width>x<height>"),
    ({"radius": [1, 2, 3, 4, 5]}, 1, "radius", "1 to 4"),
    ({"duration": 5}, 1, "duration", "not supported"),
    ({"width": True}, 1, "width", "Invalid value 'True'"),
    ({"x": False}, 1, "x", "Invalid value 'False'"),  # the SDK would write x_False
    ({"raw_transformation": "c_fit,foo_1"}, 1, "raw_transformation", "Unknown parameter foo"),
    ({"crop": "fit", "raw_transformation": "c_fill"}, 1, "c", "given twice"),
    ({"transformation": ["a", 5]}, 1, "transformation", "must be strings"),
    ({"variables": [("$a",)]}, 1, "variables", "(name, value) pairs"),
    ({"if": "w >", "raw_transformation": "c_fit"}, 1, "if", "malformed expression"),
    ({"$1x": 5, "raw_transformation": "c_fit"}, 1, "$1x", "malformed variable name"),
    ({"variables": [("$a", "w foo 2")]}, 1, "$a", "unknown operator 'foo'"),
]


@pytest.mark.parametrize(("options", "component", "option", "words"), OPTION_ERRORS,
                         ids=[str(case[0])[:40] for case in OPTION_ERRORS])
def test_option_errors(options: Any, component: int, option: str, words: str) -> None:
    with pytest.raises(GrammarError) as caught:
        from_options(options)
    error = caught.value
    assert error.status == 400
    assert words in error.message
    assert error.context["component"] == component
    assert f"component {component}" in error.message
    assert option in (error.context.get("option"), error.context.get("key"))


def test_unknown_option_keys_are_dropped() -> None:
    # seed 001: `miaim` and `super_plop` never reach the URL; URL-level keys are not params.
    options = {"width": 5, "miaim": "hey hey !", "super_plop": "test?", "html_width": 9,
               "type": "authenticated", "format": "jpg", "sign_url": True}
    assert serialize(from_options(options)) == "w_5"
    assert serialize(from_options({"miaim": 1})) == ""
    assert serialize(from_options([{"super_plop": 1}, {"crop": "fit"}])) == "c_fit"


def test_options_must_be_a_mapping_list_or_string() -> None:
    with pytest.raises(GrammarError, match="must be a dict"):
        from_options(5)  # type: ignore[arg-type]
