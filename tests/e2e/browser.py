"""Headless Debian Chromium driven by Playwright, and axe-core for accessibility checks.

`make browser-deps` (run by `make test`, so by CI) installs the `chromium` package and
axe-core from npm into `tests/_artifacts/node`. Outside CI a machine without them skips the
browser tests; in CI (`CI` set) their absence is a failure.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

NODE_DIR = REPO / "tests" / "_artifacts" / "node"
AXE = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: see `make browser-deps`)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    return next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p),
                None)


def axe_source() -> str:
    """axe-core's script, installed from npm on first use when npm is there."""
    if not AXE.exists() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix",
                        str(NODE_DIR), "axe-core@4"], check=False, timeout=300)
    if not AXE.exists():
        missing("axe-core is not installed (npm install --prefix tests/_artifacts/node axe-core@4)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        missing("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        missing("the playwright package is not installed (pip install -e '.[dev]')")
    # Room for a busy CI machine: renders and uploads share two cores with everything else.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def serious_violations(page: Any, source: str) -> list[str]:
    """axe-core run on the page as it is now; violations of impact serious or critical."""
    # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source + "\n;undefined")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in result
            if v["impact"] in ("serious", "critical")]


def drop_files(page: Any, selector: str, paths: list[Path]) -> None:
    """A real drag-and-drop of files: a DataTransfer with File objects, dropped on `selector`."""
    files = [{"name": p.name, "type": mimetypes.guess_type(p.name)[0] or "image/jpeg",
              "data": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, {type: f.type}));
            }
            return transfer;
        }""", files)
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, event, {"dataTransfer": transfer})


def throttle_uploads(page: Any, bytes_per_second: int | None) -> None:
    """Chromium's network emulation: uploads at `bytes_per_second` (None: full speed)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": bytes_per_second if bytes_per_second else -1})


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
