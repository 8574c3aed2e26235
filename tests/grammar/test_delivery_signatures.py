"""Delivery signatures (grammar §8): both SDK rules verify, tampering fails."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from tessera.grammar.url import (
    delivery_signature,
    fully_decode,
    parse_delivery_path,
    verify_delivery_signature,
)
from tests.grammar.support import SECRET, URL_CASES, VECTORS

VARIANTS = VECTORS["unescaped_signature_variants"]
VARIANT_PARAMS = [pytest.param(v, id=f"case{v['url_case_id']}") for v in VARIANTS]
SIGNED_CASES = [pytest.param(case, id=f"case{case['id']:03d}") for case in URL_CASES
                if case["options"].get("sign_url")]


def _path(case_id: int) -> Any:
    return parse_delivery_path(urllib.parse.urlsplit(URL_CASES[case_id - 1]["url"]).path)


@pytest.mark.parametrize("variant", VARIANT_PARAMS)
def test_python_and_ruby_signatures_both_verify(variant: dict[str, Any]) -> None:
    path = _path(variant["url_case_id"])
    assert path.signed_text == variant["signed_text_as_python_sdk"]
    assert path.signature == variant["python_sdk_signature"]
    assert fully_decode(path.signed_text) == variant["fully_unescaped_text"]
    assert delivery_signature(variant["fully_unescaped_text"], SECRET) == \
        variant["signature_over_unescaped_text"]
    # The request carries the escaped text; either SDK's signature must be accepted.
    assert verify_delivery_signature(path.signed_text, variant["python_sdk_signature"], SECRET)
    assert verify_delivery_signature(path.signed_text, variant["signature_over_unescaped_text"],
                                     SECRET)


@pytest.mark.parametrize("case", SIGNED_CASES)
def test_tampered_signatures_fail(case: dict[str, Any]) -> None:
    path = _path(case["id"])
    signature = path.signature
    assert signature is not None
    assert verify_delivery_signature(path.signed_text, signature, SECRET)
    assert verify_delivery_signature(path.signed_text, f"s--{signature}--", SECRET)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not verify_delivery_signature(path.signed_text, flipped, SECRET)
    assert not verify_delivery_signature(path.signed_text, signature[:-1], SECRET)
    assert not verify_delivery_signature(path.signed_text + "x", signature, SECRET)
    assert not verify_delivery_signature("w_1/" + path.signed_text, signature, SECRET)
    assert not verify_delivery_signature(path.signed_text, signature, "abce")


def test_sha256_short_and_long_signatures() -> None:
    short, long = _path(102), _path(103)
    assert (short.signature, long.signature) == ("ZpqZj1Oc", "ZpqZj1Oc4nbeNu4FrlHDZCbYtTcdr4st")
    assert delivery_signature("sample.jpg", SECRET, algorithm="sha256") == "ZpqZj1Oc"
    assert delivery_signature("sample.jpg", SECRET, long=True) == long.signature
    assert verify_delivery_signature("sample.jpg", "ZpqZj1Oc", SECRET)
    assert verify_delivery_signature("sample.jpg", long.signature, SECRET)
    # Accounts without SHA-256 accept only SHA-1/8.
    assert not verify_delivery_signature("sample.jpg", "ZpqZj1Oc", SECRET, allow_sha256=False)
    assert not verify_delivery_signature("sample.jpg", long.signature, SECRET,
                                         allow_sha256=False)
    assert verify_delivery_signature("c_fit,w_300/sample.jpg", "MUmmw_Js", SECRET,
                                     allow_sha256=False)  # case 101


def test_signatures_of_other_lengths_never_verify() -> None:
    for signature in ("", "abc", "ZpqZj1O", "ZpqZj1Oc4", "s--ZpqZj1Oc4nb--"):
        assert not verify_delivery_signature("sample.jpg", signature, SECRET)


def test_fully_decode_stops_and_keeps_plus() -> None:
    assert fully_decode("a%252520b+c") == "a b+c"
    assert fully_decode("100%") == "100%"
    nested = "%20"
    for _ in range(12):
        nested = nested.replace("%", "%25")  # 13 decodes would reach " "
    assert fully_decode(nested) == "%252520"  # at most 10 rounds, as the Ruby gem
