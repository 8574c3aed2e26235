"""The album page (`/pagelayout/<album>?token=`) in headless Chromium against a real server.

One server (SQLite + local blobs, access log on so the token's absence from it is checked);
the flows of issue 6: drag-and-drop upload with progress, the viewer, delete and restore, the
edit actions, ZIP download, a read-only token, screenshots at phone and desktop widths, axe.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest

from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    axe_source,
    drop_files,
    screenshot,
    serious_violations,
    throttle_uploads,
)
from tests.e2e.conftest import Server, run_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

EVERY_ABILITY = ("see", "image_list", "image_upload", "image_delete", "image_crop",
                 "image_rotate", "image_caption", "image_tag", "image_annotate",
                 "image_duplicate", "image_download", "trash", "create_tag", "fullscreen")
READ_ONLY = ("see", "image_list")
PHOTOS = ("gps/paris_n_e.jpg", "jpeg/phone_photo_4032x3024_orient6.jpg", "jpeg/flower_exif.jpg")


@pytest.fixture(scope="module")
def page_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(request, tmp_path_factory, "sqlite", "local",
                    {"TESSERA_ACCESS_LOG": "true"}) as running:
        yield running


def token_for(server: Server, album_id: str, abilities: tuple[str, ...],
              **claims: Any) -> str:
    payload = {"iss": server.api_key,
               "abilities": {album_id: {"Access": dict.fromkeys(abilities, True)}}, **claims}
    return jwt.encode(payload, server.api_secret, algorithm="HS256")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f'Token token="{token}"'}


def new_album() -> str:
    return f"page-{uuid.uuid4().hex[:10]}"


def has_route(server: Server, method: str, path: str) -> bool:
    """False for Starlette's 404 of an unknown path or a 405 of a known one."""
    response = httpx.request(method, server.base_url + path)
    if response.status_code == 405:
        return False
    return not (response.status_code == 404
                and response.json().get("error", {}).get("code") == "http_error")


def upload_by_api(server: Server, album_id: str, photo: Path) -> dict[str, Any]:
    """An image put in the album through the public API, as another client would."""
    token = token_for(server, album_id, EVERY_ABILITY)
    album = httpx.get(f"{server.base_url}/api/v1/albums/{album_id}", headers=auth(token))
    assert album.status_code == 200, album.text
    form = album.json()["upload_form"]
    uploaded = httpx.post(form["url"], data={k: str(v) for k, v in form["params"].items()},
                          files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
                          timeout=60)
    assert uploaded.status_code == 200, uploaded.text
    image = httpx.post(f"{server.base_url}/api/v1/albums/{album_id}/images",
                       json={"cloudinary": uploaded.json()}, headers=auth(token), timeout=30)
    assert image.status_code == 200, image.text
    return dict(image.json())


class Watch:
    """What a page does on the network and in its console."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.base_url = base_url
        self.requests: list[tuple[str, str, str | None]] = []
        self.problems: list[str] = []
        page.on("request", lambda r: self.requests.append(
            (r.method, r.url, r.headers.get("authorization"))))
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(str(e)))

    def check(self, *tokens: str) -> None:
        """Nothing but this server was asked; no URL carried a token after the page's own;
        no script error and no CSP refusal (expected 4xx answers aside)."""
        foreign = [u for _m, u, _a in self.requests
                   if not u.startswith((self.base_url + "/", "data:", "blob:"))]
        assert not foreign, foreign
        for token in tokens:
            leaked = [u for _m, u, _a in self.requests[1:] if token in u]
            assert not leaked, leaked
        real = [p for p in self.problems if "Failed to load resource" not in p]
        assert not real, real


def open_page(context: Any, server: Server, album_id: str, token: str) -> tuple[Any, Watch]:
    page = context.new_page()
    watch = Watch(page, server.base_url)
    page.goto(f"{server.base_url}/pagelayout/{album_id}?token={token}")
    # The token leaves the address bar at once.
    page.wait_for_function("() => !location.search.includes('token')")
    assert "token" not in page.url
    return page, watch


@contextlib.contextmanager
def album_page(browser: Any, server: Server, album_id: str, token: str,
               **options: Any) -> Iterator[tuple[Any, Watch]]:
    """The album page in a fresh browser context (desktop size unless `options` say
    otherwise); leaving the block checks what `Watch` watches and closes the context."""
    context = browser.new_context(**(options or DESKTOP))
    try:
        page, watch = open_page(context, server, album_id, token)
        yield page, watch
        watch.check(token)
    finally:
        context.close()


def swipe(page: Any, selector: str, fraction: float) -> None:
    """A real touch gesture (DevTools Input events) across `fraction` of the element's width."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    cdp = page.context.new_cdp_session(page)
    y = box["y"] + box["height"] / 2
    start = box["x"] + box["width"] * (0.8 if fraction < 0 else 0.2)
    for step in range(6):
        x = start + box["width"] * fraction * step / 5
        kind = "touchStart" if step == 0 else "touchMove"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def tile_names(page: Any) -> list[str]:
    return list(page.eval_on_selector_all("#gallery .tile[data-id] img",
                                          "els => els.map(e => e.alt)"))


def loaded(page: Any, selector: str) -> None:
    """Every image matching `selector` has loaded (rendered by the delivery engine)."""
    page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every(i => i.complete && i.naturalWidth > 0)",
        arg=selector)


def check_axe(page: Any) -> None:
    violations = serious_violations(page, axe_source())
    assert not violations, "\n".join(violations)


def check_log(server: Server, *tokens: str) -> None:
    log = (server.data_dir / "server.log").read_text()
    assert "/pagelayout/" in log, "the access log is on: the page request must be logged"
    assert "token=[REDACTED]" in log
    for token in tokens:
        assert token not in log


def test_upload_view_delete_restore(browser: Any, page_server: Server, corpus: Path) -> None:
    from playwright.sync_api import expect

    album_id = new_album()
    token = token_for(page_server, album_id, EVERY_ABILITY)
    with album_page(browser, page_server, album_id, token) as (page, watch):
        expect(page.locator("#dropzone")).to_be_visible()
        expect(page.locator("#camera-input")).to_have_attribute("capture", "environment")
        expect(page.locator("#camera-input")).to_have_attribute("accept", "image/*")

        # Three corpus photos dropped at once, uploads throttled so that progress shows.
        photos = [corpus / p for p in PHOTOS]
        throttle_uploads(page, 1_500_000)
        drop_files(page, "#dropzone", photos)
        page.wait_for_function("() => [...document.querySelectorAll('#upload-list progress')]"
                               ".some(p => p.value > 0 && p.value < 100)")
        expect(page.locator("#upload-list .upload")).to_have_count(3)
        screenshot(page, "upload-desktop")
        throttle_uploads(page, None)
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(3, timeout=60_000)
        expect(page.locator("#upload-list .failed")).to_have_count(0)
        # In the order they were dropped, named after their files.
        names = tile_names(page)
        assert [n.lower() for n in names] == [p.stem.lower() for p in photos], names
        expect(page.locator("#count")).to_have_text("(3 images)")
        # Thumbnails from the delivery engine: a srcset of widths, lazy, on the dominant colour.
        first_tile = page.locator("#gallery .tile[data-id]").first
        first_id = first_tile.get_attribute("data-id")
        image = httpx.get(f"{page_server.base_url}/api/v1/images/{first_id}",
                          headers=auth(token)).json()
        thumb = first_tile.locator("img")
        expect(thumb).to_have_attribute("loading", "lazy")
        srcset = thumb.get_attribute("srcset") or ""
        widths = [c.rsplit(" ", 1)[1] for c in srcset.split(", ")]
        assert widths == ["100w", "200w", "300w", "1920w"]
        assert image["thumbnails"]["mini"] + " 100w" in srcset
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", image["color"]), image["color"]
        red, green, blue = (int(image["color"][i:i + 2], 16) for i in (1, 3, 5))
        expect(page.locator("#gallery .tile[data-id]").first).to_have_css(
            "background-color", f"rgb({red}, {green}, {blue})")
        loaded(page, "#gallery img")
        screenshot(page, "gallery-desktop")
        check_axe(page)

        # The viewer: open, navigate with keys, swipe, zoom; metadata of the GPS photo.
        page.locator("#gallery .tile-open").first.click()
        viewer = page.locator("#viewer")
        expect(viewer).to_be_visible()
        expect(page.locator("#viewer-title")).to_have_text(names[0])
        expect(page.locator("#viewer-position")).to_have_text("Image 1 of 3")
        expect(page.locator("#place .coordinates")).to_contain_text("48.82")
        expect(page.locator("#place .coordinates")).to_contain_text("2.39")
        expect(page.locator("#meta")).to_contain_text("Pixel 4a")
        expect(page.locator("#meta")).to_contain_text("2023")
        page.keyboard.press("ArrowRight")
        expect(page.locator("#viewer-title")).to_have_text(names[1])
        # EXIF orientation 6 is applied: the landscape-stored phone photo shows upright.
        loaded(page, "#viewer-image")
        width, height = page.evaluate(
            "() => { const i = document.querySelector('#viewer-image');"
            " return [i.naturalWidth, i.naturalHeight]; }")
        assert height > width, (width, height)
        page.keyboard.press("ArrowLeft")
        expect(page.locator("#viewer-title")).to_have_text(names[0])
        page.keyboard.press("End")
        expect(page.locator("#viewer-title")).to_have_text(names[2])
        expect(page.locator("#meta")).to_contain_text("Canon PowerShot S40")
        box = page.locator("#stage").bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.7, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=5)
        page.mouse.up()
        expect(page.locator("#viewer-title")).to_have_text(names[0])  # swiped to the next: wraps
        page.locator("#zoom-in").click()
        expect(page.locator("#zoom-level")).to_have_text("150%")
        page.locator("#zoom-reset").click()
        expect(page.locator("#zoom-level")).to_have_text("100%")
        for button in ("#rotate-left", "#crop-start", "#caption-start", "#annotate-start",
                       "#duplicate", "#download-one", "#delete"):
            expect(page.locator(button)).to_be_visible()
        loaded(page, "#viewer-image")
        screenshot(page, "viewer-desktop")
        check_axe(page)
        # A single download: the original, as an attachment.
        with page.expect_download() as download:
            page.locator("#download-one").click()
        original = Path(download.value.path()).read_bytes()
        assert original[:3] == b"\xff\xd8\xff" and len(original) > 1000

        # Delete (to the trash) from the viewer, then Undo: back at its place.
        page.keyboard.press("ArrowRight")
        expect(page.locator("#viewer-title")).to_have_text(names[1])
        page.locator("#delete").click()
        expect(page.locator("#viewer-title")).to_have_text(names[2])
        expect(page.locator("#viewer-position")).to_have_text("Image 2 of 2")
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(2)
        expect(page.locator("#count")).to_have_text("(2 images)")
        page.locator("#toasts .toast button", has_text="Undo").click()
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(3)
        assert tile_names(page) == names

        # Delete again, restore from the Trash dialog.
        page.locator("#gallery .tile-open").nth(2).click()
        page.locator("#delete").click()
        page.keyboard.press("Escape")
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(2)
        page.locator("#trash-open").click()
        expect(page.locator("#trash-list .trash-item")).to_have_count(1)
        # Its thumbnail loads although the image is trashed (the trash serves it itself).
        page.wait_for_function("() => { const i = document.querySelector('#trash-list img');"
                               " return i && i.complete && i.naturalWidth === 200; }")
        check_axe(page)
        page.locator("#trash-list button", has_text="Restore").click()
        expect(page.locator("#trash-list .trash-item")).to_have_count(0)
        page.locator("#trash-close").click()
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(3)

        # The server agrees: three images in the album, nothing in its trash.
        api = httpx.get(f"{page_server.base_url}/api/v1/trashed_images",
                        params={"album_id": album_id}, headers=auth(token))
        assert api.status_code == 200 and api.json() == []
        album = httpx.get(f"{page_server.base_url}/api/v1/albums/{album_id}", headers=auth(token))
        assert album.json()["images_count"] == 3

        # After the first answer, the page speaks with the refreshed X-token, never the URL's.
        api_calls = [a for _m, u, a in watch.requests if "/api/v1/" in u and a]
        assert api_calls[0] == f'Token token="{token}"'
        assert any(a != api_calls[0] for a in api_calls[1:])
    check_log(page_server, token)


def test_phone_width(browser: Any, page_server: Server, corpus: Path) -> None:
    from playwright.sync_api import expect

    album_id = new_album()
    token = token_for(page_server, album_id, EVERY_ABILITY)
    with album_page(browser, page_server, album_id, token, **PHONE) as (page, watch):
        throttle_uploads(page, 1_000_000)
        drop_files(page, "#dropzone", [corpus / PHOTOS[1], corpus / PHOTOS[0]])
        page.wait_for_function("() => [...document.querySelectorAll('#upload-list progress')]"
                               ".some(p => p.value > 0 && p.value < 100)")
        screenshot(page, "upload-phone")
        check_axe(page)
        throttle_uploads(page, None)
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(2, timeout=60_000)
        loaded(page, "#gallery img")
        screenshot(page, "gallery-phone")
        page.locator("#gallery .tile-open").first.tap()
        expect(page.locator("#viewer")).to_be_visible()
        expect(page.locator("#viewer-position")).to_have_text("Image 1 of 2")
        loaded(page, "#viewer-image")
        # A finger swipe to the left shows the next image.
        swipe(page, "#stage", -0.6)
        expect(page.locator("#viewer-position")).to_have_text("Image 2 of 2")
        swipe(page, "#stage", 0.6)
        expect(page.locator("#viewer-position")).to_have_text("Image 1 of 2")
        screenshot(page, "viewer-phone")
        check_axe(page)


def test_read_only_token(browser: Any, page_server: Server, corpus: Path) -> None:
    from playwright.sync_api import expect

    album_id = new_album()
    image = upload_by_api(page_server, album_id, corpus / PHOTOS[2])
    token = token_for(page_server, album_id, READ_ONLY)
    with album_page(browser, page_server, album_id, token) as (page, watch):
        expect(page.locator("#count")).to_have_text("(1 image)")
        for hidden in ("#uploader", "#select-toggle", "#download-zip", "#trash-open"):
            expect(page.locator(hidden)).to_be_hidden()
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(1)
        # Keyboard only: the skip link leads to the images, Enter opens, Escape comes back.
        page.keyboard.press("Tab")
        expect(page.locator(".skip-link")).to_be_focused()
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        tile = page.locator("#gallery .tile-open").first
        expect(tile).to_be_focused()
        expect(tile).to_have_accessible_name(re.compile(r"^Open .+ \(1 of 1\)$"))
        page.keyboard.press("Enter")
        expect(page.locator("#viewer")).to_be_visible()
        expect(page.locator("#viewer-close")).to_be_focused()
        expect(page.locator("#actions [data-ability]:visible")).to_have_count(0)
        expect(page.locator("#tag-form")).to_be_hidden()
        check_axe(page)
        page.keyboard.press("Escape")
        expect(page.locator("#viewer")).to_be_hidden()
        expect(tile).to_be_focused()
        check_axe(page)

    # Edits made by hand with the same token are refused.
    base, headers = page_server.base_url, auth(token)
    image_id = image["id"]
    tag_name = f"ro-{uuid.uuid4().hex[:8]}"
    made = httpx.post(f"{base}/api/v1/tags", json={"tag": {"name": tag_name}},
                      headers=auth(token_for(page_server, album_id, EVERY_ABILITY)))
    assert made.status_code == 200, made.text
    refused = [
        httpx.delete(f"{base}/api/v1/images/{image_id}", headers=headers),
        httpx.post(f"{base}/api/v1/albums/{album_id}/images", headers=headers,
                   json={"cloudinary": {"public_id": "x"}}),
        httpx.delete(f"{base}/api/v1/trashed_images/{image_id}", headers=headers),
        httpx.put(f"{base}/api/v1/images/{image_id}", headers=headers,
                  json={"image": {"rotation": 90}}),
        httpx.put(f"{base}/api/v1/images/{image_id}", headers=headers,
                  json={"image": {"title": "mine now"}}),
        httpx.post(f"{base}/api/v1/images/{image_id}/duplicate", headers=headers),
    ]
    if has_route(page_server, "POST", "/api/v1/downloads"):
        refused.append(httpx.post(f"{base}/api/v1/downloads", headers=headers,
                                  json={"image_ids": [image_id]}))
    refused += [
        httpx.post(f"{base}/api/v1/tags/{tag_name}/tag_images", headers=headers,
                   json={"image_ids": [image_id]}),
        httpx.post(f"{base}/api/v1/tags", headers=headers, json={"tag": {"name": "other"}}),
        httpx.put(f"{base}/api/v1/images/{image_id}/annotation", headers=headers,
                  json={"svg": "<svg xmlns='http://www.w3.org/2000/svg'/>", "object": None}),
    ]
    for response in refused:
        assert response.status_code in (401, 404), (response.request.url, response.text)
        assert response.status_code == 401 or "trash" in str(response.request.url)
    still = httpx.get(f"{base}/api/v1/images/{image_id}", headers=headers)
    assert still.status_code == 200
    assert still.json()["rotation"] == 0 and still.json()["title"] is None
    check_log(page_server, token)


def test_upload_failures_and_network_drops(browser: Any, page_server: Server,
                                           corpus: Path) -> None:
    from playwright.sync_api import expect

    album_id = new_album()
    token = token_for(page_server, album_id, EVERY_ABILITY)
    with album_page(browser, page_server, album_id, token) as (page, watch):
        # Files the server refuses: each row shows the server's own message.
        bad = [corpus / "malformed" / "truncated_baseline.jpg",
               corpus / "not-image" / "pdf_document.jpg"]
        form = httpx.get(f"{page_server.base_url}/api/v1/albums/{album_id}",
                         headers=auth(token)).json()["upload_form"]
        messages = []
        for path in bad:
            answer = httpx.post(form["url"], data={k: str(v) for k, v in form["params"].items()},
                                files={"file": (path.name, path.read_bytes(), "image/jpeg")})
            assert answer.status_code == 400, answer.text
            messages.append(answer.json()["error"]["message"])
        drop_files(page, "#dropzone", bad)
        failed = page.locator("#upload-list .upload.failed [role=alert]")
        expect(failed).to_have_count(2, timeout=30_000)
        expect(failed).to_have_text([f"{p.name}: {m}" for p, m in zip(bad, messages, strict=True)])
        expect(page.locator("#gallery .tile")).to_have_count(0)
        # The network drops during an upload: the page waits for it, then sends the file again.
        page.context.set_offline(True)
        drop_files(page, "#dropzone", [corpus / "jpeg" / "hopper_baseline.jpg"])
        expect(page.locator("#upload-list .upload-state").last).to_contain_text("retrying")
        page.context.set_offline(False)
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(1, timeout=30_000)
        expect(page.locator("#gallery .tile[data-id] img")).to_have_attribute(
            "alt", "hopper_baseline")


def test_token_is_refreshed_before_it_expires(browser: Any, page_server: Server) -> None:
    album_id = new_album()
    token = token_for(page_server, album_id, READ_ONLY)
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.clock.install()
    watch = Watch(page, page_server.base_url)
    page.goto(f"{page_server.base_url}/pagelayout/{album_id}?token={token}")
    page.wait_for_function("() => document.querySelector('#count').textContent !== ''")
    album_url = f"{page_server.base_url}/api/v1/albums/{album_id}"
    before = [a for _m, u, a in watch.requests if u == album_url]
    assert before == [f'Token token="{token}"']
    # X-tokens live 4 hours; the page asks for a new one a few minutes before the end.
    page.clock.run_for("03:56:00")
    deadline = time.monotonic() + 10
    while len([u for _m, u, _a in watch.requests if u == album_url]) < 2:
        assert time.monotonic() < deadline, watch.requests
        page.wait_for_timeout(100)
    refresh = [a for _m, u, a in watch.requests if u == album_url][1]
    assert refresh and refresh != before[0]
    watch.check(token)
    context.close()


# --- actions served by the rest of the API (feature-detected until every route is in) ----

def require(server: Server, method: str, path: str) -> None:
    if not has_route(server, method, path):
        pytest.skip(f"{method} {path} is not served yet")


@pytest.fixture
def edit_album(page_server: Server, corpus: Path) -> tuple[str, list[dict[str, Any]]]:
    album_id = new_album()
    images = [upload_by_api(page_server, album_id, corpus / p) for p in (PHOTOS[0], PHOTOS[2])]
    return album_id, images


def test_rotate_crop_caption(browser: Any, page_server: Server,
                             edit_album: tuple[str, list[dict[str, Any]]]) -> None:
    from playwright.sync_api import expect

    album_id, images = edit_album
    token = token_for(page_server, album_id, EVERY_ABILITY)
    with album_page(browser, page_server, album_id, token) as (page, watch):
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(2)
        thumb = page.locator(f"#gallery .tile[data-id='{images[0]['id']}'] img")
        before = thumb.get_attribute("src")
        thumb.click()
        page.locator("#rotate-right").click()
        expect(page.locator("#viewer-status")).to_have_text("Rotate right: done.")
        after = thumb.get_attribute("src")
        assert after != before and "a_90" in (after or "")
        thumb.evaluate("img => img.decode()")  # the rotated thumbnail renders

        page.locator("#crop-start").click()
        expect(page.locator("#crop-box")).to_be_visible()
        page.locator("#crop-box").press("Shift+ArrowLeft")
        page.locator("#crop-box").press("Shift+ArrowUp")
        page.locator("#crop-apply").click()
        expect(page.locator("#viewer-status")).to_have_text("Crop: done.")
        cropped = httpx.get(f"{page_server.base_url}/api/v1/images/{images[0]['id']}",
                            headers=auth(token)).json()
        assert cropped["rotation"] == 90
        assert cropped["crop_w"] > 0 and cropped["crop_h"] > 0
        assert "c_crop" in (thumb.get_attribute("src") or "")

        page.locator("#caption-start").click()
        page.locator("#caption-title").fill("Seine at dusk")
        page.locator("#caption-description").fill("From the bridge")
        page.locator("#caption-form button[type=submit]").click()
        expect(page.locator("#viewer-title")).to_have_text("Seine at dusk")
        expect(page.locator("#viewer-caption")).to_have_text("From the bridge")


def test_tag_with_autocomplete(browser: Any, page_server: Server,
                               edit_album: tuple[str, list[dict[str, Any]]]) -> None:
    from playwright.sync_api import expect

    album_id, images = edit_album
    token = token_for(page_server, album_id, EVERY_ABILITY)
    with album_page(browser, page_server, album_id, token) as (page, watch):
        page.locator("#gallery .tile-open").first.click()
        page.locator("#tag-input").fill("Roof")
        page.locator("#tag-form button[type=submit]").click()
        expect(page.locator("#tag-list .tag")).to_have_text(["Roof"])
        page.keyboard.press("ArrowRight")
        page.locator("#tag-input").fill("Ro")
        expect(page.locator("#tag-suggestions option[value='Roof']")).to_have_count(1)


def test_infinite_scroll_keeps_the_server_order(browser: Any, page_server: Server,
                                                corpus: Path) -> None:
    from playwright.sync_api import expect

    album_id = new_album()
    photo = corpus / "jpeg" / "hopper_baseline.jpg"
    ids = [upload_by_api(page_server, album_id, photo)["id"] for _ in range(33)]
    token = token_for(page_server, album_id, READ_ONLY)
    pages = [httpx.get(f"{page_server.base_url}/api/v1/albums/{album_id}/images",
                       params={"page": p}, headers=auth(token)) for p in (1, 2)]
    listed = [image["id"] for answer in pages for image in answer.json()]
    assert sorted(listed) == sorted(ids)
    per_page = int(pages[0].headers["X-Per-Page"])
    with album_page(browser, page_server, album_id, token,
                    viewport={"width": 390, "height": 400}) as (page, watch):
        tiles = page.locator("#gallery .tile[data-id]")
        expect(tiles).to_have_count(per_page)  # one page first...
        page.wait_for_timeout(500)
        assert len([u for _m, u, _a in watch.requests if f"/albums/{album_id}/images" in u]) == 1
        page.locator("#gallery .tile").last.scroll_into_view_if_needed()
        expect(tiles).to_have_count(len(ids))  # ...the next as the end comes into view
        shown = page.eval_on_selector_all("#gallery .tile[data-id]",
                                          "t => t.map(e => e.dataset.id)")
        assert shown == listed
        asked = [u for _m, u, _a in watch.requests if f"/albums/{album_id}/images" in u]
        assert len(asked) == 2, asked  # X-Total-Count: no third request


def test_download_zip_of_two(browser: Any, page_server: Server,
                             edit_album: tuple[str, list[dict[str, Any]]]) -> None:
    from playwright.sync_api import expect

    album_id, images = edit_album
    require(page_server, "POST", "/api/v1/downloads")
    token = token_for(page_server, album_id, EVERY_ABILITY)
    with album_page(browser, page_server, album_id, token, **DESKTOP,
                    accept_downloads=True) as (page, _watch):
        expect(page.locator("#gallery .tile[data-id]")).to_have_count(2)
        page.locator("#select-toggle").click()
        for box in page.locator("#gallery .tile-select").all():
            box.check()
        expect(page.locator("#download-zip")).to_have_text("Download ZIP (2)")
        with page.expect_download(timeout=60_000) as info:
            page.locator("#download-zip").click()
        data = Path(info.value.path()).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert len(archive.namelist()) == 2, archive.namelist()


def test_duplicate(browser: Any, page_server: Server,
                   edit_album: tuple[str, list[dict[str, Any]]]) -> None:
    from playwright.sync_api import expect

    album_id, images = edit_album
    token = token_for(page_server, album_id, EVERY_ABILITY)
    with album_page(browser, page_server, album_id, token) as (page, watch):
        page.locator("#gallery .tile-open").first.click()
        page.locator("#duplicate").click()
        tiles = page.locator("#gallery .tile[data-id]")
        expect(tiles).to_have_count(3)
        ids = page.eval_on_selector_all("#gallery .tile[data-id]", "t => t.map(e => e.dataset.id)")
        assert ids[0] == images[0]["id"] and ids[2] == images[1]["id"]
        copy = httpx.get(f"{page_server.base_url}/api/v1/images/{ids[1]}", headers=auth(token))
        assert copy.status_code == 200 and copy.json()["album_id"] == album_id
        expect(page.locator("#count")).to_have_text("(3 images)")


def test_annotate(browser: Any, page_server: Server,
                  edit_album: tuple[str, list[dict[str, Any]]]) -> None:
    from playwright.sync_api import expect

    album_id, images = edit_album
    token = token_for(page_server, album_id, EVERY_ABILITY)
    context = browser.new_context(**DESKTOP)
    page, watch = open_page(context, page_server, album_id, token)
    page.locator("#gallery .tile-open").first.click()
    page.locator("#annotate-start").click()
    layer = page.locator("#draw-layer").bounding_box()
    assert layer is not None
    page.mouse.move(layer["x"] + 20, layer["y"] + 20)
    page.mouse.down()
    page.mouse.move(layer["x"] + layer["width"] / 2, layer["y"] + layer["height"] / 2, steps=5)
    page.mouse.up()
    page.locator("#annotate-save").click()
    expect(page.locator("#annotation-layer")).to_be_visible()
    saved = httpx.get(f"{page_server.base_url}/api/v1/images/{images[0]['id']}/annotation",
                      headers=auth(token)).json()
    assert re.search(r"<path d=\"M\d+ \d+ L", saved["svg"])
    assert len(saved["object"]["strokes"]) == 1
    shown = page.locator("#annotation-layer").get_attribute("src") or ""
    assert urlsplit(shown).scheme == "blob"
    watch.check(token)
    # Shown again on the next visit, from the server (a reload has no token left: the page
    # took it out of the address bar, so the record opens the album again with its token).
    page.reload()
    expect(page.locator("#status")).to_contain_text("needs its access token")
    again, watch = open_page(context, page_server, album_id, token)
    again.locator("#gallery .tile-open").first.click()
    expect(again.locator("#annotation-layer")).to_be_visible()
    watch.check(token)
    context.close()
