"""The recorded SharinPix deliveries (shared/seeds 000, 001; vectors 91, 93) rendered whole,
and one source of every accepted type from the corpus."""

from __future__ import annotations

import pytest

from tessera.render.pipeline import ClientHints
from tests.render.synthetic import BLUE, CORPUS, GREEN, RED, Renderer, close, flat

SEED_000 = ("c_fit,h_1920,w_1920/fl_attachment/dpr_auto,q_auto,f_auto/c_fit,w_800/"
            "c_fit,l_authenticated:3bc669b21d8e,w_800,x_800/"
            "c_fit,l_authenticated:e199b75435bf,w_800,x_1200")
SEED_001 = ("c_fit,h_1920,w_1920/fl_attachment/dpr_auto,q_auto,f_auto/"
            "fl_tiled,l_private:d47e609177b4,w_200/c_fit,h_102,w_101")


def test_seed_000_three_images_side_by_side(renderer: Renderer) -> None:
    base = renderer.source(flat(1200, 900, RED), "jpg")
    layers = {"3bc669b21d8e": renderer.source(flat(600, 450, GREEN), "jpg"),
              "e199b75435bf": renderer.source(flat(1000, 750, BLUE), "jpg")}
    out = renderer.render(base, SEED_000, "jpg", hints=ClientHints(accept="image/webp"),
                          layers=layers)
    assert out.rendered.format == "webp"  # f_auto with a WebP-accepting browser
    assert out.size == (2400, 600)  # three 800x600 images side by side
    for x, colour in ((400, RED), (1200, GREEN), (2000, BLUE)):
        assert close(out.at(x, 300), colour, 30)


def test_seed_001_tiled_private_watermark(renderer: Renderer) -> None:
    base = renderer.source(flat(1000, 800, RED), "jpg")
    mark = renderer.source(flat(100, 50, (0, 255, 0, 128)))
    out = renderer.render(base, SEED_001, "jpg", layers={"d47e609177b4": mark})
    assert out.size == (101, 81)  # the tiled 1000x800 result fitted into 101x102
    assert close(out.at(50, 40), (128, 128, 0), 30)  # half-green tiles everywhere


@pytest.mark.parametrize(("path", "fmt"), [
    ("heif/" , "jpg"), ("avif/", "avif"), ("svg/", "png"), ("bmp/", "png"), ("tiff/", "jpg"),
    ("png/", "png"), ("webp/", "webp"), ("gif/", "gif"),
])
def test_every_source_type_renders_in_a_deliverable_format(renderer: Renderer, path: str,
                                                           fmt: str) -> None:
    import json

    manifest = json.loads((CORPUS / "manifest.json").read_text())
    entry = min((e for e in manifest if e["path"].startswith(path)
                 and not e["expected"]["expected_to_fail"] and not e["expected"]["hazard"]),
                key=lambda e: e["bytes"])
    out = renderer.render(renderer.file(CORPUS / entry["path"]), "c_limit,w_64", None)
    assert out.rendered.format in (fmt, "png")
    assert out.rendered.width <= 64
