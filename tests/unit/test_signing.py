"""Upload, response and notification signatures against the official SDK's vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tessera.auth.signing import (
    api_sign,
    api_string_to_sign,
    notification_signature,
    response_signature,
    verify_upload_signature,
)

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec"
VECTORS = json.loads((SPEC / "cloudinary-sdk-vectors.json").read_text())
UPLOAD = VECTORS["upload_signatures"]


@pytest.mark.parametrize("case", UPLOAD, ids=[c["note"] for c in UPLOAD])
def test_upload_signature_vectors(case: dict) -> None:
    params, secret = case["params"], case["api_secret"]
    assert api_string_to_sign(params, case["signature_version"]) == case["string_to_sign"]
    assert api_sign(params, secret, case["signature_algorithm"],
                    case["signature_version"]) == case["signature"]
    assert verify_upload_signature(params, case["signature"], secret)


@pytest.mark.parametrize("case", UPLOAD, ids=[c["note"] for c in UPLOAD])
def test_tampered_upload_signatures_fail(case: dict) -> None:
    params, secret, signature = case["params"], case["api_secret"], case["signature"]
    # Another value for every signed parameter, in turn.
    for key in params:
        if params[key] in ("", None):
            continue
        tampered = {**params, key: f"{params[key]}x"}
        assert not verify_upload_signature(tampered, signature, secret), key
    # An extra parameter the signer did not sign.
    assert not verify_upload_signature({**params, "type": "private"}, signature, secret)
    # Another secret, a flipped digit, a truncated digest.
    assert not verify_upload_signature(params, signature, secret + "x")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not verify_upload_signature(params, flipped, secret)
    assert not verify_upload_signature(params, signature[:-1], secret)


def test_unsigned_fields_are_ignored_by_verification() -> None:
    params = {"public_id": "sample", "timestamp": "1700000000"}
    signature = api_sign(params, "abcd")
    sent = {**params, "file": "<bytes>", "api_key": "1234", "signature": signature,
            "cloud_name": "demo", "resource_type": "image"}
    assert verify_upload_signature(sent, signature, "abcd")


def test_response_signature_vector() -> None:
    case = UPLOAD[-1]
    assert response_signature(case["params"]["public_id"], case["params"]["version"],
                              case["api_secret"]) == case["signature"]


@pytest.mark.parametrize("case", VECTORS["notification_signatures"])
def test_notification_signature_vectors(case: dict) -> None:
    args = case["body"], case["timestamp"], case["api_secret"]
    assert notification_signature(*args) == case["signature_sha1"]
    assert notification_signature(*args, algorithm="sha256") == case["signature_sha256"]

