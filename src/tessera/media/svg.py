"""SVG intake: read (and gunzip) an SVG within a byte budget, and refuse hostile documents.

Owns the decision whether an SVG may reach librsvg at all. An SVG is a program more than a
picture: it can declare entities (XXE, billion laughs), include files (XInclude), fetch URLs
(`<image href>`, `fill="url(http://...)"`, CSS `@import`), carry scripts, and multiply its
rendering cost through `<use>` and pattern references. We refuse every one of these instead of
trying to sanitise, and hand librsvg only documents made of local shapes and `#fragment`
references; it renders those from a buffer, with no base URL, so nothing can resolve to a
local file either. This module parses with defusedxml and never renders.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from tessera.errors import ImageRejected, ImageTooLarge

MAX_SVG_BYTES = 10 * 1024 * 1024  # raw or decompressed document
MAX_SVG_ELEMENTS = 100_000
# Elements librsvg would visit with every <use> and url(#id) reference expanded; a few
# thousand for real illustrations, billions for `security/svg_nested_use.svg`.
MAX_SVG_RENDER_COST = 500_000

_XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
# Elements that run code or embed foreign (HTML) content.
_ACTIVE_ELEMENTS = frozenset({"script", "foreignobject", "handler", "listener", "iframe",
                              "embed", "object", "audio", "video"})
_URL_REF = re.compile(r"url\s*\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_URL_OPEN = re.compile(r"url\s*\(", re.IGNORECASE)


def read_svg(path: Path, *, compressed: bool) -> bytes:
    """The SVG document in `path`, gunzipped when `compressed`, within `MAX_SVG_BYTES`.

    Raises:
        ImageTooLarge: the file, or what it decompresses to, exceeds the byte budget.
        ImageRejected: a truncated or corrupt gzip stream.
    """
    if path.stat().st_size > MAX_SVG_BYTES:
        raise ImageTooLarge("SVG file is too large")
    raw = path.read_bytes()
    if not compressed:
        return raw
    # Bounded inflation: a 40 KB svgz can expand to 20 MB of elements
    # (`bomb/svgz_too_many_elements.svgz`), so never ask zlib for more than the budget.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, MAX_SVG_BYTES + 1)
    except zlib.error:
        raise ImageRejected("Invalid image file: corrupt SVGZ") from None
    if len(data) > MAX_SVG_BYTES or inflater.unconsumed_tail:
        raise ImageTooLarge("SVG is too large once decompressed")
    if not inflater.eof:
        raise ImageRejected("Invalid image file: truncated SVGZ")
    if inflater.unused_data.strip(b"\x00"):
        raise ImageRejected("Invalid image file: corrupt SVGZ")
    return data


def inspect_svg(data: bytes) -> None:
    """Refuse an SVG that is malformed, too big, or could reach outside its own document.

    Raises:
        ImageRejected: entities or DTD tricks, XInclude, scripts, external references.
        ImageTooLarge: too many elements, or references that explode the rendering cost.
    """
    # ElementTree drops processing instructions, but librsvg honours an xml-stylesheet PI,
    # which loads CSS from a URL.
    if b"<?xml-stylesheet" in data:
        raise ImageRejected("Invalid image file: SVG references an external stylesheet")
    try:
        root = defusedxml.ElementTree.fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise ImageRejected("Invalid image file: SVG declares XML entities") from None
    except ParseError:
        raise ImageRejected("Invalid image file: malformed SVG") from None
    if _local_name(root.tag).lower() != "svg":
        raise ImageRejected("Invalid image file: the document is not an SVG")
    elements = list(root.iter())
    if len(elements) > MAX_SVG_ELEMENTS:
        raise ImageTooLarge("SVG has too many elements")
    for element in elements:
        _check_element(element)
    if _render_cost(root, elements) > MAX_SVG_RENDER_COST:
        raise ImageTooLarge("SVG is too complex to render")


def _local_name(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


def _check_element(element: Element) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    name = _local_name(tag).lower()
    if tag.startswith("{" + _XINCLUDE_NS + "}"):
        raise ImageRejected("Invalid image file: SVG includes other files")
    if name in _ACTIVE_ELEMENTS:
        raise ImageRejected("Invalid image file: SVG contains scripts or embedded content")
    if name == "style" and element.text:
        _check_css(element.text)
    for key, value in element.attrib.items():
        attribute = _local_name(key).lower()
        if attribute.startswith("on"):
            raise ImageRejected("Invalid image file: SVG contains scripts or embedded content")
        if attribute == "base":  # xml:base would re-root every relative reference
            raise ImageRejected("Invalid image file: SVG references external resources")
        if attribute == "href":
            _check_href(name, value)
        if attribute == "style":
            _check_css(value)
        _check_urls(value)


def _check_href(element: str, value: str) -> None:
    target = value.strip()
    if target.startswith("#"):
        return
    # A link is never fetched by the rasteriser; only script URLs in it are a concern.
    if element == "a" and not target.lower().startswith(("javascript:", "data:", "vbscript:")):
        return
    raise ImageRejected("Invalid image file: SVG references external resources")


def _check_css(text: str) -> None:
    # CSS escapes (`u\72l(`) could spell url( past the check below.
    if "@import" in text.lower() or "\\" in text:
        raise ImageRejected("Invalid image file: SVG references external resources")


def _check_urls(value: str) -> None:
    if len(_URL_OPEN.findall(value)) != sum(
            1 for m in _URL_REF.finditer(value) if m.group(2).strip().startswith("#")):
        raise ImageRejected("Invalid image file: SVG references external resources")


def _references(element: Element) -> list[str]:
    ids: list[str] = []
    for key, value in element.attrib.items():
        if _local_name(key).lower() == "href" and value.strip().startswith("#"):
            ids.append(value.strip()[1:])
        ids.extend(m.group(2).strip()[1:] for m in _URL_REF.finditer(value))
    if _local_name(element.tag).lower() == "style" and element.text:
        ids.extend(m.group(2).strip()[1:] for m in _URL_REF.finditer(element.text))
    return ids


def _render_cost(root: Element, elements: list[Element]) -> int:
    """Elements visited when rendering, with references expanded; capped just above the
    limit so an exponential document costs no more than the budget to evaluate."""
    by_id = {e.attrib["id"]: e for e in elements if "id" in e.attrib}
    cap = MAX_SVG_RENDER_COST + 1
    cost: dict[int, int] = {}
    # Iterative post-order walk: documents may nest deeper than Python's recursion limit.
    on_path: set[int] = set()
    stack: list[tuple[Element, bool]] = [(root, False)]
    while stack:
        element, expanded = stack.pop()
        key = id(element)
        if key in cost:
            continue
        targets = [by_id[r] for r in _references(element) if r in by_id]
        if not expanded:
            if key in on_path:
                raise ImageRejected("Invalid image file: SVG references form a cycle")
            on_path.add(key)
            stack.append((element, True))
            for dependency in [*element, *targets]:
                if id(dependency) in on_path:
                    raise ImageRejected("Invalid image file: SVG references form a cycle")
                if id(dependency) not in cost:
                    stack.append((dependency, False))
            continue
        on_path.discard(key)
        total = 1 + sum(cost[id(child)] for child in element)
        total += sum(cost[id(target)] for target in targets)
        cost[key] = min(total, cap)
    return cost[id(root)]
