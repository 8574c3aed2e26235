"""The one safe way to turn a probed original into pixels (`load_image`), for analysis and
rendering alike.

Owns the libvips lock-down (`harden_libvips`: untrusted loaders blocked, and every loader
outside an allow-list, so ImageMagick, Ghostscript/PDF, the VIPS native format and friends can
never be reached), the choice of the specific loader from the sniffed type (never
`new_from_file`, which guesses), and the Pillow / pillow-heif fallbacks for what the libvips
wheel cannot decode: BMP (libvips reads it only through ImageMagick), HEVC-coded HEIF (the wheel's
libheif has no HEVC decoder), AVIF image sequences and APNG frames past the first. Fallback
pixels are handed over as a pyvips image built from memory. It checks no budgets: callers load
only what `tessera.media.probe` has accepted.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pillow_heif
import pyvips
from PIL import AvifImagePlugin, BmpImagePlugin, Image, ImageFile, JpegImagePlugin, PngImagePlugin

from tessera.errors import ImageRejected, ImageTooLarge
from tessera.media.sniff import LABELS, sniff
from tessera.media.svg import inspect_svg, read_svg

if TYPE_CHECKING:
    from tessera.media.probe import Probe

Access = Literal["random", "sequential"]

# Loader operations libvips may run; all others stay blocked. SVG only from a buffer we have
# inspected (tessera.media.svg), never from a file or source it could resolve paths against.
ALLOWED_LOADERS = ("VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadNsgif",
                   "VipsForeignLoadWebp", "VipsForeignLoadTiff", "VipsForeignLoadHeif",
                   "VipsForeignLoadSvgBuffer")

# How strict a decode is. libjpeg, libpng, libnsgif, libwebp and libheif warn only about damaged
# image data (truncation, junk inside segments), so any warning refuses the file. libtiff also
# warns about harmless tag oddities ("Bogus StripByteCounts field", corpus
# `malformed/wrong_bits_per_sample.tiff`), so TIFF fails on errors only.
FAIL_ON: dict[str, str] = {"jpg": "warning", "png": "warning", "gif": "warning",
                           "webp": "warning", "avif": "warning", "heic": "warning",
                           "tiff": "error", "svg": "warning"}

_LOADERS: dict[str, str] = {"jpg": "jpegload", "png": "pngload", "gif": "gifload",
                            "webp": "webpload", "tiff": "tiffload", "avif": "heifload",
                            "heic": "heifload"}
_PAGED = frozenset({"gif", "webp", "tiff", "avif", "heic"})

_harden_lock = threading.Lock()
_hardened = False


def harden_libvips() -> None:
    """Block every libvips loader except `ALLOWED_LOADERS` and turn the operation cache off,
    process-wide. Idempotent; every entry point here calls it, and `create_app` may call it
    early."""
    global _hardened
    with _harden_lock:
        if _hardened:
            return
        # No operation cache: renders read ever new files, so the cache only keeps references
        # to images nobody asks for again, and its bookkeeping costs ~0.3 ms per render.
        pyvips.cache_set_max(0)
        _forward_warnings_only()
        pyvips.block_untrusted_set(True)
        pyvips.operation_block_set("VipsForeignLoad", True)
        for name in ALLOWED_LOADERS:  # unblocking a class unblocks its File/Buffer/Source
            pyvips.operation_block_set(name, False)
        for name in ("VipsForeignLoadSvgFile", "VipsForeignLoadSvgSource"):
            pyvips.operation_block_set(name, True)
        # libvips' own format, from files only: the previews Tessera writes (media.preview).
        # No upload reaches it: originals are sniffed and opened by their format's loader.
        pyvips.operation_block_set("VipsForeignLoadVipsFile", False)
        _hardened = True


def _forward_warnings_only() -> None:
    """libvips logs each pipeline's plan at INFO ("reducev: 9 point mask", "threadpool
    completed": 8 messages per render) and pyvips hands every message to Python logging from
    the libvips thread, which must take the GIL for it. Forward warnings and errors only;
    GLib's default handler drops the rest without leaving C."""
    flags = pyvips.GLogLevelFlags
    glib = pyvips.glib_lib
    old = getattr(pyvips, "_log_handler_id", None)
    if not old:
        return
    glib.g_log_remove_handler(b"VIPS", old)
    pyvips._log_handler_id = glib.g_log_set_handler(  # pyvips removes it again at exit
        b"VIPS", flags.LEVEL_WARNING | flags.LEVEL_CRITICAL | flags.LEVEL_ERROR
        | flags.FLAG_FATAL | flags.FLAG_RECURSION, pyvips._log_handler_cb, pyvips.ffi.NULL)


def set_render_threads(threads: int) -> None:
    """How many threads libvips gives each image pipeline, process-wide."""
    pyvips.concurrency_set(max(1, threads))


def vips_header(path: Path, fmt: str, *, page: int = 0, n: int = 1, access: Access = "random",
                fail_on: str | None = None, svg: bytes | None = None,
                **options: Any) -> pyvips.Image:
    """A lazy libvips image from the loader for `fmt`: header fields are read, pixels are
    decoded only when computed. `svg` is the inspected document for format "svg"."""
    harden_libvips()
    # libvips keeps an error log across calls; start clean so a refusal quotes its own cause.
    pyvips.vips_lib.vips_error_clear()
    strictness = fail_on or FAIL_ON[fmt]
    if fmt == "svg":
        if svg is None:
            raise ValueError("svg bytes required")
        return pyvips.Image.svgload_buffer(svg, access=access, fail_on=strictness, **options)
    # For HEIF, leaving page unset selects the primary image, which need not be the first.
    if fmt in _PAGED and not (fmt in ("heic", "avif") and page == 0 and n == 1):
        options.update(page=page, n=n)
    loader = getattr(pyvips.Image, _LOADERS[fmt])
    # revalidate: never reuse a cached load of this path. The file behind a path can change
    # (a temporary name reused), and pixels read through a stale cached image of a file
    # truncated since then crash the process with SIGBUS.
    return loader(str(path), access=access, fail_on=strictness, revalidate=True, **options)


def load_image(path: Path, probe: Probe, *, page: int = 0, n: int = 1,
               access: Access = "random", shrink: int = 1) -> pyvips.Image:
    """Pixels of an accepted original: frames `page` .. `page + n - 1` (n=-1: to the end)
    stacked vertically as libvips does, before EXIF orientation. `shrink` lets JPEG, WebP and SVG
    decode at up to 1/shrink of the size (a hint: check the returned size).

    libvips decodes lazily: a file damaged since it was probed can still fail later, as
    pyvips.Error while pixels are computed; `rejection()` turns that into the public error.

    Raises:
        ImageRejected: the file no longer opens (it changed since it was probed).
    """
    harden_libvips()
    try:
        return _load(path, probe, page=page, n=n, access=access, shrink=shrink)
    except pyvips.Error as exc:
        raise rejection(probe.format, exc) from exc
    except (ImageRejected, MemoryError):
        raise
    except Exception as exc:  # broad on purpose: Pillow raises many types on hostile input
        raise pillow_rejection(probe.format, exc) from exc


def _load(path: Path, probe: Probe, *, page: int, n: int, access: Access,
          shrink: int) -> pyvips.Image:
    fmt = probe.format
    if fmt == "bmp":
        with BmpImagePlugin.BmpImageFile(str(path)) as im:
            return _frames_to_vips(im, fmt, page=0, n=1)
    if fmt == "heic":
        return _load_heif(path, page=page, n=n)
    if fmt == "avif" and _sniffed_sequence(path):
        with AvifImagePlugin.AvifImageFile(str(path)) as im:
            return _frames_to_vips(im, fmt, page=page, n=n)
    if fmt == "png" and probe.frames > 1 and (page > 0 or n != 1):
        with PngImagePlugin.PngImageFile(str(path)) as im:
            return _frames_to_vips(im, fmt, page=page, n=n)
    options: dict[str, Any] = {}
    if fmt == "jpg" and shrink >= 8:
        eighth = _jpeg_at_eighth(path, access)
        if eighth is not None:
            return eighth
    if fmt == "jpg" and shrink > 1:
        options["shrink"] = max(s for s in (1, 2, 4, 8) if s <= shrink)
    elif fmt in ("webp", "svg") and shrink > 1:
        options["scale"] = 1.0 / shrink
    svg = None
    if fmt == "svg":
        svg = read_svg(path, compressed=sniff(_head(path)).compressed)
        inspect_svg(svg)  # again: the file is re-read, so re-checked
    # The file passed the strict check when it was probed; the few warnings probing then
    # accepts (a JPEG restart-interval resync, see probe._RESYNC_WARNING) must not fail later.
    return vips_header(path, fmt, page=page, n=n, access=access, svg=svg, fail_on="error",
                       **options)


# What a JPEG decoded by Pillow takes over from libvips' own header.
_JPEG_FIELDS = ("icc-profile-data", "exif-data", "xmp-data", "iptc-data", "orientation")


def _jpeg_at_eighth(path: Path, access: Access) -> pyvips.Image | None:
    """The JPEG at 1/8 of its size, decoded by Pillow's libjpeg-turbo; None: libvips decodes.

    At 1/8 a JPEG decoder reads only the DC coefficients, so the time is all Huffman
    decoding, which Pillow's libjpeg-turbo does ~6% faster than the libvips wheel's mozjpeg
    (a 24 MP photo: 52.9 → 49.5 ms, the same pixels). The result is small (1/64 of the
    pixels), so holding it in memory instead of streaming it costs little. Only 8-bit RGB
    and grey JPEGs; libvips' own header supplies size, metadata and interpretation, and
    anything Pillow refuses goes back to libvips, whose verdict stands."""
    header = vips_header(path, "jpg", access=access, fail_on="error")
    width, height = header.width // 8, header.height // 8  # libvips' size: rounded down
    if header.format != "uchar" or (header.bands, header.interpretation) not in (
            (3, "srgb"), (1, "b-w")) or min(width, height) < 1:
        return None
    try:
        with JpegImagePlugin.JpegImageFile(str(path)) as im:
            if im.mode != ("RGB" if header.bands == 3 else "L"):
                return None
            im.draft(im.mode, (width, height))  # the largest scale keeping this size: 1/8
            decoded = im.size  # libjpeg rounds up: one partial column and row more
            if decoded != (-(-header.width // 8), -(-header.height // 8)):
                return None
            # The whole file in one read and one decoder call, not 64 KB at a time: each call
            # gives up the GIL and takes it back, and a worker whose event loop is busy makes
            # every taking back wait (a 24 MP JPEG: ~150 calls).
            im.decodermaxblock = max(im.decodermaxblock, path.stat().st_size)
            im.load()
            pixels = im.tobytes()
    except Exception:  # noqa: BLE001 - any doubt: libvips decodes (and refuses) it
        return None
    image = pyvips.Image.new_from_memory(pixels, decoded[0], decoded[1], header.bands, "uchar")
    if decoded != (width, height):
        image = image.crop(0, 0, width, height)
    image = image.copy(interpretation=header.interpretation, xres=header.xres,
                       yres=header.yres)
    for name in _JPEG_FIELDS:
        kind = header.get_typeof(name)
        if kind != 0:
            image.set_type(kind, name, header.get(name))
    return image


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4096)


def _sniffed_sequence(path: Path) -> bool:
    return sniff(_head(path)).sequence


def _load_heif(path: Path, *, page: int, n: int) -> pyvips.Image:
    heif = pillow_heif.open_heif(str(path), convert_hdr_to_8bit=True)
    # Page 0 is the primary image, as in libvips' heifload; then the others in file order.
    order = [heif.primary_index, *(i for i in range(len(heif)) if i != heif.primary_index)]
    last = len(order) if n == -1 else page + n
    images = [heif[i] for i in order[page:last]]
    if not images:
        raise ImageRejected("Invalid image file: no such frame")
    arrays = [_heif_array(image) for image in images]
    info = images[0].info
    icc, exif = info.get("icc_profile"), info.get("exif")
    return _to_vips(arrays, icc=icc if isinstance(icc, bytes) else None,
                    exif=exif if isinstance(exif, bytes) else None)


def _heif_array(image: pillow_heif.HeifImage) -> np.ndarray[Any, np.dtype[np.uint8]]:
    bands = 4 if image.has_alpha else 3
    width, height = image.size
    buffer = np.frombuffer(image.data, dtype=np.uint8)  # decodes here
    # Rows are `stride` bytes long; the tail of each row is padding.
    rows = buffer[: image.stride * height].reshape(height, image.stride)
    return np.ascontiguousarray(rows[:, : width * bands].reshape(height, width, bands))


def _frames_to_vips(im: ImageFile.ImageFile, fmt: str, *, page: int, n: int) -> pyvips.Image:
    total = getattr(im, "n_frames", 1)
    last = total if n == -1 else page + n
    frames = range(page, min(last, total))
    if not frames:
        raise ImageRejected("Invalid image file: no such frame")
    mode = "RGBA" if pillow_has_alpha(im) else "RGB"
    if im.mode in ("1", "L", "I;16", "I") and not pillow_has_alpha(im):
        mode = "L"
    arrays: list[np.ndarray[Any, np.dtype[np.uint8]]] = []
    delays: list[int] = []
    for index in frames:
        im.seek(index)
        arrays.append(np.asarray(im.convert(mode), dtype=np.uint8))
        delays.append(int(im.info.get("duration", 0) or 0))
    icc = im.info.get("icc_profile")
    return _to_vips(arrays, icc=icc if isinstance(icc, bytes) else None, delays=delays)


def pillow_has_alpha(im: Image.Image) -> bool:
    """Whether a Pillow image carries transparency (an alpha band or a transparent index)."""
    return im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info


def _to_vips(arrays: list[np.ndarray[Any, np.dtype[np.uint8]]], *, icc: bytes | None = None,
             exif: bytes | None = None, delays: list[int] | None = None) -> pyvips.Image:
    """Frames of equal size as one libvips image, frames stacked vertically."""
    stacked = np.ascontiguousarray(np.concatenate(arrays, axis=0))
    height, width = stacked.shape[:2]
    bands = 1 if stacked.ndim == 2 else stacked.shape[2]
    image = pyvips.Image.new_from_memory(stacked.data, width, height, bands, "uchar")
    image = image.copy(interpretation="srgb" if bands >= 3 else "b-w")
    if icc:
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
    if exif:
        image.set_type(pyvips.GValue.blob_type, "exif-data", exif)
    if len(arrays) > 1:
        image.set_type(pyvips.GValue.gint_type, "page-height", arrays[0].shape[0])
        image.set_type(pyvips.GValue.gint_type, "n-pages", len(arrays))
        if delays:
            image.set_type(pyvips.GValue.array_int_type, "delay", delays)
    return image


class _Watchdog:
    """One thread that runs actions when their time comes; `kill_after` schedules on it.

    A `threading.Timer` per render would start a thread per render, which costs about a
    millisecond on a loaded machine. A cancelled action is dropped at once (it holds the
    image); its heap entry, two numbers, stays until it is due."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._actions: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, seconds: float, action: Callable[[], None]) -> int:
        with self._cond:
            entry = next(self._ids)
            self._actions[entry] = action
            due = time.monotonic() + seconds
            # Woken only when it must wake sooner than it would: a render's kill is due long
            # after the entries already waiting (cancelled ones stay until due), and waking
            # the thread for nothing on every render takes the GIL from the request threads.
            sooner = not self._heap or due < self._heap[0][0]
            heapq.heappush(self._heap, (due, entry))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="vips-watchdog",
                                                daemon=True)
                self._thread.start()
            elif sooner:
                self._cond.notify()
            return entry

    def cancel(self, entry: int) -> None:
        with self._cond:
            self._actions.pop(entry, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                action = self._next_due()
            action()
            del action  # what it holds (an image) goes now, not when the next one is due

    def _next_due(self) -> Callable[[], None]:
        while True:
            if not self._heap:
                self._cond.wait()
                continue
            when, entry = self._heap[0]
            if entry not in self._actions:
                heapq.heappop(self._heap)
                continue
            delay = when - time.monotonic()
            if delay <= 0:
                heapq.heappop(self._heap)
                return self._actions.pop(entry)
            self._cond.wait(delay)


_watchdog = _Watchdog()


@contextmanager
def kill_after(image: pyvips.Image, seconds: float,
               error: Callable[[], Exception]) -> Iterator[None]:
    """Kill libvips' computation of `image` once `seconds` have passed, and raise `error()`
    instead of the libvips error the kill causes.

    The watchdog thread sets the kill flag, which libvips checks between tiles: no Python
    runs while the pixels are computed (an `eval` progress callback would take the GIL on
    every tick of every render, contending with the request threads)."""
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        image.set_kill(True)

    entry = _watchdog.schedule(max(0.0, seconds), kill)
    try:
        yield
    except pyvips.Error:
        if fired.is_set():
            raise error() from None
        raise
    finally:
        _watchdog.cancel(entry)


@contextmanager
def deadline(image: pyvips.Image, seconds: float) -> Iterator[None]:
    """Kill any computation on `image` that runs longer than `seconds` (a malformed file can
    keep a decoder busy; `malformed/truncated.svgz` spun libvips 8.14 forever).

    Raises:
        ImageRejected: the time ran out.
    """
    with kill_after(image, seconds,
                    lambda: ImageRejected("Invalid image file: decoding took too long")):
        yield


def rejection(fmt: str, exc: Exception) -> ImageRejected:
    """The public refusal for a libvips load error; the library text goes into `detail`."""
    text = str(exc)
    label = LABELS.get(fmt, fmt.upper())
    if "Security limit exceeded" in text or "exceeds the maximum image size" in text:
        return ImageTooLarge(f"Image exceeds the decoder's size limit ({label})", detail=text)
    lowered = text.lower()
    if any(s in lowered for s in ("premature end", "unexpected end", "truncated", "end of file",
                                  "read error", "out of data", "bad seek")):
        return ImageRejected(f"Invalid image file: truncated {label}", detail=text)
    return ImageRejected(f"Invalid image file: corrupt {label}", detail=text)


def pillow_rejection(fmt: str, exc: BaseException) -> ImageRejected:
    """The public refusal for a Pillow / pillow-heif decode error."""
    text = f"{type(exc).__name__}: {exc}"
    label = LABELS.get(fmt, fmt.upper())
    if isinstance(exc, Image.DecompressionBombError) or "Security limit" in text:
        return ImageTooLarge(f"Image exceeds the decoder's size limit ({label})", detail=text)
    if isinstance(exc, EOFError) or "truncated" in text.lower() or "end of file" in text.lower():
        return ImageRejected(f"Invalid image file: truncated {label}", detail=text)
    return ImageRejected(f"Invalid image file: corrupt {label}", detail=text)
