"""Search pieces that need no database: the prefix range's upper bound, condition algebra,
filename fragments, search scopes, and `visible_images` agreeing with `allows`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.auth.abilities import Abilities, ImageFacts, SearchScope, View, allows, visible_images
from tessera.db import search_query as sq
from tessera.services.search_index import filename_fragments, words


@pytest.mark.parametrize(("word", "upper"), [
    ("abc", "abd"),
    ("a", "b"),
    ("été", "étê"),
    ("x\ud7ff", "x\ue000"),          # skips the surrogates, which UTF-8 cannot encode
    ("x\U0010ffff", "y"),
    ("\U0010ffff", None),
])
def test_successor(word: str, upper: str | None) -> None:
    assert sq.successor(word) == upper


@given(st.text(min_size=1, max_size=4).filter(lambda w: "\U0010ffff" not in w),
       st.text(max_size=4))
def test_successor_bounds_exactly_the_words_with_the_prefix(word: str, tail: str) -> None:
    upper = sq.successor(word)
    assert upper is not None
    # Byte order (SQLite's BINARY, PostgreSQL's "C") is code point order for UTF-8.
    assert word.encode() <= (word + tail).encode() < upper.encode()


def test_condition_algebra() -> None:
    word, tag = sq.HasTermPrefix("a"), sq.HasTag("t")
    assert sq.all_of([]) == sq.Everything()
    assert sq.all_of([sq.Everything(), word]) == word
    assert sq.all_of([word, sq.Nothing(), tag]) == sq.Nothing()
    assert sq.all_of([word, tag]) == sq.All((word, tag))
    assert sq.any_of([]) == sq.Nothing()
    assert sq.any_of([sq.Nothing(), word]) == word
    assert sq.any_of([word, sq.Everything()]) == sq.Everything()
    assert sq.conjuncts(sq.All((word, sq.All((tag, word))))) == [word, tag, word]
    assert sq.conjuncts(sq.AnyOf((word, tag))) == [sq.AnyOf((word, tag))]


@pytest.mark.parametrize(("filename", "expected"), [
    ("IMG_2034-inspectionReport.jpg",
     {"img_2034", "img", "2034", "inspectionreport", "inspection", "report", "jpg"}),
    ("PDFFile.png", {"pdffile", "pdf", "file", "png"}),
    ("scan42b.TIFF", {"scan42b", "scan", "42", "b", "tiff"}),
    ("Été_à_Lyon.jpeg", {"ete_a_lyon", "ete", "a", "lyon", "jpeg"}),
    ("plain", {"plain"}),
])
def test_filename_fragments(filename: str, expected: set[str]) -> None:
    assert set(filename_fragments(filename)) == expected


def test_query_words_are_normalised_like_terms() -> None:
    assert words("Été  INSPECTION, n°3") == ["ete", "inspection", "n", "3"]


@pytest.mark.parametrize(("query", "filters"), [
    ("*", ()),
    ("  *  ", ()),
    ("album_id:A", (("album_id", "A"),)),
    ("album_id:A tag:x image_id:i", (("album_id", "A"), ("tag", "x"), ("image_id", "i"))),
    ("", None),
    ("lyon", None),
    ("album_id:A lyon", None),
    ("* tag:x", None),
])
def test_scope_filters(query: str, filters: tuple[tuple[str, str], ...] | None) -> None:
    assert SearchScope(query).filters() == filters


_claims = st.fixed_dictionaries({}, optional={
    "admin": st.sampled_from([True, False]),
    "abilities": st.dictionaries(st.sampled_from(["A", "B"]), st.fixed_dictionaries(
        {"Access": st.dictionaries(st.sampled_from(["image_list", "see"]),
                                   st.sampled_from([True, False]))})),
    "q": st.sampled_from(["*", "album_id:A", "tag:t", "image_id:i1", "tag:t album_id:B", "x"]),
})
IMAGES = [ImageFacts(i, a, frozenset(t)) for i in ("i1", "i2") for a in ("A", "B", "C")
          for t in ((), ("t",))]


@given(_claims)
def test_visible_images_is_what_allows_shows(claims: dict[str, object]) -> None:
    abilities = Abilities.from_claims(claims)
    visibility = visible_images(abilities)
    for image in IMAGES:
        by_sets = visibility.everything or image.album_id in visibility.album_ids or (
            visibility.search is not None and visibility.search.matches(image))
        assert by_sets == allows(abilities, View.IMAGE_JSON, image.album_id, image)
    assert visibility.is_nothing == (not any(
        allows(abilities, View.IMAGE_JSON, image.album_id, image) for image in IMAGES)
        and abilities.search is None)
