"""The album page: `GET /pagelayout/:album_id?token=…` (and `/albums/:album_id?token=…`), the
gallery SharinPix shows inside a CRM record's iframe, and its static assets under
`/static/page/`.

The HTML is a shell naming the album; the page's ES modules read the token from the address
bar once, drop it from there, and speak the public API with it. The token never reaches this
route's answer, the assets' URLs or a log (`http.access_log` redacts it). The answer's headers
keep everything on this origin: a strict Content-Security-Policy (no inline script, no third
party), `Referrer-Policy: no-referrer` so the token-bearing URL never leaks as a referrer, and
`frame-ancestors` from the `page_frame_ancestors` setting instead of `X-Frame-Options`.
"""

from __future__ import annotations

import hashlib
import html
import os
from pathlib import Path
from string import Template
from typing import Final
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from tessera.http.deps import ServicesDep
from tessera.services.albums import check_album_id
from tessera.settings import Settings

WEB_DIR: Final = Path(__file__).resolve().parents[2] / "web"
STATIC_DIR: Final = WEB_DIR / "static" / "page"
STATIC_PREFIX: Final = "/static/page"
_SHELL: Final = Template((WEB_DIR / "pagelayout.html").read_text(encoding="utf-8"))

router = APIRouter(tags=["page"])


def assets_version() -> str:
    """A digest of the page's assets: a new release gets new URLs past any cache."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


_VERSION: Final = assets_version()
# Every module the entry point imports, fetched at once rather than one import level at a time.
_PRELOADS: Final = "\n".join(
    f'<link rel="modulepreload" href="{STATIC_PREFIX}/{path.name}">'
    for path in sorted(STATIC_DIR.glob("*.js")) if path.name != "main.js")


def content_security_policy(settings: Settings) -> str:
    """Self only; the configured public URL too when it is another origin (upload form and
    delivery URLs are built from it); `blob:`/`data:` images for annotations and previews."""
    public = urlsplit(settings.resolved_public_url)
    origin = f"{public.scheme}://{public.netloc}" if public.scheme and public.netloc else ""
    own = f"'self' {origin}".strip()
    return "; ".join((
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {own} data: blob:",
        f"connect-src {own}",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "object-src 'none'",
        f"frame-ancestors {settings.page_frame_ancestors}",
    ))


def page_headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "Referrer-Policy": "no-referrer",
        # The page is opened with a token in its URL: never stored by any cache.
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Permissions-Policy": "geolocation=(), microphone=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


@router.get("/pagelayout/{album_id}", response_class=HTMLResponse,
            summary="The album page (gallery, upload, viewer) for an iframe; `?token=`")
@router.get("/pagelayout/{album_id}/", include_in_schema=False)
@router.get("/albums/{album_id}", include_in_schema=False)
@router.get("/albums/{album_id}/", include_in_schema=False)
async def album_page(album_id: str, services: ServicesDep) -> HTMLResponse:
    check_album_id(album_id)
    body = _SHELL.substitute(album_id=html.escape(album_id, quote=True),
                             static=STATIC_PREFIX, version=_VERSION, preloads=_PRELOADS)
    return HTMLResponse(body, headers=page_headers(services.settings))


class PageAssets(StaticFiles):
    """The page's modules and styles; revalidated by ETag (module imports carry no version)."""

    def file_response(self, full_path: PathLike, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-cache"
        return response


def page_assets() -> PageAssets:
    return PageAssets(directory=STATIC_DIR)
