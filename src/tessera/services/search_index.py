"""What an image is found by: the words of its filename, caption, tag names and metadata values,
normalised (lower case, accents folded) and stored as search terms (issue 5, search).

Every use case that changes one of those facts calls `reindex` in its unit of work, before the
commit, so the index never disagrees with the image. A query word matches a term it prefixes
(`ins` finds `inspection.jpg`); the album id is matched on the album itself, not indexed, so a
rename needs no reindex.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Final

from tessera.db.models import Image
from tessera.db.uow import UnitOfWork

MAX_TERM_LENGTH: Final = 64
MAX_TERMS: Final = 500
_WORD: Final = re.compile(r"\w+")
# Inside a filename word: `_`, lower→upper (`inspectionReport`), UPPER→Upper (`PDFFile`) and
# letter↔digit (`IMG2034`) boundaries.
_FRAGMENT_BOUNDARY: Final = re.compile(
    r"_|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def normalise(text: str) -> str:
    """Lower case without accents: `Été` → `ete`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The normalised words of `text`, each cut to `MAX_TERM_LENGTH` (so a query cut the
    same way still prefixes it)."""
    return [word[:MAX_TERM_LENGTH] for word in _WORD.findall(normalise(text))]


def filename_fragments(filename: str) -> list[str]:
    """The words of a filename and their parts: `IMG_2034-inspectionReport.jpg` is found by
    `img_2034`, `img`, `2034`, `inspectionreport`, `inspection`, `report` and `jpg`."""
    fragments = words(filename)
    for word in _WORD.findall(filename):
        parts = [part for part in _FRAGMENT_BOUNDARY.split(word) if part]
        if len(parts) > 1:
            fragments.extend(w for part in parts for w in words(part))
    return fragments


def _values(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _values(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def terms_of(image: Image, tag_names: Iterable[str]) -> set[str]:
    texts = [image.title or "", image.description or "", *tag_names, *_values(image.metadatas)]
    terms: set[str] = set(filename_fragments(image.filename))
    for text in texts:
        terms.update(words(text))
        if len(terms) >= MAX_TERMS:
            break
    return set(sorted(terms)[:MAX_TERMS])


def reindex(uow: UnitOfWork, image: Image) -> None:
    """Store the terms `image` is found by now (call before the unit of work commits).

    Holds the image's row first: two writers replacing one image's terms take turns instead
    of colliding on the terms' primary key (a no-op for a row this unit already locked)."""
    uow.images.lock(image.organization_id, [image.id])
    names = uow.tag_images.tag_names_of([image.id]).get(image.id, set())
    uow.search_terms.replace(image.organization_id, image.id, terms_of(image, names))
