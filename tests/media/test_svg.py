"""SVG intake: hostile documents are refused before librsvg sees them, benign ones render,
and nothing is ever fetched."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import pyvips

from tessera.errors import ImageRejected, ImageTooLarge
from tessera.media.decode import harden_libvips, load_image
from tessera.media.svg import MAX_SVG_BYTES
from tests.media.images import probe

SVG = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def _write(tmp_path: Path, text: str, name: str = "a.svg") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def http_hits() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_benign_svg_renders_at_its_size(tmp_path: Path) -> None:
    path = _write(tmp_path, f"""<?xml version="1.0"?>
<svg {SVG} width="80" height="40" viewBox="0 0 80 40">
  <defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>
    <rect id="r" width="10" height="10"/></defs>
  <style>rect {{ fill: url(#g); }}</style>
  <rect width="80" height="40" fill="url(#g)"/>
  <use xlink:href="#r" x="5"/><a href="https://example.com/"><use href="#r" x="30"/></a>
</svg>""")
    found = probe(path)
    assert (found.format, found.mime, found.width, found.height) == ("svg", "image/svg+xml",
                                                                      80, 40)
    image = load_image(path, found)
    assert (image.width, image.height) == (80, 40)
    assert image.getpoint(40, 20)[:3] == [255, 0, 0]


def test_svgz_is_gunzipped(tmp_path: Path) -> None:
    document = f'<svg {SVG} width="12" height="7"><rect width="12" height="7"/></svg>'
    path = tmp_path / "a.svgz"
    path.write_bytes(gzip.compress(document.encode()))
    found = probe(path)
    assert (found.format, found.width, found.height) == ("svg", 12, 7)


HOSTILE = {
    "entity": f'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg {SVG}><text>&a;</text></svg>',
    "xxe": f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg {SVG}>&x;</svg>',
    "xinclude": f'<svg {SVG} xmlns:xi="http://www.w3.org/2001/XInclude"><text>'
                '<xi:include href="/etc/passwd" parse="text"/></text></svg>',
    "script": f"<svg {SVG}><script>alert(1)</script></svg>",
    "onload": f'<svg {SVG} onload="alert(1)"/>',
    "foreignObject": f"<svg {SVG}><foreignObject><p>x</p></foreignObject></svg>",
    "image-http": f'<svg {SVG}><image href="http://example.com/a.png"/></svg>',
    "image-file": f'<svg {SVG}><image xlink:href="file:///etc/passwd"/></svg>',
    "image-relative": f'<svg {SVG}><image xlink:href="../secret.png"/></svg>',
    "image-data": f'<svg {SVG}><image href="data:image/svg+xml;base64,PHN2Zy8+"/></svg>',
    "fill-url": f'<svg {SVG}><rect fill="url( \'https://example.com/a#b\' )"/></svg>',
    "style-url": f'<svg {SVG}><rect style="fill:url(//example.com/x)"/></svg>',
    "css-import": f"<svg {SVG}><style>@import url(#local);</style></svg>",
    "css-escape": f"<svg {SVG}><style>rect {{ fill: u\\72l(http://x/) }}</style></svg>",
    "stylesheet-pi": f'<?xml-stylesheet href="http://example.com/a.css"?><svg {SVG}/>',
    "xml-base": f'<svg {SVG} xml:base="http://example.com/"/>',
    "link-javascript": f'<svg {SVG}><a href="javascript:alert(1)"><rect/></a></svg>',
    "cycle": f'<svg {SVG}><g id="a"><use href="#a"/></g></svg>',
    "not-svg-root": "<svg/>".replace("svg/", "html/") + "<!-- <svg> -->",
    "malformed": f"<svg {SVG}><rect></svg>",
}


REASONS = {
    "entity": "SVG declares XML entities", "xxe": "SVG declares XML entities",
    "xinclude": "SVG includes other files",
    "script": "SVG contains scripts", "onload": "SVG contains scripts",
    "foreignObject": "SVG contains scripts", "stylesheet-pi": "external stylesheet",
    "cycle": "SVG references form a cycle", "not-svg-root": "Unsupported file type: HTML",
    "malformed": "malformed SVG",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_svg_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ImageRejected) as refused:
        probe(_write(tmp_path, HOSTILE[name]))
    assert refused.value.status == 400
    assert REASONS.get(name, "SVG references external resources") in refused.value.message


def test_reference_amplification_is_refused(tmp_path: Path) -> None:
    # Ten levels of ten <use> each: 10^10 elements to render from a 3 KB document.
    levels = ['<g id="l0"><rect width="1" height="1"/></g>']
    for level in range(1, 11):
        uses = "".join(f'<use href="#l{level - 1}" x="{i}"/>' for i in range(10))
        levels.append(f'<g id="l{level}">{uses}</g>')
    document = f'<svg {SVG} width="10" height="10"><defs>{"".join(levels)}</defs>' \
               '<use href="#l10"/></svg>'
    with pytest.raises(ImageTooLarge) as refused:
        probe(_write(tmp_path, document))
    assert refused.value.message == "SVG is too complex to render"


def test_element_and_byte_budgets(tmp_path: Path) -> None:
    many = f'<svg {SVG}>' + "<rect/>" * 100_001 + "</svg>"
    with pytest.raises(ImageTooLarge, match="too many elements"):
        probe(_write(tmp_path, many))
    bomb = tmp_path / "bomb.svgz"
    bomb.write_bytes(gzip.compress(f"<svg {SVG}>".encode() + b" " * (MAX_SVG_BYTES + 1)))
    with pytest.raises(ImageTooLarge, match="decompressed"):
        probe(bomb)


def test_truncated_svgz_is_refused(tmp_path: Path) -> None:
    whole = gzip.compress(f'<svg {SVG} width="5" height="5">{"<rect/>" * 400}</svg>'.encode())
    path = tmp_path / "cut.svgz"
    path.write_bytes(whole[: len(whole) - 30])
    with pytest.raises(ImageRejected) as refused:
        probe(path)
    assert refused.value.message == "Invalid image file: truncated SVGZ"


def test_an_svg_never_reaches_the_network(tmp_path: Path,
                                          http_hits: tuple[str, list[str]]) -> None:
    base, hits = http_hits
    # A DTD reference is harmless (neither defusedxml nor librsvg loads DTDs): accepted.
    dtd = _write(tmp_path, f'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "{base}/svg11.dtd">'
                           f'<svg {SVG} width="6" height="6"><rect width="6" height="6"/></svg>',
                 "dtd.svg")
    found = probe(dtd)
    load_image(dtd, found).avg()
    # Anything that would fetch is refused before rendering.
    for index, body in enumerate([f'<image href="{base}/image.png" width="5" height="5"/>',
                                  f'<rect width="5" height="5" fill="url({base}/p#x)"/>',
                                  f"<style>@import url({base}/style.css);</style>"]):
        with pytest.raises(ImageRejected):
            probe(_write(tmp_path, f'<svg {SVG} width="6" height="6">{body}</svg>',
                         f"{index}.svg"))
    # And librsvg itself, reached around the inspection, fetches nothing either.
    harden_libvips()
    document = f'<svg {SVG} width="6" height="6"><image href="{base}/direct.png" ' \
               'width="6" height="6"/></svg>'
    pyvips.Image.svgload_buffer(document.encode()).avg()
    assert hits == []
