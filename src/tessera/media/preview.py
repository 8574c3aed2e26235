"""Previews: a large JPEG's pixels decoded at 1/8 at upload, kept beside its original.

Any derivative that is at most an eighth of a JPEG's size starts with the same decode: the
JPEG at 1/8, where libjpeg reads only the DC coefficients but must still Huffman-decode the
whole file (a 24 MP photo: ~50 ms of a ~100 ms render, the same in thumbor and sharp). The
upload decodes the file that way once anyway (the analysis does, for large images) and keeps the
result, uncompressed, in libvips' own format; renders that would decode at 1/8 map it instead
(~2 ms). Its pixels and header are those of the decode it replaces, so the derivatives are the
same bytes either way; only EXIF blocks differ (libvips' save updates their size fields), so a
render that keeps metadata decodes the original. Written only for photos of at least
`MIN_PIXELS`, where the decode it saves is worth the storage: 3 bytes per 64 pixels, 15-25% of
a camera JPEG. Uncompressed because reading it is then nearly free (750x500, measured: 2.4 ms
to map and read every pixel; 10 ms as LZW TIFF or PNG at half the size, 36 ms as WebP).

Previews are files Tessera wrote, never uploads: the libvips loader for its own format stays
blocked for everything else (`decode.harden_libvips`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pyvips

from tessera.errors import ImageRejected, NotFound
from tessera.media.decode import Access, deadline, harden_libvips, load_image
from tessera.media.probe import Probe

log = logging.getLogger(__name__)

SHRINK: Final = 8  # the largest JPEG shrink-on-load factor
MIN_PIXELS: Final = 4_000_000
SUFFIX: Final = ".v"  # libvips' format: a header, the raw pixels, the metadata as XML
_DECODE_SECONDS: Final = 30.0


def wanted(probe: Probe) -> bool:
    return probe.format == "jpg" and probe.frames == 1 \
        and probe.width * probe.height >= MIN_PIXELS


def preview_key(blob_key: str) -> str:
    """Where the preview of original `blob_key` is stored: beside it, named after it (content
    addressed like the original, so the assets sharing an original share its preview)."""
    return f"previews/{blob_key.removeprefix('originals/')}{SUFFIX}"


def original_keys(blob_key: str) -> tuple[str, str]:
    """Every blob an original owns, to delete together: itself and its preview (if any)."""
    return blob_key, preview_key(blob_key)


def make(path: Path, probe: Probe, out: Path) -> bool:
    """Write the preview of the JPEG at `path` to `out` (a name ending in `.v`); False, and
    nothing written, if the file does not decode at 1/8 (the analysis then has its say)."""
    try:
        image = load_image(path, probe, access="sequential", shrink=SHRINK)
        with deadline(image, _DECODE_SECONDS):
            image.write_to_file(str(out))
    except (ImageRejected, pyvips.Error) as exc:
        log.info("event=preview_skipped reason=%s", str(exc).splitlines()[0][:120])
        out.unlink(missing_ok=True)
        return False
    return True


def decode(locate: Callable[[], Path], probe: Probe, *, access: Access, shrink: int,
           preview: Callable[[], Path] | None) -> pyvips.Image:
    """`load_image(locate(), probe, access=…, shrink=…)`, from the preview instead when there
    is one (`preview` gives its local path) and the decode would be the one it holds; then
    `locate` (which may fetch the original) is not called."""
    if preview is None or probe.format != "jpg" or shrink < SHRINK:
        return load_image(locate(), probe, access=access, shrink=shrink)
    harden_libvips()
    try:
        # revalidate: as for originals, never a cached image of a file that may have changed.
        return pyvips.Image.vipsload(str(preview()), revalidate=True)
    except (pyvips.Error, NotFound, OSError) as exc:  # a cache: the original still answers
        log.warning("event=preview_unreadable error=%s", str(exc).splitlines()[0][:120])
        return load_image(locate(), probe, access=access, shrink=shrink)
