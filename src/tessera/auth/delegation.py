"""Deriving a token from a token (`POST /api/v1/token`, issue 5): the claims of the new token
are the requested ones intersected with what the caller holds, so a derived token never
grants more than its caller.

Pure, like `abilities`. Grants are kept only where the caller holds them (`Abilities.can`,
`can_tag`, the search grants, `image_urls`, `admin`); a search `q` is granted only to an admin
or a search token, and then ANDed with the caller's own `q`. Restrictions always carry over:
the caller's `transformations`, `image_id`, `user_id` and `sharinpix.download: false` win over
whatever is asked (a bare token cannot add transformations either). A caller that is scoped
(admin, album abilities or search) never derives an unscoped token: that would be a bare
transformation token, valid for every image of the organization (seeds 000/001); such a
request is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tessera.auth.abilities import Abilities, tag_grants
from tessera.auth.tokens import CEILING
from tessera.errors import BadRequest

MAX_LIFETIME: Final = 14400  # seconds, as an X-token (seed 003)
SEARCH_GRANTS: Final = ("image_delete", "download", "thumbnail_tags")


def _true_names(value: Any) -> list[str]:
    if not isinstance(value, Mapping):
        return []
    return [str(name) for name, granted in value.items() if granted is True]


def _albums(caller: Abilities, requested: Any) -> dict[str, Any]:
    if not isinstance(requested, Mapping):
        return {}
    albums: dict[str, Any] = {}
    for album_id, sections in requested.items():
        if not isinstance(sections, Mapping):
            continue
        album = str(album_id)
        access = {name: True for name in _true_names(sections.get("Access"))
                  if caller.can(name, album)}
        tags = {name: True for name in tag_grants(sections.get("Tags"))
                if caller.can_tag(album, name)}
        if access or tags:
            albums[album] = {**({"Access": access} if access else {}),
                             **({"Tags": tags} if tags else {})}
    return albums


def _query(caller: Abilities, requested: Any) -> str | None:
    """The requested `q` if the caller may search that widely: an admin any, a search token
    only within its own (both queries must match: the terms are ANDed)."""
    if not isinstance(requested, str) or not requested.strip():
        return None
    wanted = requested.strip()
    if caller.admin:
        return wanted
    if caller.search is None:
        return None
    own = caller.search.query.strip()
    if caller.search.filters() is None:
        return caller.search.query  # it matches nothing; so must the derived token
    if wanted == "*":
        return own
    if own == "*":
        return wanted
    return f"{own} {wanted}"


def _lifetime(requested: Mapping[str, Any], caller_claims: Mapping[str, Any], now: int) -> int:
    exp = requested.get("exp")
    if exp is not None and (isinstance(exp, bool) or not isinstance(exp, int)):
        raise BadRequest("exp must be an integer (seconds since the epoch)")
    bound = now + MAX_LIFETIME
    for limit in (caller_claims.get("exp"), caller_claims.get(CEILING)):
        if isinstance(limit, int) and not isinstance(limit, bool):
            bound = min(bound, limit)  # never outlive the caller's own token
    chosen = bound if exp is None else min(exp, bound)
    if chosen <= now:
        raise BadRequest("exp must be in the future")
    return chosen


def derive_claims(caller: Abilities, caller_claims: Mapping[str, Any],
                  requested: Mapping[str, Any], now: int) -> dict[str, Any]:
    """The claims of a token derived by `caller` (its verified `caller_claims`) asking for
    `requested`, issued at `now`; without `iss` (the caller adds its own).

    Raises BadRequest: malformed `exp`, or a scoped caller asking for nothing it holds.
    """
    claims: dict[str, Any] = {}
    if requested.get("admin") is True and caller.admin:
        claims["admin"] = True
    albums = _albums(caller, requested.get("abilities"))
    if albums:
        claims["abilities"] = albums
    query = _query(caller, requested.get("q"))
    if query is not None:
        claims["q"] = query
        for name in SEARCH_GRANTS:
            if requested.get(name) is True and (caller.admin or name in caller.search_grants):
                claims[name] = True
    if requested.get("image_urls") is True and (caller.admin or caller.image_urls):
        claims["image_urls"] = True
    if caller.transformations is not None:
        claims["transformations"] = list(caller.transformations)
    elif caller.is_scoped and isinstance(requested.get("transformations"), list):
        # Only a scoped token's overlays are checked against what it sees (redirects):
        # a bare one may not add raw layers it never had.
        claims["transformations"] = list(requested["transformations"])
    image_id = caller.image_id if caller.image_id is not None else requested.get("image_id")
    if isinstance(image_id, str | int) and not isinstance(image_id, bool):
        claims["image_id"] = str(image_id)
    user_id = caller.user_id
    if user_id is None and caller.admin:  # an admin may act for any user
        wanted_user = requested.get("user_id")
        user_id = str(wanted_user) if isinstance(wanted_user, str | int) \
            and not isinstance(wanted_user, bool) else None
    if user_id is not None:
        claims["user_id"] = user_id
    sharinpix = requested.get("sharinpix")
    asks_no_download = isinstance(sharinpix, Mapping) and sharinpix.get("download") is False
    if not caller.download or asks_no_download:
        claims["sharinpix"] = {"download": False}
    if caller.is_scoped and not Abilities.from_claims(claims).is_scoped:
        raise BadRequest("The requested claims grant nothing the token holds")
    claims["iat"] = now
    # A ceiling too: refreshing the derived token never outlives what was granted.
    claims["exp"] = claims[CEILING] = _lifetime(requested, caller_claims, now)
    return claims
