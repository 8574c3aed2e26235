"""The album page's HTML shell and assets over real HTTP: headers that keep the token on this
origin, the album id escaped, every module the page imports served; unknown API paths; the
access log's token redaction."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tessera.http.access_log import REDACTED, RedactTokens, log_config, redact
from tessera.settings import Settings
from tests.conftest import make_settings

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzZWNyZXQiOnRydWV9.c2lnbmF0dXJl"  # noqa: S105 - a sample


def directives(response: object) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in policy.split(";"))}


@pytest.mark.parametrize("path", ["/pagelayout/{id}", "/pagelayout/{id}/", "/albums/{id}",
                                  "/albums/{id}/"])
def test_the_shell_keeps_the_token_on_this_origin(client: TestClient, path: str) -> None:
    album_id = "001Rec0000AbCdE"
    response = client.get(path.format(id=album_id), params={"token": TOKEN})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert TOKEN not in response.text
    assert f'data-album-id="{album_id}"' in response.text
    csp = directives(response)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["img-src"].split() == ["'self'", "http://testserver", "data:", "blob:"]
    assert csp["connect-src"].split() == ["'self'", "http://testserver"]
    assert csp["frame-ancestors"] == "*"
    assert csp["form-action"] == "'none'" and csp["base-uri"] == "'none'"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Made for iframes: no X-Frame-Options (frame-ancestors decides).
    assert "X-Frame-Options" not in response.headers
    # No inline script or style: the CSP would refuse them.
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text)
    assert "<style" not in response.text and " style=" not in response.text


def test_every_asset_and_module_is_served(client: TestClient) -> None:
    shell = client.get("/pagelayout/album-1").text
    assets = {urlsplit(a).path for a in re.findall(r'(?:href|src)="(/static/page/[^"]+)"', shell)}
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/page/([a-z]+\.js)">',
                               shell))
    seen: set[str] = set()
    pending = ["main.js"]
    while pending:  # follow the ES module graph from the entry point
        name = pending.pop()
        seen.add(name)
        response = client.get(f"/static/page/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["ETag"]
        imports = re.findall(r"^import .* from '\./([a-z]+\.js)';$", response.text, re.M)
        pending += [i for i in imports if i not in seen]
    assert {"main.js", "api.js", "gallery.js", "upload.js", "viewer.js"} <= seen
    # The shell preloads exactly the modules the entry point's graph needs.
    assert preloaded == seen - {"main.js"}
    assert assets == {f"/static/page/{name}" for name in seen | {"page.css"}}
    css = client.get("/static/page/page.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    # Nothing but the page's own assets, and no third-party URL in them.
    for name in seen | {"page.css"}:
        text = client.get(f"/static/page/{name}").text
        urls = re.findall(r"https?://[^\s'\"`)]+", text)
        assert all("openstreetmap.org" in u or "w3.org" in u for u in urls), (name, urls)
    assert client.get("/static/page/../pagelayout.html").status_code == 404
    assert client.get("/static/page/missing.js").status_code == 404


def test_the_album_id_is_escaped(client: TestClient) -> None:
    response = client.get('/pagelayout/x"><img src=x onerror=alert(1)>')
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert 'data-album-id="x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in response.text


def test_a_bad_album_id_is_refused(client: TestClient) -> None:
    response = client.get("/pagelayout/" + "a" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_frame_ancestors_follow_the_setting(tmp_path: Path) -> None:
    from tessera.app import create_app

    settings = make_settings(tmp_path, page_frame_ancestors="'self' https://*.example.com")
    settings = settings.model_copy(update={"public_url": "https://img.example.com/"})
    with TestClient(create_app(settings)) as client:
        csp = directives(client.get("/pagelayout/a"))
    assert csp["frame-ancestors"] == "'self' https://*.example.com"
    assert csp["connect-src"] == "'self' https://img.example.com"


@pytest.mark.parametrize("value", ["'self'; script-src *", "https://a.example\nX: y", "'unsafe'",
                                   ""])
def test_frame_ancestors_must_be_csp_sources(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(page_frame_ancestors=value)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/nothing/here"), ("POST", "/api/v1/albums/a/nothing"),
    ("PUT", "/api/v1/not_a_route/1"), ("DELETE", "/api/v2/images/1"),
])
def test_unknown_api_paths_are_404(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "http_error", "message": "Not Found"}}


def test_known_api_routes_are_not_shadowed(client: TestClient) -> None:
    assert client.get("/api/v1/albums/a").status_code == 401
    assert client.get("/api/v1/trashed_images").status_code == 401


@pytest.mark.parametrize(("logged", "shown"), [
    (f"/pagelayout/a?token={TOKEN}", f"/pagelayout/a?token={REDACTED}"),
    (f"/api/v1/cloudinary?token={TOKEN}&x=1", f"/api/v1/cloudinary?token={REDACTED}&x=1"),
    (f"/p?a=1&access_token={TOKEN}", f"/p?a=1&access_token={REDACTED}"),
    (f"/p?TOKEN%3D{TOKEN}", f"/p?TOKEN%3D{REDACTED}"),
    ("/api/v1/downloads/d1/zip?signature=abc123", f"/api/v1/downloads/d1/zip?signature={REDACTED}"),
    ("/images/abc/thumbnails/mini-0a1b.jpg", "/images/abc/thumbnails/mini-0a1b.jpg"),
    ("/p?tokens_count=3", "/p?tokens_count=3"),
])
def test_tokens_are_redacted(logged: str, shown: str) -> None:
    assert redact(logged) == shown


def test_the_access_log_never_prints_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    """uvicorn's own access formatter, through the handler `log_config` sets up."""
    import logging.config

    logging.config.dictConfig(log_config())
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/pagelayout/a?token={TOKEN}",
            "1.1", 200)
        out = capsys.readouterr().out
    finally:
        for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
            logging.getLogger(name).handlers.clear()
    assert f"GET /pagelayout/a?token={REDACTED} HTTP/1.1" in out
    assert TOKEN not in out
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "url=%s", (f"/x?token={TOKEN}",),
                               None)
    assert RedactTokens().filter(record) and record.getMessage() == f"url=/x?token={REDACTED}"
    bare = logging.LogRecord("x", logging.INFO, __file__, 1, f"GET /x?token={TOKEN}", (), None)
    assert RedactTokens().filter(bare) and bare.getMessage() == f"GET /x?token={REDACTED}"
