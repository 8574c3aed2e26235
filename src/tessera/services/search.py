"""`GET /api/v1/search?q=` (issue 5): the live images a token may see that match a query, as
image JSON, newest first, a page at a time.

A query is space-separated terms that must all match: `album_id:<id>`, `image_id:<id>`,
`tag:<name>` (as in a search token's `q`), or a plain term whose words must each prefix a word
of the image's filename, caption, tag names or metadata values (`search_index`), unless the
term is the image's album id itself; `*` alone is everything visible. Without `q` the token's
own `q` is the query.

What the token may see (`abilities.visible_images`: image_list albums, its search scope, or the
whole organization for an admin) is ANDed with the query in the database, so pages are exact
and a search stays an index lookup at a million images. A token that may see no image at all
is refused (401), as a route without its ability.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from tessera.auth.abilities import View, Visibility, allows, query_term, visible_images
from tessera.db import search_query as sq
from tessera.db.uow import Database, UnitOfWork
from tessera.errors import BadRequest, Unauthorized
from tessera.services import search_index
from tessera.services.access import AccessService, Principal
from tessera.services.image_json import image_json
from tessera.services.image_links import ImageLinks
from tessera.services.images import facts_of

DEFAULT_PER_PAGE: Final = 20
MAX_PER_PAGE: Final = 100
MAX_PAGE: Final = 10_000
MAX_QUERY_LENGTH: Final = 1000
MAX_TERMS: Final = 20


class SearchService:
    def __init__(self, db: Database, access: AccessService, links: ImageLinks) -> None:
        self._db = db
        self._access = access
        self._links = links

    def search(self, principal: Principal, q: str | None, page: int = 1,
               per_page: int = DEFAULT_PER_PAGE) -> list[dict[str, Any]]:
        """Raises BadRequest (no query, bad page), Unauthorized (the token sees nothing)."""
        abilities = principal.abilities
        query = _query_of(principal, q)
        if not 1 <= page <= MAX_PAGE:
            raise BadRequest(f"page must be an integer from 1 to {MAX_PAGE}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise BadRequest(f"per_page must be an integer from 1 to {MAX_PER_PAGE}")
        visibility = visible_images(abilities)
        if visibility.is_nothing:
            raise Unauthorized("Access denied", detail="search: no image_list, scope or admin")
        org = principal.organization_id
        _key, secret = self._access.signing_secret(principal)
        with self._db.uow() as uow:
            condition = self._condition(uow, org, visibility, query)
            if isinstance(condition, sq.Nothing):
                return []
            rows = uow.images.search(org, condition, offset=(page - 1) * per_page,
                                     limit=per_page)
            names = uow.tag_images.tag_names_of([row.id for row in rows])
            # The database already filtered; `allows` stays the last word on every row.
            return [image_json(row, self._links, secret) for row in rows
                    if allows(abilities, View.IMAGE_JSON, row.album.external_id,
                              facts_of(row, names.get(row.id, set())))]

    def matching_ids(self, principal: Principal, q: str | None, limit: int) -> list[str]:
        """The ids `search` finds for `q` over all its pages, newest first, at most `limit`
        (a ZIP of a search: `POST /api/v1/downloads` with `q`). Raises as `search`."""
        abilities = principal.abilities
        query = _query_of(principal, q)
        visibility = visible_images(abilities)
        if visibility.is_nothing:
            raise Unauthorized("Access denied", detail="search: no image_list, scope or admin")
        org = principal.organization_id
        with self._db.uow() as uow:
            condition = self._condition(uow, org, visibility, query)
            if isinstance(condition, sq.Nothing):
                return []
            rows = uow.images.search(org, condition, offset=0, limit=limit)
            names = uow.tag_images.tag_names_of([row.id for row in rows])
            return [row.id for row in rows
                    if allows(abilities, View.IMAGE_JSON, row.album.external_id,
                              facts_of(row, names.get(row.id, set())))]

    # --- query → conditions ---------------------------------------------------------------

    def _condition(self, uow: UnitOfWork, org: str, visibility: Visibility,
                   query: str) -> sq.Condition:
        return sq.all_of([self._visible(uow, org, visibility), self._matching(uow, org, query)])

    def _visible(self, uow: UnitOfWork, org: str, visibility: Visibility) -> sq.Condition:
        if visibility.everything:
            return sq.Everything()
        parts: list[sq.Condition] = []
        if visibility.album_ids:
            pks = _album_pks(uow, org, sorted(visibility.album_ids))
            parts.append(sq.InAlbums(tuple(sorted(pks.values()))) if pks else sq.Nothing())
        if visibility.search is not None:
            filters = visibility.search.filters()
            if filters is None:
                parts.append(sq.Nothing())
            else:  # `*`: no filter, everything
                parts.append(self._scoped(uow, org, list(filters), []) if filters
                             else sq.Everything())
        return sq.any_of(parts)

    def _matching(self, uow: UnitOfWork, org: str, query: str) -> sq.Condition:
        text = query.strip()
        if text == "*":
            return sq.Everything()
        scoped: list[tuple[str, str]] = []
        plain: list[str] = []
        for term in text.split():
            parsed = query_term(term)
            if parsed is not None:
                scoped.append(parsed)
            elif term != "*":
                plain.append(term)
        return self._scoped(uow, org, scoped, plain)

    def _scoped(self, uow: UnitOfWork, org: str, scoped: list[tuple[str, str]],
                plain: list[str]) -> sq.Condition:
        """AND of scope terms and plain terms, with every album id and tag name resolved in
        one query each (an unknown one matches nothing)."""
        album_ids = [value for key, value in scoped if key == "album_id"] + plain
        albums = _album_pks(uow, org, album_ids) if album_ids else {}
        tag_names = [value for key, value in scoped if key == "tag"]
        tags = uow.tags.ids_by_name(org, tag_names) if tag_names else {}
        parts: list[sq.Condition] = []
        for key, value in scoped:
            if key == "album_id":
                parts.append(sq.InAlbums((albums[value],)) if value in albums else sq.Nothing())
            elif key == "image_id":
                parts.append(sq.IsImage(value))
            else:
                parts.append(sq.HasTag(tags[value]) if value in tags else sq.Nothing())
        for term in plain:
            words = [sq.HasTermPrefix(word) for word in search_index.words(term)]
            by_words = sq.all_of(words) if words else sq.Nothing()
            if term in albums:
                parts.append(sq.any_of([sq.InAlbums((albums[term],)), by_words]))
            elif words:  # a term of punctuation only (`-`) looks for nothing: skipped
                parts.append(by_words)
        if not parts:  # nothing to look for
            return sq.Nothing()
        return sq.all_of(parts)


def _query_of(principal: Principal, q: str | None) -> str:
    """`q`, or the token's own search query. Raises BadRequest (none, too long)."""
    abilities = principal.abilities
    query = q if q is not None else (abilities.search.query if abilities.search else None)
    if query is None or not query.strip():
        raise BadRequest("Missing required parameter - q")
    if len(query) > MAX_QUERY_LENGTH or len(query.split()) > MAX_TERMS:
        raise BadRequest(f"q is limited to {MAX_TERMS} terms of {MAX_QUERY_LENGTH} "
                         "characters")
    return query


def _album_pks(uow: UnitOfWork, org: str, external_ids: Sequence[str]) -> dict[str, str]:
    return {album.external_id: album.id for album in uow.albums.find_many(org, external_ids)}
