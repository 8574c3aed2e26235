"""The conditions a search combines, and their SQL (issue 5, search).

A search is a tree of `Condition`s over an organization's live images, built by the search
use case from the query and from what the token may see, and compiled here into one WHERE
clause, so visibility and pagination are decided by the database (never by loading rows and
filtering them). Words are matched as prefixes of `image_search_terms.term` with a range
(`term >= w AND term < successor(w)`), which both databases answer from the
(organization_id, term) index: the column compares bytes (collation "C" on PostgreSQL) and
UTF-8 byte order is code point order, so the successor is computed here, in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true

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


def to_sql(condition: Condition, organization_id: str) -> ColumnElement[bool]:
    """The WHERE clause of `condition` on `images` (the caller adds organization and trash)."""
    if isinstance(condition, Everything):
        return true()
    if isinstance(condition, Nothing):
        return false()
    if isinstance(condition, InAlbums):
        return Image.album_id.in_(condition.album_pks)
    if isinstance(condition, IsImage):
        return Image.id == condition.image_id
    if isinstance(condition, HasTag):
        return Image.id.in_(select(TagImage.image_id).where(TagImage.tag_id == condition.tag_id))
    if isinstance(condition, HasTermPrefix):
        term = ImageSearchTerm.term
        in_range = [ImageSearchTerm.organization_id == organization_id,
                    term >= condition.word]
        upper = successor(condition.word)
        if upper is not None:
            in_range.append(term < upper)
        return Image.id.in_(select(ImageSearchTerm.image_id).where(*in_range))
    if isinstance(condition, All):
        return and_(*(to_sql(part, organization_id) for part in condition.parts))
    return or_(*(to_sql(part, organization_id) for part in condition.parts))
