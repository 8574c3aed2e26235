"""`derive_claims`: a derived token never grants more than its caller (issue 5). Every claim
is checked as a table (caller holds × token asks → granted), then Hypothesis throws arbitrary
callers and requests at it and checks, through `Abilities` and `allows`, that nothing the
derived token may do is something the caller may not."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.auth.abilities import ALBUM_ACTIONS, Abilities, Action, ImageFacts, View, allows
from tessera.auth.delegation import MAX_LIFETIME, derive_claims
from tessera.errors import BadRequest

NOW = 1_700_000_000


def derive(caller: dict[str, Any], requested: dict[str, Any]) -> dict[str, Any]:
    return derive_claims(Abilities.from_claims(caller), caller, requested, NOW)


def album(album_id: str, **access: Any) -> dict[str, Any]:
    return {"abilities": {album_id: {"Access": access}}}


# --- admin --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller_admin", "asked", "granted"), [
    (True, True, True),
    (True, None, False),
    (True, "true", False),
    (False, True, False),
])
def test_admin(caller_admin: bool, asked: Any, granted: bool) -> None:
    caller = {"admin": True} if caller_admin else album("A", image_list=True)
    requested = {"admin": asked, **album("A", image_list=True)} if asked is not None \
        else album("A", image_list=True)
    assert (derive(caller, requested).get("admin") is True) is granted


# --- album abilities ----------------------------------------------------------------------------


@pytest.mark.parametrize("action", [str(a) for a in ALBUM_ACTIONS] + ["custom_ability"])
@pytest.mark.parametrize("held", [True, False, None, "true"])
@pytest.mark.parametrize("asked", [True, False, None])
def test_album_access_is_an_intersection(action: str, held: Any, asked: Any) -> None:
    # A tag grant on both sides keeps the derived token scoped whatever the case.
    caller = {"abilities": {"A": {"Access": {action: held} if held is not None else {},
                                  "Tags": {"base": True}}}}
    requested = {"abilities": {"A": {"Access": {action: asked} if asked is not None else {},
                                     "Tags": {"base": True}}}}
    claims = derive(caller, requested)
    granted = claims["abilities"]["A"].get("Access", {}).get(action)
    assert granted is (True if held is True and asked is True else None)


def test_abilities_on_another_album_are_dropped() -> None:
    claims = derive(album("A", image_list=True),
                    {"abilities": {"A": {"Access": {"image_list": True}},
                                   "B": {"Access": {"image_list": True, "see": True}}}})
    assert claims["abilities"] == {"A": {"Access": {"image_list": True}}}


def test_admin_caller_grants_any_album_ability() -> None:
    requested = {"abilities": {"X": {"Access": {"image_delete": True, "trash": True},
                                     "Tags": {"t1": True}}}}
    assert derive({"admin": True}, requested)["abilities"] == requested["abilities"]


@pytest.mark.parametrize(("held", "asked", "expected"), [
    ({"Access": {"image_tag": True}}, {"a": True, "b": {"add": True}}, {"a": True, "b": True}),
    ({"Tags": {"a": True}}, {"a": True, "b": True}, {"a": True}),
    ({"Tags": {"a": {"add": True}}}, {"a": {"add": True}}, {"a": True}),
    ({"Tags": {"a": False}}, {"a": True}, None),
    ({"Access": {"image_list": True}}, {"a": True}, None),
])
def test_tag_grants(held: dict[str, Any], asked: dict[str, Any], expected: Any) -> None:
    sections = {**held, "Access": {"see": True, **held.get("Access", {})}}
    caller = {"abilities": {"A": sections}}
    claims = derive(caller, {"abilities": {"A": {"Access": {"see": True}, "Tags": asked}}})
    assert claims["abilities"]["A"].get("Tags") == expected


# --- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "asked", "expected"), [
    ({"admin": True}, "tag:x", "tag:x"),
    ({"admin": True}, "*", "*"),
    ({"q": "*"}, "album_id:A", "album_id:A"),
    ({"q": "*"}, "*", "*"),
    ({"q": "album_id:A"}, "*", "album_id:A"),
    ({"q": "album_id:A"}, "tag:x", "album_id:A tag:x"),
    ({"q": "album_id:A"}, "album_id:B", "album_id:A album_id:B"),  # matches nothing: fine
    ({"q": "album_id:A"}, None, "album_id:A"),
    ({**album("A", image_list=True), "q": "tag:x"}, "*", "tag:x"),
    ({"q": ""}, "album_id:A", ""),            # a scope matching nothing stays so
    ({"q": "lyon"}, "*", "lyon"),
    ({"q": "lyon"}, "album_id:A", "lyon"),
])
def test_search_query_only_narrows(caller: dict[str, Any], asked: Any, expected: str) -> None:
    requested = {"q": asked} if asked is not None else {}
    if "q" in caller and asked is None:
        requested = {"q": "*"}
    assert derive(caller, requested)["q"] == expected


def test_album_token_gets_no_search_scope() -> None:
    with pytest.raises(BadRequest):
        derive(album("A", image_list=True), {"q": "*"})
    claims = derive(album("A", image_list=True), {"q": "*", **album("A", image_list=True)})
    assert "q" not in claims


@pytest.mark.parametrize("grant", ["image_delete", "download", "thumbnail_tags"])
@pytest.mark.parametrize("held", [True, False])
def test_search_grants(grant: str, held: bool) -> None:
    caller = {"q": "*", **({grant: True} if held else {})}
    claims = derive(caller, {"q": "*", grant: True})
    assert (claims.get(grant) is True) is held
    assert derive({"admin": True}, {"q": "*", grant: True})[grant] is True


def test_search_grants_need_a_query() -> None:
    claims = derive({"admin": True}, {"image_delete": True, **album("A", see=True)})
    assert "image_delete" not in claims


# --- flags and restrictions ---------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "granted"), [
    ({"image_urls": True, **album("A", see=True)}, True),
    ({"image_urls": False, **album("A", see=True)}, False),
    (album("A", see=True), False),
    ({"admin": True}, True),
])
def test_image_urls(caller: dict[str, Any], granted: bool) -> None:
    claims = derive(caller, {"image_urls": True, **album("A", see=True)})
    assert (claims.get("image_urls") is True) is granted


def test_caller_restrictions_always_carry_over() -> None:
    caller = {**album("A", image_list=True), "transformations": [{"overlay": "wm"}],
              "image_id": "img-1", "user_id": "u1", "sharinpix": {"download": False}}
    claims = derive(caller, {**album("A", image_list=True), "transformations": [],
                             "image_id": "img-2", "user_id": "u2",
                             "sharinpix": {"download": True}})
    assert claims["transformations"] == [{"overlay": "wm"}]
    assert claims["image_id"] == "img-1"
    assert claims["user_id"] == "u1"
    assert claims["sharinpix"] == {"download": False}


def test_requested_restrictions_are_kept() -> None:
    claims = derive(album("A", image_list=True),
                    {**album("A", image_list=True), "transformations": [{"width": 10}],
                     "image_id": "img-2", "sharinpix": {"download": False}})
    assert claims["transformations"] == [{"width": 10}]
    assert claims["image_id"] == "img-2"
    assert claims["sharinpix"] == {"download": False}


@pytest.mark.parametrize(("caller", "asked", "expected"), [
    ({"admin": True}, "u9", "u9"),
    ({"admin": True, "user_id": "u1"}, "u9", "u1"),
    (album("A", see=True), "u9", None),
    ({**album("A", see=True), "user_id": "u1"}, None, "u1"),
])
def test_user_id(caller: dict[str, Any], asked: Any, expected: Any) -> None:
    requested = {**album("A", see=True), **({"user_id": asked} if asked else {})}
    assert derive(caller, requested).get("user_id") == expected


def test_a_bare_token_stays_bare() -> None:
    caller = {"transformations": [{"width": 50}]}
    claims = derive(caller, {"admin": True, **album("A", image_list=True), "q": "*"})
    assert set(claims) == {"transformations", "iat", "exp", "max_exp"}
    assert not Abilities.from_claims(claims).is_scoped


def test_a_bare_token_adds_no_transformations() -> None:
    claims = derive({}, {"transformations": [{"overlay": "upload:secret_asset"}]})
    assert set(claims) == {"iat", "exp", "max_exp"}


@pytest.mark.parametrize("requested", [
    {},
    {"admin": True},
    album("B", image_list=True),
    {"q": "*"},
    {"image_urls": True},
    {"transformations": [{"width": 10}]},
])
def test_a_scoped_caller_never_derives_a_bare_token(requested: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        derive(album("A", image_list=True), requested)


# --- lifetime -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller_exp", "asked", "expected"), [
    (None, None, NOW + MAX_LIFETIME),
    (None, NOW + 60, NOW + 60),
    (None, NOW + 10 * MAX_LIFETIME, NOW + MAX_LIFETIME),
    (NOW + 120, None, NOW + 120),
    (NOW + 120, NOW + 3600, NOW + 120),
    (NOW + 120, NOW + 30, NOW + 30),
])
def test_lifetime_is_bounded(caller_exp: Any, asked: Any, expected: int) -> None:
    caller = {**album("A", see=True), **({"exp": caller_exp} if caller_exp else {})}
    requested = {**album("A", see=True), **({"exp": asked} if asked else {})}
    claims = derive(caller, requested)
    assert claims["exp"] == expected and claims["iat"] == NOW


@pytest.mark.parametrize("exp", ["soon", 1.5, True, NOW, NOW - 10])
def test_bad_exp_is_refused(exp: Any) -> None:
    with pytest.raises(BadRequest):
        derive(album("A", see=True), {**album("A", see=True), "exp": exp})


# --- never more than the caller (property) ------------------------------------------------------

ALBUMS = ["A", "B"]
ACTION_NAMES = [str(a) for a in ALBUM_ACTIONS]
_grants = st.dictionaries(st.sampled_from(ACTION_NAMES), st.sampled_from([True, False, "true"]),
                          max_size=5)
_tags = st.dictionaries(st.sampled_from(["t1", "t2"]),
                        st.sampled_from([True, False, {"add": True}]), max_size=2)
_albums = st.dictionaries(st.sampled_from(ALBUMS),
                          st.fixed_dictionaries({}, optional={"Access": _grants, "Tags": _tags}),
                          max_size=2)
_query = st.sampled_from(["*", "album_id:A", "tag:t1", "image_id:i1", "album_id:A tag:t1",
                          "lyon", ""])
_flag = st.sampled_from([True, False, None])
_claims = st.fixed_dictionaries({}, optional={
    "admin": _flag, "abilities": _albums, "q": _query, "image_delete": _flag,
    "download": _flag, "thumbnail_tags": _flag, "image_urls": _flag,
    "transformations": st.just([{"width": 10}]), "image_id": st.sampled_from(["i1", "i2"]),
    "user_id": st.sampled_from(["u1", "u2"]),
    "sharinpix": st.sampled_from([{}, {"download": False}])})
IMAGES = [ImageFacts(image_id=i, album_id=a, tags=frozenset(t))
          for i in ("i1", "i2") for a in ALBUMS for t in ((), ("t1",), ("t2",))]


@settings(max_examples=400, deadline=None)
@given(caller=_claims, requested=_claims)
def test_never_more_than_the_caller(caller: dict[str, Any], requested: dict[str, Any]) -> None:
    held = Abilities.from_claims(caller)
    try:
        claims = derive_claims(held, caller, requested, NOW)
    except BadRequest:
        return
    derived = Abilities.from_claims(claims)
    assert not derived.admin or held.admin
    assert derived.image_urls <= (held.image_urls or held.admin)
    assert derived.search_grants <= held.search_grants or held.admin
    assert derived.is_scoped or not held.is_scoped
    if held.transformations is not None or not held.is_scoped:
        assert derived.transformations == held.transformations
    if held.image_id is not None:
        assert derived.image_id == held.image_id
    if held.user_id is not None:
        assert derived.user_id == held.user_id
    assert derived.download <= held.download
    for album_id in ALBUMS + ["C"]:
        for action in ACTION_NAMES:
            assert not derived.can(action, album_id) or held.can(action, album_id)
        for tag in ("t1", "t2", "t3"):
            assert not derived.can_tag(album_id, tag) or held.can_tag(album_id, tag)
    for image in IMAGES:
        for view in (View.IMAGE_JSON, View.IMAGE_DELETE, View.TAG_IMAGES, View.EXTERNAL_URL):
            assert not allows(derived, view, image.album_id, image) \
                or allows(held, view, image.album_id, image), view
        assert not allows(derived, View.TRANSFORMATION, image.album_id, image) \
            or allows(held, View.TRANSFORMATION, image.album_id, image)
        assert not allows(derived, Action.IMAGE_LIST, image.album_id) \
            or allows(held, Action.IMAGE_LIST, image.album_id)
