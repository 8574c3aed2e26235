"""Shared data for the grammar tests: the SDK vectors, the seed URLs and tokens, and the
official SDK configured as an oracle (used only here, never from src/)."""

from __future__ import annotations

import base64
import copy
import fractions
import json
import os
import re
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.utils

from tessera.grammar.parse import from_options
from tessera.grammar.url import build_delivery_url

WORK = Path(__file__).resolve().parents[3]
SPEC = WORK / "shared" / "spec"
SEEDS = WORK / "shared" / "seeds"
VECTORS: dict[str, Any] = json.loads((SPEC / "cloudinary-sdk-vectors.json").read_text())
URL_CASES: list[dict[str, Any]] = VECTORS["url_cases"]
SECRET = "abcd"  # noqa: S105 - the vectors' public test secret (about.config)

# cloudinary_url options that shape the URL, never a transformation parameter (grammar §2.3).
URL_LEVEL_KEYS = frozenset({"type", "resource_type", "version", "format", "sign_url", "secure",
                            "signature_algorithm", "long_url_signature", "force_version"})


def revive(value: Any) -> Any:
    """The vectors spell `fractions.Fraction(n, d)` as `{"__fraction__": [n, d]}`."""
    if isinstance(value, dict) and "__fraction__" in value:
        return fractions.Fraction(*value["__fraction__"])
    if isinstance(value, dict):
        return {k: revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revive(v) for v in value]
    return value


def case_options(case: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = revive(copy.deepcopy(case["options"]))
    return options


def transformation_options(case: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in case_options(case).items() if k not in URL_LEVEL_KEYS}


def build_case_url(case: dict[str, Any]) -> str:
    """Our URL for a vector case: from_options + build_delivery_url, no SDK involved."""
    options = case_options(case)
    return build_delivery_url(
        case["public_id"],
        cloud="demo",
        transformation=from_options(transformation_options(case)),
        resource_type=options.get("resource_type", "image"),
        type=options.get("type", "upload"),
        format=options.get("format"),
        version=options.get("version"),
        sign_url=options.get("sign_url", False),
        api_secret=SECRET,
        signature_algorithm=options.get("signature_algorithm", "sha1"),
        long_signature=options.get("long_url_signature", False),
        force_version=options.get("force_version", True),
        base_url="https://res.cloudinary.com" if options.get("secure", True)
        else "http://res.cloudinary.com",
    )


def seed_texts() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(SEEDS.glob("*.txt"))}


def seed_urls() -> list[str]:
    """Every literal Cloudinary delivery URL in the seeds (deduplicated, in order)."""
    found: dict[str, None] = {}
    for text in seed_texts().values():
        for url in re.findall(r"https?://res\.cloudinary\.com/[^\s\"<>#&]+", text):
            found[url] = None
    return list(found)


def seed_token_transformations(seed_prefix: str) -> list[dict[str, Any]]:
    """The `transformations` claim of the image token in the seed whose name starts so."""
    for name, text in seed_texts().items():
        if name.startswith(seed_prefix):
            token = re.search(r"token=(eyJ[\w-]+\.(eyJ[\w-]+)\.[\w-]+)", text)
            assert token is not None
            payload = token.group(2) + "=" * (-len(token.group(2)) % 4)
            claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
            return claims["transformations"]  # type: ignore[no-any-return]
    raise LookupError(seed_prefix)


def configure_sdk() -> None:
    """The vectors' configuration (`about.config`), with CLOUDINARY_URL unset."""
    os.environ.pop("CLOUDINARY_URL", None)
    cloudinary.reset_config()
    cloudinary.config(cloud_name="demo", api_key="1234", api_secret=SECRET, secure=True)


def sdk_transformation(options: Any) -> str:
    """The official SDK's transformation text for `options` (the oracle)."""
    text: str = cloudinary.utils.generate_transformation_string(**copy.deepcopy(options))[0]
    return text


def sdk_url(public_id: str, **options: Any) -> str:
    url: str = cloudinary.utils.cloudinary_url(public_id, **copy.deepcopy(options))[0]
    return url
