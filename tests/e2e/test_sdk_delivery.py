"""The official SDK builds signed delivery URLs; a real Tessera server renders them over HTTP.

Sources are four-quadrant images made here (red, green / blue, white), so orientation,
gravity and overlays can be read off single pixels.
"""

from __future__ import annotations

from pathlib import Path

import cloudinary.uploader
import cloudinary.utils
import httpx
import pytest
import pyvips

from tests.e2e.conftest import Server

pytestmark = pytest.mark.slow

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def quadrants(width: int, height: int) -> pyvips.Image:
    """Top-left red, top-right green, bottom-left blue, bottom-right white."""
    def block(colour: tuple[int, int, int]) -> pyvips.Image:
        return (pyvips.Image.black(width // 2, height // 2) + list(colour)).cast("uchar")

    top = block(RED).join(block(GREEN), "horizontal")
    bottom = block(BLUE).join(block(WHITE), "horizontal")
    return top.join(bottom, "vertical").copy(interpretation="srgb")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("quadrants")
    paths = {"quad": folder / "quad.png", "dot": folder / "dot.png"}
    quadrants(400, 200).pngsave(str(paths["quad"]))
    (pyvips.Image.black(20, 20) + [0, 0, 255]).cast("uchar").copy(
        interpretation="srgb").pngsave(str(paths["dot"]))
    return paths


def fetch(server: Server, public_id: str, **options: object) -> tuple[httpx.Response,
                                                                         pyvips.Image]:
    url, _ = cloudinary.utils.cloudinary_url(public_id, **options)
    url = url.replace("http://res.cloudinary.com", server.base_url)
    response = httpx.get(url, timeout=60, headers={"Accept": "image/avif,image/webp,*/*"})
    assert response.status_code == 200, (url, response.text)
    return response, pyvips.Image.new_from_buffer(response.content, "")


def pixel(image: pyvips.Image, x: int, y: int) -> tuple[int, ...]:
    return tuple(round(v) for v in image.flatten().getpoint(x, y)[:3]) if image.hasalpha() \
        else tuple(round(v) for v in image.getpoint(x, y)[:3])


def near(actual: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def test_signed_chained_transformations_and_overlays(server: Server, sdk: None,
                                                     sources: dict[str, Path]) -> None:
    quad = cloudinary.uploader.upload(str(sources["quad"]), public_id="e2e/quad",
                                      type="authenticated")
    cloudinary.uploader.upload(str(sources["dot"]), public_id="e2e/dot", type="authenticated")
    common = {"type": "authenticated", "sign_url": True, "version": quad["version"]}

    # Crop the top-left quarter, then scale it: all red, 100x50, as JPEG.
    response, image = fetch(server, "e2e/quad", format="jpg", transformation=[
        {"crop": "crop", "width": 0.5, "height": 0.5, "gravity": "north_west"},
        {"crop": "scale", "width": 100}], **common)
    assert response.headers["content-type"] == "image/jpeg"
    assert (image.width, image.height) == (100, 50)
    assert near(pixel(image, 50, 25), RED)

    # Rotate 90° clockwise: the top-left is now blue (it was bottom-left).
    response, image = fetch(server, "e2e/quad", format="png", transformation=[
        {"angle": 90}], **common)
    assert response.headers["content-type"] == "image/png"
    assert (image.width, image.height) == (200, 400)
    assert near(pixel(image, 10, 10), BLUE) and near(pixel(image, 190, 10), RED)

    # Fit into 200x200, then an authenticated overlay in the south-east corner: blue there.
    response, image = fetch(server, "e2e/quad", format="webp", transformation=[
        {"crop": "fit", "width": 200, "height": 200},
        {"overlay": "authenticated:e2e:dot", "width": 30, "gravity": "south_east"}], **common)
    assert response.headers["content-type"] == "image/webp"
    assert (image.width, image.height) == (200, 100)
    assert near(pixel(image, 195, 95), BLUE) and near(pixel(image, 150, 60), WHITE)
    assert near(pixel(image, 10, 10), RED)

    # Unsigned, the same authenticated URL is refused.
    url, _ = cloudinary.utils.cloudinary_url("e2e/quad", type="authenticated", format="jpg",
                                             transformation=[{"width": 50}])
    refused = httpx.get(url.replace("http://res.cloudinary.com", server.base_url))
    assert refused.status_code == 401


def test_corpus_photos_render_upright(server: Server, sdk: None, corpus: Path) -> None:
    # EXIF orientation 6: stored 4032x3024, displayed portrait.
    result = cloudinary.uploader.upload(
        str(corpus / "jpeg" / "phone_photo_4032x3024_orient6.jpg"), public_id="e2e/phone")
    assert (result["width"], result["height"]) == (3024, 4032)
    _, image = fetch(server, "e2e/phone", format="jpg", version=result["version"],
                     transformation=[{"crop": "fit", "width": 300, "height": 300}])
    assert (image.width, image.height) == (225, 300)
    response, image = fetch(server, "e2e/phone", format="avif", version=result["version"],
                            transformation=[{"crop": "fill", "width": 120, "height": 120,
                                             "gravity": "auto"}])
    assert response.headers["content-type"] == "image/avif"
    assert (image.width, image.height) == (120, 120)
