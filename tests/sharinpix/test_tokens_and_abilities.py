"""Pure parts: token codec, abilities, Rails-style params, Ruby-gem option rules."""

from __future__ import annotations

import jwt
import pytest

from tessera.auth.abilities import (
    ALBUM_ACTIONS,
    Abilities,
    Action,
    ImageFacts,
    View,
    access_header,
    allows,
    authorize,
)
from tessera.auth.tokens import TokenCodec, token_from_authorization
from tessera.errors import BadRequest, Unauthorized
from tessera.http.routes.api_v1.nested_params import nest
from tessera.services.redirects import ruby_options

KEY = "k" * 48
SECRET = "s" * 43


def codec(at: float = 1_000_000.0) -> TokenCodec:
    return TokenCodec(KEY, clock=lambda: at)


@pytest.mark.parametrize("header", ['Token token="abc.def.ghi"', "Token token=abc.def.ghi",
                                    "Bearer abc.def.ghi", 'token token="abc.def.ghi"'])
def test_authorization_header_forms(header: str) -> None:
    assert token_from_authorization(header) == "abc.def.ghi"


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcg==", "Token", "Bearer"])
def test_authorization_header_without_token(header: str | None) -> None:
    assert token_from_authorization(header) is None


def test_client_token_without_exp_iat_and_typ_is_accepted() -> None:
    token = jwt.encode({"iss": "id", "admin": True}, SECRET, algorithm="HS256",
                       headers={"cty": "JWT"})
    verified = codec().verify(token, SECRET)
    assert verified.claims == {"iss": "id", "admin": True} and not verified.signed_by_server


def test_server_key_is_tried_first() -> None:
    token = codec().sign({"q": "*"})
    assert codec().verify(token, SECRET).signed_by_server


def test_refresh_sorts_claims_and_sets_times() -> None:
    token = codec(1554745124).refresh({"q": "*", "thumbnail_tags": True, "iss": "x",
                                       "exp": 1, "iat": 2})
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert list(claims) == ["exp", "iat", "iss", "q", "thumbnail_tags"]  # seed 003
    assert claims["iat"] == 1554745124 and claims["exp"] == 1554745124 + 14400


def test_refreshing_a_bounded_token_never_outlives_its_ceiling() -> None:
    start = 1_700_000_000
    issued = codec(start).sign_until({"q": "tag:x"}, start + 20_000)
    claims = codec(start).verify(issued, None).claims
    assert claims["exp"] == claims["max_exp"] == start + 20_000
    early = codec(start).verify(codec(start).refresh(claims), None).claims
    assert early["exp"] == start + 14400  # a normal 4 h X-token while the ceiling is far
    later = codec(start + 14_000)
    late = later.verify(later.refresh(early), None).claims
    assert late["exp"] == start + 20_000 and late["max_exp"] == start + 20_000
    past = codec(start + 20_001)
    with pytest.raises(Unauthorized):
        past.verify(later.refresh(late), None)  # expired: no refresh can revive it


@pytest.mark.parametrize("token", [
    "", "abc", "a.b.c", jwt.encode({"a": 1}, "wrong" * 10, algorithm="HS256"),
    jwt.encode({"exp": 10}, SECRET, algorithm="HS256"),
    jwt.encode({"iat": "x"}, SECRET, algorithm="HS256"),
])
def test_refused_tokens(token: str) -> None:
    with pytest.raises(Unauthorized) as info:
        TokenCodec(KEY).verify(token, SECRET)
    assert info.value.message == "Invalid token"  # the reason stays in `detail`


def test_abilities_only_true_grants() -> None:
    abilities = Abilities.from_claims({"abilities": {"A": {"Access": {
        "see": True, "image_list": "true", "image_upload": 1, "image_crop": False}}}})
    assert abilities.can(Action.SEE, "A")
    assert not abilities.can(Action.IMAGE_LIST, "A")
    assert not abilities.can(Action.IMAGE_UPLOAD, "A")
    assert not abilities.can(Action.SEE, "B")
    with pytest.raises(Unauthorized):
        authorize(abilities, Action.IMAGE_UPLOAD, "A")


def test_view_rules() -> None:
    image = ImageFacts("i", "A", frozenset({"t"}))
    bare = Abilities.from_claims({"transformations": []})
    assert allows(bare, View.TRANSFORMATION, "A", image)
    assert not allows(bare, View.IMAGE_JSON, "A", image)
    search = Abilities.from_claims({"q": "*"})
    assert allows(search, View.IMAGE_JSON, "A", image)
    assert not allows(search, View.TAG_IMAGES, "A", image)
    assert allows(Abilities.from_claims({"q": "*", "thumbnail_tags": True}), View.TAG_IMAGES,
                  "A", image)
    assert allows(Abilities.from_claims({"admin": True}), View.TAG_IMAGES, "Z", image)


def test_access_headers() -> None:
    assert access_header("image_crop") == "X-access-crop"
    assert access_header("create_tag") == "X-access-create-tag"
    headers = Abilities.from_claims({"admin": True}).access_headers("A", ALBUM_ACTIONS)
    assert len(headers) == len(ALBUM_ACTIONS) and set(headers.values()) == {"true"}
    extra = Abilities.from_claims({"abilities": {"A": {"Access": {
        "custom_thing": True, "Bad\r\nHeader": True}}}}).access_headers("A", ALBUM_ACTIONS)
    assert extra["X-access-custom-thing"] == "true" and len(extra) == len(ALBUM_ACTIONS) + 1


def test_rails_nested_params() -> None:
    assert nest([("cloudinary[colors][]", "#EBF1F9"), ("cloudinary[colors][]", "13.2"),
                 ("cloudinary[coordinates][faces][]", ""), ("metadatas[meta]", "data"),
                 ("cloudinary[image_metadata][JFIFVersion]", "1.01"), ("plain", "x")]) == {
        "cloudinary": {"colors": ["#EBF1F9", "13.2"], "coordinates": {"faces": [""]},
                       "image_metadata": {"JFIFVersion": "1.01"}},
        "metadatas": {"meta": "data"}, "plain": "x"}
    with pytest.raises(BadRequest):
        nest([("a", "1"), ("a[b]", "2")])
    with pytest.raises(BadRequest):
        nest([("a" + "[x]" * 20, "1")])


@pytest.mark.parametrize(("options", "expected"), [
    ({"width": 101, "flags": "tiled", "height": 102, "crop": "fit"},
     {"width": 101, "height": 102, "crop": "fit", "flags": None}),        # seed 001
    ({"width": 200, "overlay": "x", "flags": "tiled"},
     {"width": 200, "overlay": "x", "flags": "tiled"}),                   # kept with a layer
    ({"width": 300, "height": 200}, {}),                                  # Ruby: no crop mode
    ({"width": "auto", "border": 5}, {"width": "auto"}),                  # bare border dropped
    ({"background": "#ff0000", "crop": "pad"}, {"background": "rgb:ff0000", "crop": "pad"}),
    ({"effect": {"sharpen": 100, "x": 1}, "crop": "fit"},
     {"effect": ["sharpen", 100, "x", 1], "crop": "fit"}),
])
def test_ruby_options(options: dict[str, object], expected: dict[str, object]) -> None:
    assert ruby_options(options) == expected
