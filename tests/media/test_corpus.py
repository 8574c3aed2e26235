"""Every file of the shared corpus through probe_file, analyse and load_image, against what
its manifest says a correct service finds (../shared/corpus/README.md)."""

from __future__ import annotations

import functools
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import imagehash
import pytest

from tessera.errors import ImageRejected, ImageTooLarge
from tessera.media.decode import load_image, vips_header
from tessera.media.exif import datetime_original_of, gps_of, read_embedded
from tessera.media.metadata import Analysis, analyse
from tessera.media.probe import Probe, probe_file
from tests.media.corpus import FORMAT_NAMES, MAX_FRAMES, MAX_PIXELS, corpus_file, load_manifest

T = TypeVar("T")

MANIFEST = load_manifest()
# Generous: the whole corpus probes in a few seconds; a hang is what this catches.
TIME_LIMIT = 30.0

# Manifest expectations no strict decoder can meet, each failing for a stated reason.
NOT_MET = {
    "gps/ultrahdr_n_e.jpg": (
        "48 KB of metadata that ends at an SOS header with no entropy-coded data after it: "
        "there are no pixels to decode, so a strict decode refuses it exactly like "
        "malformed/truncated_baseline.jpg, which the manifest expects refused"),
}


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["path"] for entry in entries]


def _params(entries: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(e, id=e["path"], marks=[pytest.mark.xfail(
        strict=True, raises=ImageRejected, reason=NOT_MET[e["path"]])]
        if e["path"] in NOT_MET else []) for e in entries]


ACCEPTED = [e for e in MANIFEST if not e["expected"]["expected_to_fail"]
            and e["expected"]["hazard"] is None]
REFUSED = [e for e in MANIFEST if e["expected"]["expected_to_fail"]]
HAZARDS = [e for e in MANIFEST if not e["expected"]["expected_to_fail"]
           and e["expected"]["hazard"] is not None]


def run_bounded(call: Callable[[], T], seconds: float = TIME_LIMIT) -> T:
    """Run `call` in a daemon thread; fail the test if it does not finish in time."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test thread below
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


@functools.cache
def _probe(path: Path) -> Probe:
    return run_bounded(lambda: probe_file(path, max_pixels=MAX_PIXELS, max_frames=MAX_FRAMES))


@functools.cache
def _analysis(path: Path) -> Analysis:
    return run_bounded(lambda: analyse(path, _probe(path)))


def test_manifest_lists_the_whole_corpus() -> None:
    assert len(MANIFEST) == 215
    assert len({e["path"] for e in MANIFEST}) == len(MANIFEST)


@pytest.mark.parametrize("entry", MANIFEST, ids=_ids(MANIFEST))
def test_file_matches_its_manifest_checksum(entry: dict[str, Any]) -> None:
    assert corpus_file(entry).stat().st_size == entry["bytes"]


def _check_facts(entry: dict[str, Any], probe: Probe) -> None:
    expected = entry["expected"]
    fmt = FORMAT_NAMES.get(expected["format"], expected["format"])
    heif = fmt in ("heic", "avif")
    # Invalid (0) and absent orientations display unrotated; HEIF/AVIF decoders have
    # already applied irot/imir, so their EXIF tag is informational only.
    orientation = 1 if heif else (expected["orientation"] or 1)
    assert (probe.format, probe.width, probe.height) == (
        fmt, expected["width"], expected["height"])
    assert (probe.display_width, probe.display_height) == (
        expected["display_width"], expected["display_height"])
    assert probe.orientation == orientation
    assert probe.frames == expected["frames"]
    assert probe.mime.startswith("image/")


@pytest.mark.parametrize("entry", _params(ACCEPTED))
def test_valid_image_is_accepted_with_its_facts(entry: dict[str, Any]) -> None:
    path = corpus_file(entry)
    probe = _probe(path)
    _check_facts(entry, probe)
    image = load_image(path, probe)
    assert (image.width, image.height) == (probe.width, probe.height)
    if probe.frames > 1 and probe.format != "tiff":  # TIFF pages may differ in size
        frames = load_image(path, probe, n=-1)
        assert (frames.width, frames.height) == (probe.width, probe.height * probe.frames)


@pytest.mark.parametrize("entry", _params(ACCEPTED))
def test_valid_image_analysis_finds_gps_date_and_camera(entry: dict[str, Any]) -> None:
    expected = entry["expected"]
    analysis = _analysis(corpus_file(entry))
    if expected["has_gps"]:
        assert analysis.gps is not None
        assert analysis.gps[0] == pytest.approx(expected["gps_lat"], abs=1e-5)
        assert analysis.gps[1] == pytest.approx(expected["gps_lon"], abs=1e-5)
    else:
        assert analysis.gps is None
    assert analysis.datetime_original == expected["datetime_original"]
    assert analysis.image_metadata.get("DateTimeOriginal") == expected["datetime_original"]
    for key, tag in (("make", "Make"), ("model", "Model"), ("icc_profile", "ProfileDescription")):
        if expected[key] is not None:
            assert analysis.image_metadata.get(tag) == expected[key]
    assert re.fullmatch(r"[0-9a-f]{16}", analysis.phash)
    # Only a fully transparent picture (webp/one_pixel_exif_xmp.webp) has no colours.
    assert analysis.colors or analysis.semi_transparent
    assert analysis.colors == sorted(analysis.colors, key=lambda c: -c[1])
    assert sum(share for _, share in analysis.colors) <= 100.5


@pytest.mark.parametrize("path", sorted(NOT_MET))
def test_metadata_of_the_unmet_files_is_still_read(path: str) -> None:
    # Only the strict decode refuses these two files; their metadata reads as expected.
    entry = next(e for e in MANIFEST if e["path"] == path)
    expected = entry["expected"]
    file = corpus_file(entry)
    embedded = read_embedded(file, "jpg", vips_header(file, "jpg"))
    gps = gps_of(embedded)
    if expected["has_gps"]:
        assert gps == pytest.approx((expected["gps_lat"], expected["gps_lon"]), abs=1e-5)
    else:
        assert gps is None
    assert datetime_original_of(embedded) == expected["datetime_original"]


@pytest.mark.parametrize("entry", REFUSED, ids=_ids(REFUSED))
def test_damaged_or_foreign_file_is_refused_with_a_4xx(entry: dict[str, Any]) -> None:
    path = corpus_file(entry)
    with pytest.raises(ImageRejected) as refused:
        run_bounded(lambda: probe_file(path, max_pixels=MAX_PIXELS, max_frames=MAX_FRAMES))
    assert refused.value.status == 400
    assert re.match(r"(Invalid image file: |Unsupported file type|Empty file$|Image |SVG )",
                    refused.value.message)


@pytest.mark.parametrize("path", ["bomb/avif_17000x17000.avif", "bomb/bmp_3000000x2000000.bmp",
                                  "bomb/bmp_huge_width.bmp", "bomb/svgz_too_many_elements.svgz",
                                  "security/svg_nested_use.svg"])
def test_bombs_are_refused_as_too_large(path: str) -> None:
    entry = next(e for e in MANIFEST if e["path"] == path)
    with pytest.raises(ImageTooLarge):
        probe_file(corpus_file(entry), max_pixels=MAX_PIXELS, max_frames=MAX_FRAMES)


@pytest.mark.parametrize("path,message", [
    ("empty/zero_bytes.jpg", "Empty file"),
    ("not-image/pdf_document.jpg", "Unsupported file type: PDF"),
    ("security/postscript_named_jpg.jpg", "Unsupported file type: PostScript"),
    ("security/mvg_named_png.png", "Unsupported file type: MVG"),
    ("security/djvu_named_jpg_exiftool_cve_2021_22204.jpg", "Unsupported file type: DjVu"),
    ("not-image/html_page.png", "Unsupported file type: HTML"),
    ("not-image/zip_archive.gif", "Unsupported file type: ZIP"),
    ("not-image/ole_document.jpg", "Unsupported file type: OLE2 document"),
    ("not-image/plain_text.webp", "Unsupported file type: text"),
    ("malformed/truncated_baseline.jpg", "Invalid image file: truncated JPEG"),
    ("malformed/truncated.png", "Invalid image file: truncated PNG"),
    ("malformed/truncated.gif", "Invalid image file: truncated GIF"),
    ("malformed/junk_before_soi.jpg", "Invalid image file: corrupt JPEG"),
    ("security/svg_xxe_etc_passwd.svg", "Invalid image file: SVG declares XML entities"),
])
def test_refusal_messages_are_precise(path: str, message: str) -> None:
    entry = next(e for e in MANIFEST if e["path"] == path)
    with pytest.raises(ImageRejected) as refused:
        probe_file(corpus_file(entry), max_pixels=MAX_PIXELS, max_frames=MAX_FRAMES)
    assert refused.value.message == message


@pytest.mark.parametrize("entry", HAZARDS, ids=_ids(HAZARDS))
def test_hazardous_file_is_refused_or_accepted_safely(entry: dict[str, Any]) -> None:
    path = corpus_file(entry)
    try:
        probe = _probe(path)
    except ImageRejected as refused:
        assert refused.status == 400
        return
    assert probe.format != "svg", "hostile SVGs are refused, never rasterised"
    _check_facts(entry, probe)
    analysis = _analysis(path)
    for key, value in analysis.image_metadata.items():
        assert "root:x:0:0" not in value and "/bin/sh" not in value, key
        assert "<" not in value and ">" not in value, f"{key} is not escaped: {value!r}"
    load_image(path, probe).avg()


# Files that display identically once orientation is handled: one picture per family.
_FAMILIES = (r"orientation/landscape_\d", r"orientation/portrait_\d",
             r"orientation/progressive_orient_\d", r"orientation/tiff_g4_orient_\d",
             r"orientation/webp_orient_\d", r"orientation/avif_irot\d_imir\d")


def _family_members() -> dict[str, list[dict[str, Any]]]:
    families: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in ACCEPTED:
        for family in _FAMILIES:
            if re.match(family, entry["path"]):
                families[family].append(entry)
    return families


@pytest.mark.parametrize("family", _FAMILIES)
def test_every_orientation_of_a_picture_analyses_the_same(family: str) -> None:
    members = _family_members()[family]
    assert len(members) >= 7
    hashes = {e["path"]: imagehash.hex_to_hash(_analysis(corpus_file(e)).phash)
              for e in members}
    reference = next(iter(hashes.values()))
    distances = {path: reference - value for path, value in hashes.items()}
    # Lossy AVIF re-encodes differ by a bit or two; a wrong rotation flips dozens.
    assert max(distances.values()) <= 4, distances
