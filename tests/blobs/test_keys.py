"""The key grammar shared by both back ends."""

from __future__ import annotations

import pytest

from tessera.blobs import validate_key, validate_prefix


@pytest.mark.parametrize("key", ["a", "originals/" + "f" * 64, "derived/a_b/c-d/e.f.webp",
                                 "A.Z/0-9_", "x" * 255, "a..b", "a."])
def test_good_keys_pass_unchanged(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(("key", "reason"), [
    ("", "empty"),
    ("/etc/passwd", "relative"),
    ("a//b", "empty segment"),
    ("a/", "empty segment"),
    ("..", "starting with '.'"),
    ("a/../../b", "starting with '.'"),
    (".", "starting with '.'"),
    (".tmp/staged", "starting with '.'"),
    ("a\\..\\b", "outside"),
    ("a\x00b", "outside"),
    ("café", "outside"),
    ("x" * 256, "over 255"),
    ("a/" * 600, "longer than 1024"),
])
def test_bad_keys_say_why(key: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        validate_key(key)


@pytest.mark.parametrize("prefix", ["", "originals/", "originals/ab", "a/b/c", "d-"])
def test_good_prefixes_pass_unchanged(prefix: str) -> None:
    assert validate_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["/", "a//", "../", "a/.", ".tmp", "a b", "a\\"])
def test_bad_prefixes_are_rejected(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix|blob key"):
        validate_prefix(prefix)
