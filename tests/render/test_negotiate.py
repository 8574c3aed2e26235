"""Output negotiation (§6, §11.11): formats, quality, DPR and w_auto from the request headers,
and what the cache key and Vary carry. Pure: no pixels."""

from __future__ import annotations

import pytest

from tessera.errors import GrammarError
from tessera.grammar.parse import parse_transformation
from tessera.render.pipeline import ClientHints, Negotiated, negotiate

AVIF = "image/avif,image/webp,image/apng,*/*;q=0.8"
WEBP = "image/webp,*/*"


def n(text: str, extension: str | None = "jpg", source: str = "jpg",
      **hints: object) -> Negotiated:
    return negotiate(parse_transformation(text), extension, source,
                     ClientHints(**hints))  # type: ignore[arg-type]


@pytest.mark.parametrize(("accept", "source", "fmt", "alpha"), [
    (AVIF, "jpg", "avif", None), (WEBP, "jpg", "webp", None), ("*/*", "jpg", "jpg", "png"),
    ("", "png", "jpg", "png"), (AVIF, "gif", "webp", None), ("image/png", "gif", "gif", None),
    ("image/avif;q=0,image/webp", "jpg", "webp", None),
])
def test_f_auto_follows_accept(accept: str, source: str, fmt: str, alpha: str | None) -> None:
    result = n("f_auto", source=source, accept=accept)
    assert (result.format, result.format_if_alpha) == (fmt, alpha)
    assert "Accept" in result.vary


@pytest.mark.parametrize(("extension", "source", "fmt"), [
    ("png", "jpg", "png"), ("jpeg", "png", "jpg"), (None, "webp", "webp"), (None, "gif", "gif"),
    (None, "svg", "png"), (None, "heic", "jpg"), (None, "tiff", "jpg"), (None, "bmp", "png"),
])
def test_extension_or_source_format(extension: str | None, source: str, fmt: str) -> None:
    result = n("c_scale,w_10", extension, source)
    assert result.format == fmt and result.vary == frozenset()


def test_f_overrides_the_extension_and_unknown_formats_are_refused() -> None:
    assert n("c_limit,f_webp,w_1000", None).format == "webp"  # case 69
    with pytest.raises(GrammarError):
        n("c_scale,w_10", "tiff")
    with pytest.raises(GrammarError):
        n("f_bmp")


def test_quality_levels_per_format_and_save_data() -> None:
    assert n("q_80").quality == 80  # case 68
    assert n("c_scale,w_1").quality == 80  # default
    assert n("q_auto").quality == n("q_auto:good").quality == 80
    assert n("q_auto:best").quality == 90 and n("q_auto:low").quality == 55
    eco = n("q_auto", save_data=True)
    assert eco.quality == 70 and "Save-Data" in eco.vary
    assert n("q_90", save_data=True).quality == 90  # explicit quality is not negotiated
    assert n("f_avif,q_auto").quality == 60


def test_dpr_auto_reads_the_hint_and_varies() -> None:
    assert n("dpr_2.0,w_100").dpr == 2.0 and n("dpr_2.0,w_100").vary == frozenset()
    auto = n("dpr_auto,q_auto,f_auto", dpr=2.625, accept=WEBP)  # the seeds' component
    assert auto.dpr == 2.6 and {"DPR", "Sec-CH-DPR", "Accept", "Save-Data"} <= auto.vary
    assert n("dpr_auto").dpr == 1.0
    with pytest.raises(GrammarError):
        n("dpr_50.0")


def test_w_auto_uses_the_width_hint_in_the_key() -> None:
    small, large = n("c_limit,w_auto:100", width=250), n("c_limit,w_auto:100", width=420)
    assert small.width_hint == 250 and "Sec-CH-Width" in small.vary
    assert small.key != large.key
    assert n("c_limit,w_auto:100", width=210).key == n("c_limit,w_auto:100", width=290).key


def test_keys_differ_for_every_negotiated_outcome() -> None:
    keys = {n("f_auto,q_auto", accept=a, save_data=s).key
            for a in (AVIF, WEBP, "") for s in (False, True)}
    assert len(keys) == 6
