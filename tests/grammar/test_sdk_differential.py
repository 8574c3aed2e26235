"""Differential tests: for generated option dicts and public ids, our text and URLs equal the
official SDK's (`generate_transformation_string`, `cloudinary_url`) byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.grammar.parse import from_options, parse_transformation
from tessera.grammar.serialize import serialize
from tessera.grammar.url import build_delivery_url, parse_delivery_path, verify_delivery_signature
from tests.grammar.strategies import sdk_dicts, sdk_options
from tests.grammar.support import SECRET, configure_sdk, sdk_transformation, sdk_url

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True, scope="module")
def _sdk() -> Iterator[None]:
    configure_sdk()
    yield


@SETTINGS
@given(sdk_options())
def test_options_match_the_sdk(options: dict[str, Any]) -> None:
    expected = sdk_transformation(options)
    transformation = from_options(options)
    assert serialize(transformation) == expected
    assert parse_transformation(expected) == transformation


@SETTINGS
@given(st.lists(sdk_dicts, min_size=1, max_size=4))
def test_token_lists_match_the_sdk(tokens: list[dict[str, Any]]) -> None:
    # SharinPix token `transformations` is a list of option dicts (seeds 000, 001).
    assert serialize(from_options(tokens)) == sdk_transformation({"transformation": tokens})


public_ids = st.one_of(
    st.from_regex(r"[a-z0-9_\-]{1,10}(/[a-z0-9_\-]{1,10}){0,2}", fullmatch=True),
    st.text(st.characters(codec="utf-8", exclude_characters="/?#",
                          exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12),
    st.sampled_from(["my photo é", "my%20photo", "a//b", "dossier/été 2024", "100%"]),
)
url_options = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["upload", "private", "authenticated"]),
    "format": st.sampled_from(["jpg", "png", "webp"]),
    "version": st.integers(1, 2_000_000_000),
    "sign_url": st.booleans(),
    "signature_algorithm": st.sampled_from(["sha1", "sha256"]),
    "long_url_signature": st.booleans(),
    "force_version": st.booleans(),
})


@SETTINGS
@given(public_ids, url_options, sdk_dicts)
def test_urls_match_the_sdk(public_id: str, url: dict[str, Any],
                            options: dict[str, Any]) -> None:
    expected = sdk_url(public_id, **url, **options)
    built = build_delivery_url(
        public_id, cloud="demo", transformation=from_options(options),
        type=url.get("type", "upload"), format=url.get("format"), version=url.get("version"),
        sign_url=url.get("sign_url", False), api_secret=SECRET,
        signature_algorithm=url.get("signature_algorithm", "sha1"),
        long_signature=url.get("long_url_signature", False),
        force_version=url.get("force_version", True))
    assert built == expected
    if url.get("sign_url"):
        path = parse_delivery_path(expected.removeprefix("https://res.cloudinary.com"))
        assert path.signature is not None
        assert verify_delivery_signature(path.signed_text, path.signature, SECRET)
