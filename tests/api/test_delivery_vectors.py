"""Every SDK URL vector, served by Tessera: signed ones verify and tampered ones are refused,
and the output has the size the grammar implies for the source (`url_cases`, grammar §3, §11).

The vectors were made for cloud `demo` with api_key `1234` / api_secret `abcd`; the test
imports that pair, uploads a source under every public id and layer id the vectors name, and
requests each vector's path exactly as the SDK built it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pyvips
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.helpers import signed_fields
from tests.conftest import Tenant

pytest.importorskip("tessera.render.pipeline")

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec"
CASES = json.loads((SPEC / "cloudinary-sdk-vectors.json").read_text())["url_cases"]
W, H = 864, 576  # the "sample" source, landscape 3:2

# The SDK never forces signing: an unsigned private original must be refused (§1.3, case 100).
REFUSED = {100: 401}

# Features Tessera does not offer, each refused with a precise 4xx.
UNSUPPORTED = {
    95: "named transformations (t_) are not stored",
    96: "named transformations (t_) are not stored",
    58: "saved text styles are not stored",
    59: "saved text styles are not stored",
    112: "saved text styles are not stored",
    113: "raw (non-image) assets are not stored",
}


def _fit(w: float, h: float) -> tuple[int, int]:
    scale = min(w / W, h / H)
    return round(W * scale), round(H * scale)


# Output size the grammar implies for the 864x576 "sample" (§3, §11 checklist).
EXPECTED: dict[int, tuple[int, int]] = {
    1: (300, round(H * 300 / W)), 2: (300, 200), 3: (W // 2, H // 2),
    4: (round(W * 250 / H), 250), 5: (300, 200), 6: _fit(1920, 1920),
    7: (300, 200), 8: _fit(800, 600), 9: _fit(2000, 2000), 10: (200, 200),
    11: (200, round(H * 200 / W)), 12: (400, 100), 13: (800, 100), 14: (300, 300),
    15: (300, 300), 16: (1500, 1500), 17: (400, 400), 18: (100, 80), 19: (150, 150),
    20: (W // 2, H // 2),
    21: (round(W * 0.4), round(H * 0.4)), 22: (150, 150), 24: (640, 360), 25: (400, 300),
    26: (120, 90), 27: (100, 100), 30: (100, 100), 34: (100, 100), 36: (300, 300),
    38: (H, W), 40: (W, H), 41: (200, 400), 43: (W, H), 44: (W, H), 46: (W, H), 52: (W, H),
    53: (W, H),  # w/h/c beside u_ size the underlay, not the base (§4.2, §11.7)
    62: (W, H), 63: (W, H), 64: (W, H), 67: (400, round(H * 400 / W)), 68: (W, H),
    69: (W, H), 70: (W, H), 79: (W, H), 83: (200, 200), 85: (W + 10, H + 10),
    86: (W + 6, H + 6), 87: (200, 200), 88: (W, H), 104: (W, H), 108: (100, round(H * 100 / W)),
    114: (100, round(H * 100 / W)),
}


def _photo(corpus: Path, width: int, height: int) -> pyvips.Image:
    image = pyvips.Image.new_from_file(str(corpus / "jpeg" / "phone_photo_jolla.jpg"))
    return image.thumbnail_image(width, height=height, crop="centre")


@pytest.fixture(scope="module")
def demo(app: FastAPI, client: TestClient, corpus: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenant]:
    issued = app.state.services.secrets.create("vectors", "demo", secret_id="1234",
                                               secret="abcd")
    tenant = Tenant("demo", issued.id, issued.secret)
    folder = tmp_path_factory.mktemp("vector-sources")
    sample = folder / "sample.jpg"
    _photo(corpus, W, H).jpegsave(str(sample), Q=90)
    small = folder / "small.png"
    logo = pyvips.Image.new_from_file(str(corpus / "png" / "rgba.png"))
    logo.thumbnail_image(60, height=40, crop="centre").pngsave(str(small))
    wide = folder / "wide.jpg"
    _photo(corpus, 400, 300).jpegsave(str(wide))
    pages = corpus / "tiff" / "multipage_3.tiff"
    sources: list[tuple[str, str, Path]] = [
        ("sample", "upload", sample), ("sample", "authenticated", sample),
        ("folder/sub/sample", "upload", sample), ("my photo é", "upload", sample),
        ("my photo", "upload", sample), ("my photo", "authenticated", sample),
        ("ba5a440dbe3d", "authenticated", sample), ("f7332109c6c5", "authenticated", sample),
        ("c6y8knpw2ywwwfc6cykj", "authenticated", sample), ("secret_doc", "private", small),
        ("multipage", "upload", pages), ("avatar", "upload", small),
        ("cloudinary_icon", "upload", small), ("brand/logos/main", "upload", small),
        ("d47e609177b4", "private", small), ("3bc669b21d8e", "authenticated", wide),
        ("e199b75435bf", "authenticated", wide), ("site_bg", "upload", wide),
    ]
    for public_id, type_, path in sources:
        response = client.post(tenant.upload_url,
                               data=signed_fields(tenant, public_id=public_id, type=type_),
                               files={"file": (path.name, path.read_bytes())})
        assert response.status_code == 200, (public_id, response.text)
    yield tenant


def _path(case: dict) -> str:
    return urlsplit(case["url"]).path


def _tampered(path: str) -> str:
    head, rest = path.split("/s--", 1)
    signature, tail = rest.split("--/", 1)
    flipped = ("B" if signature[-1] != "B" else "C")
    return f"{head}/s--{signature[:-1]}{flipped}--/{tail}"


@pytest.mark.parametrize("case", CASES, ids=[f"case{c['id']}" for c in CASES])
def test_url_vector(client: TestClient, demo: Tenant, case: dict) -> None:
    path = _path(case)
    response = client.get(path, headers={"Accept": "image/webp,image/*"})
    if case["id"] in REFUSED:
        assert response.status_code == REFUSED[case["id"]], response.text
        return
    if case["id"] in UNSUPPORTED:
        assert response.status_code in (400, 404), response.text
        assert response.headers["X-Cld-Error"]
        return
    assert response.status_code == 200, (case["id"], response.text)
    image = pyvips.Image.new_from_buffer(response.content, "")
    assert image.width > 0 and image.height > 0
    if case["id"] in EXPECTED:
        assert (image.width, image.height) == EXPECTED[case["id"]], case["note"]
    if "/s--" in path:
        assert client.get(_tampered(path)).status_code == 401


PROPERTIES: dict[int, Callable[[int, int], bool]] = {
    50: lambda w, h: w >= 800,  # overlays placed at x=800/1200 grow the canvas (§11.8)
}


@pytest.mark.parametrize("case_id", sorted(PROPERTIES))
def test_url_vector_size_properties(client: TestClient, demo: Tenant, case_id: int) -> None:
    case = next(c for c in CASES if c["id"] == case_id)
    response = client.get(_path(case))
    assert response.status_code == 200, response.text
    image = pyvips.Image.new_from_buffer(response.content, "")
    assert PROPERTIES[case_id](image.width, image.height), (image.width, image.height)

