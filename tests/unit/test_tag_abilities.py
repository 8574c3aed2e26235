"""The tag decisions of `allows` (issue 5): organization views and `View.TAG_IMAGE`."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.auth.abilities import Abilities, OrganizationView, View, allows, authorize
from tessera.errors import Unauthorized


def _abilities(claims: dict[str, Any]) -> Abilities:
    return Abilities.from_claims(claims)


def _album(access: dict[str, Any] | None = None,
           tags: dict[str, Any] | None = None) -> Abilities:
    sections: dict[str, Any] = {}
    if access is not None:
        sections["Access"] = access
    if tags is not None:
        sections["Tags"] = tags
    return _abilities({"abilities": {"A": sections}})


@pytest.mark.parametrize(("abilities", "granted"), [
    (_abilities({"admin": True}), True),
    (_album({"image_list": True}), True),
    (_album({}, {"Roof": True}), True),
    (_album({"image_list": False}), False),
    (_album({"image_list": "true"}), False),
    (_abilities({"q": "*", "thumbnail_tags": True}), False),
    (_abilities({}), False),
])
def test_listing_tags_needs_an_album_ability(abilities: Abilities, granted: bool) -> None:
    assert allows(abilities, OrganizationView.TAGS) is granted


@pytest.mark.parametrize(("view", "ability"), [
    (OrganizationView.CREATE_TAG, "create_tag"), (OrganizationView.SHARE, "share")])
def test_create_and_share_need_the_ability_on_some_album(view: OrganizationView,
                                                         ability: str) -> None:
    assert allows(_album({ability: True}), view)
    assert allows(_abilities({"admin": True}), view)
    for denied in (_album({ability: False}), _album({"image_list": True}),
                   _album({}, {ability: True}), _abilities({"q": "*"})):
        assert not allows(denied, view)
        with pytest.raises(Unauthorized):
            authorize(denied, view)


def test_tagging_follows_can_tag() -> None:
    any_tag = _album({"image_tag": True})
    named = _album({}, {"Roof": True, "Wall": {"add": True}, "Door": False})
    assert allows(any_tag, View.TAG_IMAGE, "A", tag="Anything")
    assert not allows(any_tag, View.TAG_IMAGE, "B", tag="Anything")
    assert allows(named, View.TAG_IMAGE, "A", tag="Roof")
    assert allows(named, View.TAG_IMAGE, "A", tag="Wall")
    assert not allows(named, View.TAG_IMAGE, "A", tag="Door")
    assert not allows(named, View.TAG_IMAGE, "A", tag="Other")
    assert not allows(named, View.TAG_IMAGE, "B", tag="Roof")
    assert allows(_abilities({"admin": True}), View.TAG_IMAGE, "B", tag="x")
    assert named.named_tags() == frozenset({"Roof", "Wall"})
