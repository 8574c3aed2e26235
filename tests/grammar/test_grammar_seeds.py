"""The recorded SharinPix seeds: every delivery URL they contain splits, round-trips and
rebuilds; the token transformations map to the SDK text (unknown keys dropped)."""

from __future__ import annotations

import urllib.parse

import pytest

from tessera.grammar.ast import Auto, DeliveryType, Flag, Format, ImageLayer, QualityAuto
from tessera.grammar.parse import from_options, parse_transformation
from tessera.grammar.serialize import serialize
from tessera.grammar.url import build_delivery_url, parse_delivery_path
from tests.grammar.support import (
    configure_sdk,
    sdk_transformation,
    seed_token_transformations,
    seed_urls,
)

URLS = seed_urls()


def test_seeds_hold_the_expected_urls() -> None:
    assert len(URLS) == 18
    assert all("/image/authenticated/s--" in url for url in URLS)


@pytest.mark.parametrize("url", URLS)
def test_seed_url_round_trips(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    path = parse_delivery_path(parts.path)
    assert path.type == "authenticated"
    assert path.extension == "jpg"
    assert path.version in (123123, 1484586860)
    assert path.signature is not None and len(path.signature) == 8
    assert serialize(parse_transformation(path.transformation_text)) == path.transformation_text
    assert path.signed_text == "/".join(
        p for p in (path.transformation_text, f"{path.public_id}.jpg") if p)
    # Unsigned rebuild = the seed URL minus its signature segment (secret unknown).
    rebuilt = build_delivery_url(
        path.public_id, cloud=path.cloud, transformation=path.transformation,
        type=path.type, format=path.extension, version=path.version,
        base_url=f"{parts.scheme}://{parts.netloc}")
    assert rebuilt == url.replace(f"/s--{path.signature}--", "")


def test_signatures_may_start_with_dashes() -> None:
    signatures = {parse_delivery_path(urllib.parse.urlsplit(u).path).signature for u in URLS}
    assert "-fYBFoyF" in signatures  # `s---fYBFoyF--` (seed 004)


def test_seed_auto_component_keeps_its_order() -> None:
    component = parse_transformation("dpr_auto,q_auto,f_auto").components[0]
    assert (component.dpr, component.quality, component.fetch_format) == (
        Auto(), QualityAuto.AUTO, Format.AUTO)
    assert component.literal_order == ("dpr", "q", "f")
    assert serialize(parse_transformation("dpr_auto,q_auto,f_auto")) == "dpr_auto,q_auto,f_auto"
    assert serialize(parse_transformation("dpr_auto,q_auto,f_auto"), canonical=True) == \
        "dpr_auto,f_auto,q_auto"  # what an options hash gives (case 92)


def test_seed_000_token_transformations() -> None:
    configure_sdk()
    tokens = seed_token_transformations("000")
    expected = ("c_fit,w_800/c_fit,l_b48fff71-a649-41dc-8f35-67229b3fd584,w_800,x_800/"
                "c_fit,l_372083d9-8179-4161-af8c-6cbfecd9219a,w_800,x_1200")
    assert serialize(from_options(tokens)) == expected
    assert sdk_transformation({"transformation": tokens}) == expected
    # SharinPix maps token image ids to Cloudinary layers; then the tail of the seed URL appears.
    mapped = [tokens[0], {**tokens[1], "overlay": "authenticated:3bc669b21d8e"},
              {**tokens[2], "overlay": "authenticated:e199b75435bf"}]
    assert URLS[0].endswith("/" + serialize(from_options(mapped)) + "/v123123/f7332109c6c5.jpg")


def test_seed_001_token_drops_unknown_keys() -> None:
    configure_sdk()
    tokens = seed_token_transformations("001")
    assert {"miaim", "super_plop"} <= tokens[0].keys()
    transformation = from_options(tokens)
    expected = "fl_tiled,l_3d616b4e-a597-4b23-aa3d-d7de678f0ba6,w_200/c_fit,fl_tiled,h_102,w_101"
    assert serialize(transformation) == expected
    assert sdk_transformation({"transformation": tokens}) == expected
    first = transformation.components[0]
    assert first.overlay == ImageLayer("3d616b4e-a597-4b23-aa3d-d7de678f0ba6")
    assert first.has_flag(Flag.TILED) and first.width == 200


def test_seed_private_layer_parses() -> None:
    path = parse_delivery_path(urllib.parse.urlsplit(URLS[1]).path)
    layer = path.transformation.components[3].overlay
    assert layer == ImageLayer("d47e609177b4", DeliveryType.PRIVATE)
    assert path.public_id == "ba5a440dbe3d"
