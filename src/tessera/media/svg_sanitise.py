"""Sanitise an annotation SVG (issue 5): what an editor (fabric.js…) drew over an image, shown
again in other users' browsers, so it must not be able to run or fetch anything.

Unlike `media.svg`, which refuses hostile uploads outright, this rebuilds the document from an
allow-list: drawing elements and presentation attributes are copied into a fresh tree,
everything else (scripts, `foreignObject`, images, links, event handlers, unknown namespaces,
comments, processing instructions) is dropped. References may only point inside the document
(`href="#id"`, `url(#id)`). A DTD or an entity declaration is refused (400), as are documents
over the byte, depth or element budgets. Parsing is defusedxml's; nothing is ever fetched.
"""

from __future__ import annotations

import re
from typing import Final
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import defusedxml
import defusedxml.ElementTree

from tessera.errors import BadRequest, PayloadTooLarge

MAX_SVG_BYTES: Final = 1024 * 1024
MAX_DEPTH: Final = 64
MAX_ELEMENTS: Final = 20_000
SVG_NS: Final = "http://www.w3.org/2000/svg"
_XLINK_NS: Final = "http://www.w3.org/1999/xlink"
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"

ELEMENTS: Final = frozenset({
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line",
    "polyline", "polygon", "text", "tspan", "lineargradient", "radialgradient", "stop",
    "clippath", "marker", "style",
})
# Elements whose character data is content (other text is indentation).
_TEXT_ELEMENTS: Final = frozenset({"text", "tspan", "title", "desc", "style"})
ATTRIBUTES: Final = frozenset({
    "id", "class", "style", "transform", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
    "rx", "ry", "fx", "fy", "width", "height", "d", "points", "pathlength", "viewbox",
    "preserveaspectratio", "version", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-dasharray",
    "stroke-dashoffset", "stroke-miterlimit", "opacity", "visibility", "display",
    "paint-order", "vector-effect", "color", "font-family", "font-size", "font-weight",
    "font-style", "font-variant", "text-anchor", "dominant-baseline", "alignment-baseline",
    "letter-spacing", "word-spacing", "text-decoration", "dx", "dy", "rotate", "textlength",
    "lengthadjust", "offset", "stop-color", "stop-opacity", "gradientunits",
    "gradienttransform", "spreadmethod", "clip-path", "clip-rule", "clippathunits",
    "marker-start", "marker-mid", "marker-end", "markerwidth", "markerheight", "refx",
    "refy", "orient", "markerunits", "href", "space",
})
_URL: Final = re.compile(r"url\s*\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_URL_OPEN: Final = re.compile(r"url\s*\(", re.IGNORECASE)
_LOCAL_REF: Final = re.compile(r"#[A-Za-z_][\w.:-]*")
# CSS that loads or runs something, or escapes (`u\72l(`) that could spell it past a check.
_ACTIVE_CSS: Final = ("@import", "\\", "expression", "javascript:", "-moz-binding",
                      "behavior", "image-set", "<")


def _split(tag: str) -> tuple[str, str]:
    """`{ns}name` → (ns, name)."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _is_local_only(value: str) -> bool:
    """Every `url(…)` in `value` points at `#id` of this document."""
    references = [m.group(2).strip() for m in _URL.finditer(value)]
    return len(_URL_OPEN.findall(value)) == len(references) and all(
        _LOCAL_REF.fullmatch(ref) for ref in references)


def _is_safe_css(text: str) -> bool:
    lowered = text.lower()
    return not any(token in lowered for token in _ACTIVE_CSS) and _is_local_only(text)


def _clean_attribute(key: str, value: str) -> tuple[str, str] | None:
    """The attribute as it is kept (`xlink:href` becomes `href`), or None to drop it."""
    namespace, name = _split(key)
    lowered = name.lower()
    if namespace == _XLINK_NS and lowered == "href" or namespace == "" and lowered == "href":
        target = value.strip()
        return ("href", target) if _LOCAL_REF.fullmatch(target) else None
    if namespace == _XML_NS and lowered == "space":
        return f"{{{_XML_NS}}}space", value
    if namespace or lowered not in ATTRIBUTES or lowered.startswith("on"):
        return None
    if lowered == "style" and not _is_safe_css(value):
        return None
    return (name, value) if _is_local_only(value) else None


def _parse(svg: str) -> Element:
    if len(svg.encode("utf-8", "surrogatepass")) > MAX_SVG_BYTES:
        raise PayloadTooLarge(f"The annotation SVG is over {MAX_SVG_BYTES} bytes")
    try:
        root: Element = defusedxml.ElementTree.fromstring(
            svg, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise BadRequest("The annotation SVG may not declare a DTD or entities") from None
    except (ParseError, ValueError):
        raise BadRequest("The annotation SVG is not well-formed XML") from None
    namespace, name = _split(root.tag if isinstance(root.tag, str) else "")
    if name != "svg" or namespace not in ("", SVG_NS):
        raise BadRequest("The annotation must be an <svg> document")
    return root


def sanitise_svg(svg: str) -> str:
    """The drawing of `svg` without anything active or external.

    Raises:
        PayloadTooLarge: more than `MAX_SVG_BYTES`.
        BadRequest: malformed, not an `<svg>`, DTD or entities, too deep, too many elements.
    """
    source = _parse(svg)
    # Plain names plus an explicit `xmlns`: ElementTree would otherwise invent `ns0:` prefixes.
    clean = Element("svg", {"xmlns": SVG_NS})
    count = 0
    # Iterative walk of (source element, parent copy or None for the root, depth, whether the
    # parent is text, whose children's tails are content).
    stack: list[tuple[Element, Element | None, int, bool]] = [(source, None, 1, False)]
    while stack:
        element, parent, depth, in_text = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise BadRequest(f"The annotation SVG nests deeper than {MAX_DEPTH} elements")
        if count > MAX_ELEMENTS:
            raise BadRequest(f"The annotation SVG has more than {MAX_ELEMENTS} elements")
        namespace, local = _split(element.tag if isinstance(element.tag, str) else "")
        name = local.lower()
        if namespace not in ("", SVG_NS) or name not in ELEMENTS:
            continue  # dropped with everything inside it
        if name == "style" and not _is_safe_css(element.text or ""):
            continue
        copy = clean if parent is None else SubElement(parent, local)
        for key, value in element.attrib.items():
            kept = _clean_attribute(key, value)
            if kept is not None:
                copy.set(*kept)
        if name in _TEXT_ELEMENTS:
            copy.text = element.text
        if in_text:
            copy.tail = element.tail
        is_text = name in ("text", "tspan")
        for child in reversed(list(element)):
            stack.append((child, copy, depth + 1, is_text))
    return tostring(clean, encoding="unicode")
