"""The conditions a search combines, and their SQL (issue 5, search).

A search is a tree of `Condition`s over an organization's live images, built by the search
use case from the query and from what the token may see, and compiled here into one WHERE
clause, so visibility and pagination are decided by the database (never by loading rows and
filtering them). Words are matched as prefixes of `image_search_terms.term` with a range
(`term >= w AND term < successor(w)`), which both databases answer from an index: the column
compares bytes (collation "C" on PostgreSQL) and UTF-8 byte order is code point order, so the
successor is computed here, in Python.

Each condition compiles two ways. The *driver*, the most selective condition of the search
(chosen by `ImageRepository.search` from capped counts), becomes `images.id IN (…)` over its
own index ((organization_id, term), (tag_id, image_id), album_id), so a rare word costs a few
index lookups. Every other condition becomes a correlated `EXISTS` probe of a primary key
((image_id, term), (tag_id, image_id)), checked only on the rows the driver (or, for common
words, the newest-first scan) yields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true

from tessera.db.models import Image, ImageSearchTerm, TagImage

_SURROGATES = range(0xD800, 0xE000)  # not encodable: the successor skips over them


@dataclass(frozen=True, slots=True)
class Everything:
    pass


@dataclass(frozen=True, slots=True)
class Nothing:
    pass


@dataclass(frozen=True, slots=True)
class InAlbums:
    album_pks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IsImage:
    image_id: str


@dataclass(frozen=True, slots=True)
class HasTag:
    tag_id: str


@dataclass(frozen=True, slots=True)
class HasTermPrefix:
    word: str


@dataclass(frozen=True, slots=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


Condition = Everything | Nothing | InAlbums | IsImage | HasTag | HasTermPrefix | All | AnyOf


def successor(word: str) -> str | None:
    """The least string greater than every string `word` prefixes (None: there is none)."""
    text = word
    while text:
        code = ord(text[-1]) + 1
        if code in _SURROGATES:
            code = _SURROGATES.stop
        if code <= 0x10FFFF:
            return text[:-1] + chr(code)
        text = text[:-1]
    return None


def all_of(parts: Sequence[Condition]) -> Condition:
    """AND, simplified: Nothing absorbs, Everything drops out."""
    kept = tuple(p for p in parts if not isinstance(p, Everything))
    if any(isinstance(p, Nothing) for p in kept):
        return Nothing()
    if not kept:
        return Everything()
    return kept[0] if len(kept) == 1 else All(kept)


def any_of(parts: Sequence[Condition]) -> Condition:
    """OR, simplified: Everything absorbs, Nothing drops out."""
    kept = tuple(p for p in parts if not isinstance(p, Nothing))
    if any(isinstance(p, Everything) for p in kept):
        return Everything()
    if not kept:
        return Nothing()
    return kept[0] if len(kept) == 1 else AnyOf(kept)


def conjuncts(condition: Condition) -> list[Condition]:
    """The parts that must all hold (nested ANDs flattened)."""
    if isinstance(condition, All):
        return [part for item in condition.parts for part in conjuncts(item)]
    return [condition]


def _term_range(word: str) -> list[ColumnElement[bool]]:
    term = ImageSearchTerm.term
    upper = successor(word)
    return [term >= word] + ([term < upper] if upper is not None else [])


def to_sql(condition: Condition, organization_id: str,
           driver: Condition | None = None) -> ColumnElement[bool]:
    """The WHERE clause of `condition` on `images` (the caller adds organization and trash);
    `driver` (one of its conjuncts) is compiled to be looked up first."""
    if isinstance(condition, Everything):
        return true()
    if isinstance(condition, Nothing):
        return false()
    if isinstance(condition, InAlbums):
        return Image.album_id.in_(condition.album_pks)
    if isinstance(condition, IsImage):
        return Image.id == condition.image_id
    if isinstance(condition, HasTag):
        if condition is driver:
            return Image.id.in_(select(TagImage.image_id)
                                .where(TagImage.tag_id == condition.tag_id))
        return select(TagImage.image_id).where(TagImage.tag_id == condition.tag_id,
                                               TagImage.image_id == Image.id).exists()
    if isinstance(condition, HasTermPrefix):
        if condition is driver:
            return Image.id.in_(select(ImageSearchTerm.image_id).where(
                ImageSearchTerm.organization_id == organization_id,
                *_term_range(condition.word)))
        return select(ImageSearchTerm.image_id).where(
            ImageSearchTerm.image_id == Image.id, *_term_range(condition.word)).exists()
    if isinstance(condition, All):
        return and_(*(to_sql(part, organization_id, driver) for part in condition.parts))
    return or_(*(to_sql(part, organization_id) for part in condition.parts))


def candidates_count(condition: Condition, organization_id: str,
                     cap: int) -> Select[int] | None:
    """A query counting (up to `cap`) the rows `condition` would drive from, from its index
    alone; None for conditions that cannot drive."""
    if isinstance(condition, HasTermPrefix):
        rows = select(ImageSearchTerm.image_id).where(
            ImageSearchTerm.organization_id == organization_id, *_term_range(condition.word))
    elif isinstance(condition, HasTag):
        rows = select(TagImage.image_id).where(TagImage.tag_id == condition.tag_id)
    elif isinstance(condition, InAlbums):
        rows = select(Image.album_id).where(Image.album_id.in_(condition.album_pks))
    else:
        return None
    return select(func.count()).select_from(rows.limit(cap).subquery())
