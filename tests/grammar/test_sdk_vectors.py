"""All 114 `url_cases` of the SDK vectors: options -> our URL equals the SDK's URL, and the URL
parses back to the same public id, format, version, signature validity and transformation."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from tessera.grammar.parse import from_options, parse_transformation
from tessera.grammar.serialize import serialize
from tessera.grammar.url import parse_delivery_path, verify_delivery_signature
from tests.grammar.support import (
    SECRET,
    URL_CASES,
    build_case_url,
    case_options,
    transformation_options,
)

CASES = [pytest.param(case, id=f"case{case['id']:03d}") for case in URL_CASES]


def test_all_114_cases_are_loaded() -> None:
    assert [case["id"] for case in URL_CASES] == list(range(1, 115))


@pytest.mark.parametrize("case", CASES)
def test_options_build_the_sdk_url(case: dict[str, Any]) -> None:
    assert build_case_url(case) == case["url"]


@pytest.mark.parametrize("case", CASES)
def test_sdk_url_parses_back(case: dict[str, Any]) -> None:
    options = case_options(case)
    path = parse_delivery_path(urllib.parse.urlsplit(case["url"]).path)

    assert path.cloud == "demo"
    assert path.resource_type == options.get("resource_type", "image")
    assert path.type == options.get("type", "upload")
    # The SDK decodes an already-escaped id before escaping it (case 110): compare decoded.
    assert path.public_id == urllib.parse.unquote(case["public_id"])
    assert path.extension == options.get("format")
    expected_version = options.get("version")
    if expected_version is None and "/" in case["public_id"] and options.get("force_version",
                                                                               True):
        expected_version = 1  # v1 inserted for ids with folders (cases 105, 113)
    assert path.version == expected_version

    if options.get("sign_url"):
        assert path.signature is not None
        assert verify_delivery_signature(path.signed_text, path.signature, SECRET)
        assert not verify_delivery_signature(path.signed_text, path.signature, SECRET + "x")
    else:
        assert path.signature is None

    text = path.transformation_text
    assert serialize(parse_transformation(text)) == text
    # The URL's AST is the one built from the options (literal order included).
    assert path.transformation == from_options(transformation_options(case))


@pytest.mark.parametrize("case", CASES)
def test_canonical_text_is_sorted_sdk_text(case: dict[str, Any]) -> None:
    transformation = from_options(transformation_options(case))
    canonical = serialize(transformation, canonical=True)
    assert parse_transformation(canonical).canonical() == transformation.canonical()
    for component in canonical.split("/") if canonical else []:
        keys = [param.partition("_")[0] for param in component.split(",")]
        assert keys == sorted(keys, key=lambda key: key + "_")


def test_raw_transformation_order_is_kept() -> None:
    # case 97: raw_transformation is appended after the sorted parameters.
    case = URL_CASES[96]
    transformation = from_options(transformation_options(case))
    assert transformation.components[0].literal_order == ("c", "w", "e", "o")
    assert serialize(transformation) == "c_scale,w_100,e_grayscale,o_80"
    assert serialize(transformation, canonical=True) == "c_scale,e_grayscale,o_80,w_100"


def test_seed_chain_signature_matches_worked_example() -> None:
    # §8 worked example, case 91: the signature covers the literal text without the version.
    case = URL_CASES[90]
    path = parse_delivery_path(urllib.parse.urlsplit(case["url"]).path)
    assert path.signature == "PD3K3fq3"
    assert path.signed_text == (
        "c_fit,h_1920,w_1920/fl_attachment/dpr_auto,q_auto,f_auto/"
        "fl_tiled,l_private:d47e609177b4,w_200/c_fit,h_102,w_101/ba5a440dbe3d.jpg")
    assert verify_delivery_signature(path.signed_text, "PD3K3fq3", SECRET)
    with_version = path.signed_text.replace("ba5a", "v123123/ba5a")
    assert not verify_delivery_signature(with_version, "PD3K3fq3", SECRET)
