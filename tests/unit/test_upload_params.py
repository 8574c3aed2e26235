"""Upload parameters as clients spell them."""

from __future__ import annotations

import pytest

from tessera.errors import BadRequest
from tessera.services.upload_params import UploadParams, parse_context, random_public_id


def test_sdk_flags_and_lists() -> None:
    params = UploadParams.from_fields({
        "public_id": "c6y8knpw2ywwwfc6cykj", "type": "authenticated", "faces": "1",
        "image_metadata": "1", "colors": "1", "phash": "true", "tags": "a0Ab000000u975pEAA,x",
        "overwrite": "0",
    })
    assert params.public_id == "c6y8knpw2ywwwfc6cykj"
    assert params.type == "authenticated"
    assert (params.faces, params.image_metadata, params.colors, params.phash) == (
        True, True, True, True)
    assert params.tags == ("a0Ab000000u975pEAA", "x")
    assert params.overwrite is False


def test_folder_joins_public_id_and_defaults() -> None:
    params = UploadParams.from_fields({"folder": "albums/42", "public_id": "photo"})
    assert params.public_id == "albums/42/photo"
    generated = UploadParams.from_fields({"folder": "albums/42"}).public_id
    assert generated is not None and generated.startswith("albums/42/")
    assert len(generated.split("/")[-1]) == 20
    plain = UploadParams.from_fields({})
    assert plain.public_id is None and plain.type == "upload" and plain.overwrite is True


def test_exif_alias_requests_metadata() -> None:
    assert UploadParams.from_fields({"exif": "true"}).image_metadata is True


@pytest.mark.parametrize("fields, message", [
    ({"type": "fetch"}, "Invalid type"),
    ({"colors": "maybe"}, "Invalid value for colors"),
    ({"public_id": "../etc/passwd"}, "dot path segment"),
    ({"public_id": "a\x00b"}, "forbidden character"),
    ({"public_id": "x" * 300}, "longer than 255"),
    ({"notification_url": "file:///etc/passwd"}, "only http(s)"),
    ({"context": "novalue"}, "expected key=value"),
])
def test_bad_parameters_are_refused(fields: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequest, match=message.replace("(", r"\(").replace(")", r"\)")):
        UploadParams.from_fields(fields)


def test_context_escapes() -> None:
    assert parse_context(r"alt=x|caption=a\=b\|c") == {"alt": "x", "caption": "a=b|c"}
    assert parse_context("") == {}


def test_random_public_ids_differ() -> None:
    ids = {random_public_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(i.isalnum() and i.islower() or i.isdigit() for i in ids)
