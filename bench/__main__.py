"""`make bench`: Tessera's delivery against pyvips, thumbor, sharp and nginx, in one run.

Five workloads on natural-looking sources (bench/sources.py, generated once into bench/.cache):
a 6000x4000 JPEG to fit 400x300 JPEG q80, to fill 200x200 JPEG q80 and to fit 1920 WebP q80;
a 1200x800 JPEG to fit 400x300 JPEG q80; a 2000x2000 RGBA PNG to fit 400x300 PNG. For each, the
median ms and images/s at 1 and 2 requests in flight of:

  pyvips   `pyvips.Image.thumbnail` + save, in this process (the floor Tessera is held to)
  tessera  the real `tessera serve` over HTTP, cold: every request is for a derivative never
           rendered before (each goes to its own uploaded copy of the source)
  thumbor  thumbor 7.8 over HTTP (own virtualenv, file loader, no storage, no result storage)
  sharp    sharp in Node (bench/sharp.mjs), in process

then cached delivery (requests/s and p99 at 16 connections, wrk) of one derivative from Tessera,
from thumbor with result storage on and from nginx serving the same bytes as a static file
(reported beside it: cold 1 MP renders timed while that load runs on the same server); the
peak RSS of a fresh Tessera server rendering a 10000x10000 JPEG to 400 px; and the hot-URL test
(64 concurrent requests for one uncached derivative must render it once). Targets and PASS/FAIL
are printed beside the figures (bench/report.py). Until Tessera's delivery route answers, its
rows print "n/a (delivery route not available)" and everything else still runs.

Engines are installed by the bench itself, idempotently, under bench/.cache (bench/installs.py).
Every server is started on 127.0.0.1 and stopped on exit, Ctrl-C included. The exit status is 0
whatever the verdicts (this is a measurement, not a test), 1 if the bench itself broke.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyvips

from bench import cold, installs, load, nginx, procs, report, sharp_runner, sources, thumbor
from bench import tessera_server as ts
from bench.report import Cached, Results, Row
from bench.workloads import BY_KEY, RSS_WORKLOAD, WORKLOADS, Workload, output_size

SKIPPABLE = ("tessera", "thumbor", "sharp", "nginx", "wrk", "cached", "rss", "hot")
ROUTE_MISSING = "delivery route not available"
_started = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _started:6.1f}s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(__doc__ or "").split("\n\n")[0],
        epilog="workloads: " + ", ".join(f"{w.key} ({w.label})" for w in WORKLOADS))
    parser.add_argument("--runs", type=int, default=None,
                        help="timed renders per engine and workload at concurrency 1 (twice as "
                        "many at concurrency 2); medians are taken over them (default 15, "
                        "--quick 3)")
    parser.add_argument("--only", action="append", default=[], metavar="WORKLOAD",
                        help="measure only this workload (repeatable or comma-separated)")
    parser.add_argument("--skip", action="append", default=[], metavar="PART",
                        help="skip a part (repeatable or comma-separated): "
                        + ", ".join(SKIPPABLE) + "; `wrk` uses the built-in Python load "
                        "generator instead, `cached` skips the cached-derivative test")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 3 runs, 3 s load tests (figures are rough)")
    parser.add_argument("--load-seconds", type=float, default=None,
                        help="duration of each cached-derivative load test (default 10, "
                        "--quick 3)")
    args = parser.parse_args(argv)
    args.skip = {part.strip() for value in args.skip for part in value.split(",") if part.strip()}
    unknown = args.skip - set(SKIPPABLE)
    if unknown:
        parser.error(f"--skip: unknown part(s) {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(SKIPPABLE)}")
    only = [part.strip() for value in args.only for part in value.split(",") if part.strip()]
    missing = [key for key in only if key not in BY_KEY]
    if missing:
        parser.error(f"--only: unknown workload(s) {', '.join(missing)}; "
                     f"choose from {', '.join(BY_KEY)}")
    args.workloads = tuple(w for w in WORKLOADS if not only or w.key in only)
    if args.runs is None:
        args.runs = 3 if args.quick else 15
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.load_seconds is None:
        args.load_seconds = 3.0 if args.quick else 10.0
    args.load_seconds = max(1.0, min(args.load_seconds, 60.0))
    return args


# -- environment ------------------------------------------------------------------------------

def libvips_lines() -> list[str]:
    """The libvips in use here, where it was loaded from, and a warning if Debian's is around."""
    loaded = sorted({line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
                     if "libvips" in line and "/" in line})
    version = f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    lines = [f"libvips {version} (pyvips {pyvips.__version__}, "
             f"{'API' if pyvips.API_mode else 'ABI'} mode) loaded from "
             + (", ".join(loaded) or "?")]
    if not any("pyvips_binary" in path for path in loaded):
        lines.append("  WARNING: not the pyvips-binary wheel's libvips; a system libvips "
                     "(Debian libvips-dev?) shadows it")
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "libvips-dev"],
                                capture_output=True, text=True, timeout=10, check=False)
        if "install ok installed" in status.stdout:
            lines.append("  WARNING: Debian libvips-dev is installed; it can shadow the wheel")
    return lines


def server_libvips(pid: int) -> str:
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return "?"
    paths = sorted({line.split()[-1] for line in maps.splitlines() if "libvips" in line
                    and line.split()[-1].endswith((".so.42", ".so"))
                    and "/_libvips" not in line})
    return ", ".join(paths) or "(libvips not loaded yet)"


def tool_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10,  # noqa: S603
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return "?"
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "?"


# -- state of one run -------------------------------------------------------------------------

@dataclass
class Engines:
    thumbor: installs.Installed | None = None
    sharp: installs.Installed | None = None
    nginx: installs.Installed | None = None
    wrk: installs.Installed | None = None
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class TesseraState:
    server: ts.Tessera | None = None
    note: str | None = None  # why Tessera rows are n/a
    data_dir: Path | None = None
    scratch: Path = Path(tempfile.gettempdir())  # where byte-distinct copies are staged
    copies: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # source -> ids


def install_engines(args: argparse.Namespace) -> Engines:
    engines = Engines()
    wanted: list[tuple[str, Callable[[], installs.Installed]]] = []
    if "thumbor" not in args.skip:
        wanted.append(("thumbor", installs.thumbor))
    if "sharp" not in args.skip:
        wanted.append(("sharp", installs.sharp))
    if "cached" not in args.skip and "nginx" not in args.skip:
        wanted.append(("nginx", lambda: installs.debian_tool("nginx", "nginx")))
    if "cached" not in args.skip and "wrk" not in args.skip:
        wanted.append(("wrk", lambda: installs.debian_tool("wrk", "wrk")))
    for name, install in wanted:
        log(f"install/check {name}")
        try:
            setattr(engines, name, install())
        except installs.Unavailable as exc:
            engines.reasons[name] = f"not installed: {exc}"
            log(f"  {name} unavailable: {exc}")
    return engines


def copies_needed(runs: int) -> int:
    return 1 + runs + 2 * runs  # warm-up, concurrency 1, concurrency 2


def start_tessera(args: argparse.Namespace, tmp: Path, results: Results) -> TesseraState:
    state = TesseraState()
    if "tessera" in args.skip:
        state.note = "skipped"
        return state
    state.data_dir = tmp / "tessera-data"
    state.scratch = tmp / "uploads"
    log("start tessera serve")
    try:
        state.server = ts.start(state.data_dir, tmp / "tessera.log")
    except Exception as exc:  # noqa: BLE001 - the report says why
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        last = lines[-1] if len(lines) > 1 else ""
        state.note = (f"{ROUTE_MISSING}: server did not start: "
                      f"{lines[0] if lines else exc} {last}")[:220]
        log(f"  tessera: {state.note}")
        return state
    ts.configure_sdk(state.server)
    probe = BY_KEY["1mp-fit"]
    try:
        version = ts.upload_copy(probe.source.path, "bench/probe", state.scratch)
    except Exception as exc:  # noqa: BLE001
        state.note = f"{ROUTE_MISSING}: upload failed: {str(exc)[:150]}"
        return state
    reason = ts.probe_delivery(state.server, probe, "bench/probe", version)
    results.header.append(f"tessera serve on port {state.server.port}, data dir {state.data_dir}"
                          f"; libvips in the server: {server_libvips(state.server.server.pid)}")
    if reason is not None:
        state.note = f"{ROUTE_MISSING}: {reason}"
        log(f"  tessera delivery: {state.note}")
        return state
    needed = sorted({w.source.name: w.source for w in args.workloads}.values(),
                    key=lambda s: s.name)
    count = copies_needed(args.runs)
    log(f"  uploading {count} copies of {len(needed)} source(s) (one per cold request)")
    jobs = [(source, f"bench/{source.path.stem}_{i:03d}") for source in needed
            for i in range(count)]
    try:
        with ThreadPoolExecutor(2) as pool:
            versions = list(pool.map(
                lambda job: ts.upload_copy(job[0].path, job[1], state.scratch), jobs))
    except Exception as exc:  # noqa: BLE001
        state.note = f"upload of copies failed: {str(exc)[:150]}"
        return state
    for (source, public_id), version in zip(jobs, versions, strict=True):
        state.copies.setdefault(source.name, []).append((public_id, version))
    return state


# -- cold renders -----------------------------------------------------------------------------

def tessera_path_for(state: TesseraState) -> Callable[[Workload, int], str]:
    def path_for(workload: Workload, job: int) -> str:
        public_id, version = state.copies[workload.source.name][job]
        return ts.delivery_path(workload, public_id, version)
    return path_for


def previews_note() -> str:
    """Whether the server under test keeps previews (the variable passes through to it)."""
    from tessera.settings import Settings  # the server's own reading of TESSERA_PREVIEWS

    if not Settings().previews:
        return "TESSERA_PREVIEWS=false: Tessera renders every derivative from the original"
    return ("Tessera keeps the 1/8 decode of JPEGs of 4 MP or more from their upload (its "
            "previews, README): the 24 MP fit and fill render from it, the WebP (1/3) from the "
            "original; `TESSERA_PREVIEWS=false make bench` renders all from the original")


def cold_renders(args: argparse.Namespace, engines: Engines, state: TesseraState, tmp: Path,
                 results: Results) -> None:
    thumbor_server: procs.Server | None = None
    sharp_worker: sharp_runner.SharpWorker | None = None
    http_engines: list[cold.HttpEngine] = []
    fixed: dict[str, str] = {}  # engine -> why its rows are n/a
    measured: list[cold.Engine] = [cold.PyvipsEngine()]

    tessera_usable = state.server is not None and state.note is None
    if tessera_usable and state.server is not None:
        http_engines.append(cold.HttpEngine("tessera", state.server.port,
                                            tessera_path_for(state)))
        results.notes.append(previews_note())
    else:
        fixed["tessera"] = state.note or ROUTE_MISSING
    if engines.thumbor is not None:
        log("start thumbor (result storage off)")
        try:
            thumbor_server, port = thumbor.start(
                engines.thumbor.executable, tmp / "thumbor-cold", sources.SOURCE_DIR,
                result_storage=False)
            http_engines.append(cold.HttpEngine(
                "thumbor", port, lambda w, _job: w.thumbor_path(w.source.name)))
        except Exception as exc:  # noqa: BLE001
            fixed["thumbor"] = f"did not start: {str(exc).splitlines()[0][:150]}"
    else:
        fixed["thumbor"] = engines.reasons.get("thumbor", "skipped")
    measured += http_engines
    if engines.sharp is not None:
        try:
            sharp_worker = sharp_runner.SharpWorker(engines.sharp.executable)
            measured.append(cold.SharpEngine(sharp_worker))
            results.notes.append(f"sharp's own libvips: {sharp_worker.vips_version} "
                                 "(prebuilt @img/sharp-libvips-linux-x64, with mozjpeg)")
        except Exception as exc:  # noqa: BLE001
            fixed["sharp"] = f"worker failed: {str(exc)[:150]}"
    else:
        fixed["sharp"] = engines.reasons.get("sharp", "skipped")
    try:
        for workload in args.workloads:
            log(f"workload {workload.key}: {workload.label}")
            before = ts.render_count_metric(state.server) if tessera_usable and \
                state.server is not None else None
            rows = cold.measure(measured, workload, args.runs)
            if before is not None and state.server is not None:
                after = ts.render_count_metric(state.server)
                expected = 1 + 3 * args.runs
                if after is not None and round(after[1] - before[1]) != expected:
                    results.notes.append(
                        f"cold check {workload.key}: {after[0]} rose by "
                        f"{round(after[1] - before[1])} for {expected} cold requests")
            for engine, note in fixed.items():
                rows[engine] = Row(note=note)
            results.rows[workload.key] = rows
            for engine in report.ENGINES:
                row = rows.get(engine)
                if row is None:
                    continue
                if row.note is None and all(c in row.timings and row.timings[c].ok
                                            for c in report.CONCURRENCY):
                    log(f"  {engine:8} c1 {row.timings[1].median_ms:8.1f} ms   "
                        f"c2 {row.timings[2].images_per_s:6.2f} img/s")
                else:
                    log(f"  {engine:8} {row.note or 'errors'}")
        results.notes += render_share_note(http_engines, results)
    finally:
        for http_engine in http_engines:
            http_engine.close()
        if sharp_worker is not None:
            sharp_worker.close()
        if thumbor_server is not None:
            thumbor_server.stop()


def render_share_note(http_engines: list[cold.HttpEngine], results: Results) -> list[str]:
    """Tessera's own render time (its Server-Timing) against the whole request, at one
    request in flight: what is left is HTTP and request handling."""
    engine = next((e for e in http_engines if e.name == "tessera"), None)
    parts = []
    for key, rows in results.rows.items():
        reported = engine.render_ms.get((key, 1)) if engine is not None else None
        row = rows.get("tessera")
        timing = row.timings.get(1) if row is not None else None
        if reported and timing is not None and timing.ok:
            parts.append(f"{key} {statistics.median(reported):.1f} of "
                         f"{timing.median_ms:.1f} ms")
    if not parts:
        return []
    return ["Tessera's render alone (its Server-Timing header), median at one request: "
            + ", ".join(parts) + "; the rest of each request is HTTP and request handling"]


# -- cached derivatives -----------------------------------------------------------------------

def sustained(engines: Engines, port: int, path: str, seconds: float) -> load.LoadResult:
    if engines.wrk is not None:
        return load.wrk(engines.wrk.executable, port, path, seconds=seconds)
    return load.python_load(port, path, seconds=seconds)


def cached_derivatives(args: argparse.Namespace, engines: Engines, state: TesseraState,
                       tmp: Path, results: Results) -> None:
    workload = BY_KEY["24mp-fit"]
    tool = "wrk -t2 -c16 --latency" if engines.wrk is not None else \
        "Python load generator, 16 threads (wrk " + \
        engines.reasons.get("wrk", "skipped") + ")"
    results.cached_label = (f"{workload.label}, 16 connections, {args.load_seconds:.0f} s each,"
                            f" {tool}")
    body: bytes | None = None
    if state.server is not None and state.note is None:
        log("cached: tessera")
        try:
            version = ts.upload_copy(workload.source.path, "bench/cached", state.scratch)
            path = ts.delivery_path(workload, "bench/cached", version)
            client = load.HttpClient(state.server.port)
            try:
                body = client.get_ok(path)
                client.get_ok(path)
            finally:
                client.close()
            before = ts.render_count_metric(state.server)
            results.cached["tessera"] = Cached(sustained(engines, state.server.port, path,
                                                         args.load_seconds))
            after = ts.render_count_metric(state.server)
            if before is not None and after is not None:
                results.notes.append(f"cached check: {after[0]} rose by "
                                     f"{round(after[1] - before[1])} during Tessera's cached "
                                     "load (0 = every request served from the cache)")
            results.notes.append(cold_under_load(engines, state, path))
        except Exception as exc:  # noqa: BLE001
            results.cached["tessera"] = Cached(note=f"error: {str(exc)[:150]}")
    else:
        results.cached["tessera"] = Cached(note=state.note or "skipped")

    if engines.thumbor is not None:
        log("cached: thumbor with result storage")
        server: procs.Server | None = None
        try:
            server, port = thumbor.start(engines.thumbor.executable, tmp / "thumbor-cached",
                                         sources.SOURCE_DIR, result_storage=True)
            path = workload.thumbor_path(workload.source.name)
            client = load.HttpClient(port)
            try:
                client.get_ok(path)
                time.sleep(0.5)  # let the result storage write land
                client.get_ok(path)
            finally:
                client.close()
            results.cached["thumbor"] = Cached(sustained(engines, port, path, args.load_seconds))
        except Exception as exc:  # noqa: BLE001
            results.cached["thumbor"] = Cached(note=f"error: {str(exc)[:150]}")
        finally:
            if server is not None:
                server.stop()
    else:
        results.cached["thumbor"] = Cached(note=engines.reasons.get("thumbor", "skipped"))

    if engines.nginx is not None:
        log("cached: nginx static file")
        server = None
        try:
            source_of_bytes = "Tessera's derivative"
            if body is None:
                body = workload.pyvips_render(str(workload.source.path))
                source_of_bytes = "pyvips' output (no Tessera derivative yet)"
            results.notes.append(f"nginx serves {source_of_bytes}, {len(body)} bytes.")
            server, port = nginx.start(engines.nginx.executable, tmp / "nginx", "derivative.jpg",
                                       body)
            results.cached["nginx"] = Cached(sustained(engines, port, "/derivative.jpg",
                                                       args.load_seconds))
        except Exception as exc:  # noqa: BLE001
            results.cached["nginx"] = Cached(note=f"error: {str(exc)[:150]}")
        finally:
            if server is not None:
                server.stop()
    else:
        results.cached["nginx"] = Cached(note=engines.reasons.get("nginx", "skipped"))
    for name, cached in results.cached.items():
        if cached.result is not None:
            log(f"  {name:8} {cached.result.requests_per_s:9.0f} req/s  "
                f"p99 {cached.result.p99_ms:.2f} ms")


MIXED_RENDERS = 20


def cold_under_load(engines: Engines, state: TesseraState, hot_path: str) -> str:
    """Cold 1 MP renders, one at a time, first alone, then while the cached load runs on the
    same server: a render shares its worker's GIL with the event loop answering the hits."""
    assert state.server is not None
    workload = BY_KEY["1mp-fit"]
    public_ids = [f"bench/mixed_{i:03d}" for i in range(2 * MIXED_RENDERS)]
    paths = [ts.delivery_path(workload, public_id, ts.upload_copy(
        workload.source.path, public_id, state.scratch)) for public_id in public_ids]
    client = load.HttpClient(state.server.port)

    def median_ms(batch: list[str]) -> float:
        times = []
        for path in batch:
            started = time.perf_counter()
            client.get_ok(path)
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)  # one at a time, as a trickle of new photos arrives
        return statistics.median(times)

    try:
        quiet = median_ms(paths[:MIXED_RENDERS])
        with ThreadPoolExecutor(1) as pool:
            loaded = pool.submit(sustained, engines, state.server.port, hot_path, 4.0)
            time.sleep(0.5)
            busy = median_ms(paths[MIXED_RENDERS:])
            hits = loaded.result()
    finally:
        client.close()
    log(f"  cold 1 MP under cached load {busy:.1f} ms (alone {quiet:.1f} ms)")
    return (f"cold 1 MP renders ({MIXED_RENDERS}, one at a time) while the cached load runs "
            f"on the same server ({hits.requests_per_s:.0f} req/s): median {busy:.1f} ms, "
            f"alone {quiet:.1f} ms (× {busy / quiet:.2f}); renders share their worker's GIL "
            "with the event loop answering the hits")


# -- hot URL and peak RSS ---------------------------------------------------------------------

def hot_url(state: TesseraState, results: Results) -> None:
    if state.server is None or state.note is not None:
        results.hot_note = state.note or "skipped"
        return
    log("hot URL: 64 concurrent requests for one uncached derivative")
    server = state.server
    workload = BY_KEY["24mp-fit"]
    version = ts.upload_copy(workload.source.path, "bench/hot", state.scratch)
    path = ts.delivery_path(workload, "bench/hot", version)
    metric_before = ts.render_count_metric(server)
    lines_before = ts.render_log_lines(server)
    statuses = load.burst(server.port, path, 64)
    time.sleep(0.5)  # let log lines flush
    metric_after = ts.render_count_metric(server)
    lines_after = ts.render_log_lines(server)
    counts: dict[int, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    detail = ", ".join(f"{n}× {'conn error' if s == 0 else f'HTTP {s}'}"
                       for s, n in sorted(counts.items()))
    if metric_before is not None and metric_after is not None:
        results.hot_renders = round(metric_after[1] - metric_before[1])
        results.hot_detail = f"{metric_after[0]} at /metrics; {detail}"
    elif lines_before > 0 or lines_after > 0:
        results.hot_renders = lines_after - lines_before
        results.hot_detail = f"render log lines; {detail}"
    else:
        results.hot_note = ("not measurable yet: no render counter at /metrics and no render "
                            f"log line; responses: {detail}")
    if counts.get(200, 0) != 64 and results.hot_renders is not None:
        results.hot_detail += " (not all 200)"


def peak_rss(state: TesseraState, tmp: Path, results: Results) -> None:
    if state.server is None or state.note is not None or state.data_dir is None:
        results.rss_note = state.note or "skipped"
        return
    log("peak RSS: upload the 10000x10000 JPEG")
    workload = RSS_WORKLOAD
    try:
        version = ts.upload_copy(workload.source.path, "bench/huge", state.scratch)
    except Exception as exc:  # noqa: BLE001
        results.rss_note = f"upload of the 100 MP JPEG failed: {str(exc)[:150]}"
        return
    # A fresh server process: its peak RSS is start-up plus this one render, nothing else.
    state.server.server.stop()
    state.server = None
    log("peak RSS: fresh server renders it to 400 px")
    fresh = ts.start(state.data_dir, tmp / "tessera-rss.log")
    try:
        # `tessera serve` may be a supervisor with worker processes: watch them all, once
        # every one has finished starting (its RSS no longer grows).
        pids = procs.process_tree(fresh.server.pid)
        idle = procs.settled_rss_mb(pids)
        peak_pss = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                with contextlib.suppress(OSError):
                    peak_pss[0] = max(peak_pss[0], sum(procs.pss_mb(pid) for pid in pids))
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        client = load.HttpClient(fresh.port, timeout=120)
        try:
            status, body = client.get(ts.delivery_path(workload, "bench/huge", version))
        finally:
            client.close()
            done.set()
            sampler.join(5)
        if status != 200:
            results.rss_note = f"render answered HTTP {status}: {body[:100]!r}"
            return
        # The process that rendered is the one whose peak rose most above its idle RSS.
        peaks = {pid: procs.peak_rss_mb(pid)[0] for pid in pids}
        renderer = max(pids, key=lambda pid: peaks[pid] - idle[pid])
        results.rss_mb = peaks[renderer]
        results.rss_idle_mb = idle[renderer]
        others = ", ".join(f"{peaks[pid]:.0f}" for pid in pids if pid != renderer)
        results.notes.append(
            f"peak RSS: VmHWM of the `tessera serve` process that rendered "
            f"{workload.label} (output {output_size(body)[0]}x{output_size(body)[1]}) in a "
            f"fresh server of {len(pids)} process(es); its idle RSS before the request "
            f"{idle[renderer]:.0f} MB" + (f"; VmHWM of the others {others} MB" if others
                                           else "")
            + f"; all processes together (PSS, shared pages counted once) peaked at "
            f"{peak_pss[0]:.0f} MB")
    finally:
        fresh.server.stop()


# -- main -------------------------------------------------------------------------------------

def run(args: argparse.Namespace, results: Results, tmp: Path) -> None:
    log("sources")
    wanted = [w.source for w in args.workloads]
    if "cached" not in args.skip or "hot" not in args.skip:
        wanted += [BY_KEY["24mp-fit"].source, BY_KEY["1mp-fit"].source]
    if "rss" not in args.skip:
        wanted.append(RSS_WORKLOAD.source)
    for source in dict.fromkeys(wanted):
        sources.ensure(source)
    engines = install_engines(args)
    results.header += [
        "engines: " + "; ".join(filter(None, [
            "pyvips in process (operation cache off)",
            f"{engines.thumbor.version} over HTTP, {thumbor.THREADS}-thread engine pool"
            if engines.thumbor else f"thumbor {engines.reasons.get('thumbor', 'skipped')}",
            None if engines.sharp is None else f"{engines.sharp.version} on node "
            + tool_version([str(engines.sharp.executable), "--version"]) + " (cache off)",
        ])),
        "load: " + "; ".join(filter(None, [
            tool_version([str(engines.nginx.executable), "-v"]) if engines.nginx else None,
            tool_version([str(engines.wrk.executable), "-v"]).split(" Copyright")[0]
            if engines.wrk else None,
        ])),
        f"runs: {args.runs} timed requests at concurrency 1 and {2 * args.runs} at "
        f"concurrency 2 per engine and workload, after 1 warm-up; images/s = "
        f"concurrency × 1000 / median ms",
        "cold Tessera requests: each goes to its own uploaded copy (fresh public_id) of the "
        "source, so no derivative was ever rendered; the derivative cache stays on",
    ]
    state = start_tessera(args, tmp, results)
    try:
        cold_renders(args, engines, state, tmp, results)
        if "cached" not in args.skip:
            cached_derivatives(args, engines, state, tmp, results)
        else:
            results.cached_label = "skipped (--skip cached)"
            results.cached = {name: Cached(note="skipped") for name in
                              ("tessera", "thumbor", "nginx")}
        if "hot" not in args.skip:
            try:
                hot_url(state, results)
            except Exception as exc:  # noqa: BLE001
                results.hot_note = f"error: {type(exc).__name__}: {str(exc)[:150]}"
        else:
            results.hot_note = "skipped"
        if "rss" not in args.skip:
            try:
                peak_rss(state, tmp, results)
            except Exception as exc:  # noqa: BLE001
                results.rss_mb = None
                results.rss_note = f"error: {type(exc).__name__}: {str(exc)[:150]}"
        else:
            results.rss_note = "skipped"
    finally:
        if state.server is not None:
            state.server.server.stop()


def keep_logs(tmp: Path, results: Results) -> None:
    """Copy the servers' logs to bench/.cache/last-run/ (the temp dir itself is removed)."""
    target = sources.CACHE / "last-run"
    shutil.rmtree(target, ignore_errors=True)
    logs = [p for p in tmp.rglob("*") if p.is_file() and p.suffix in (".log", ".out")]
    if not logs:
        return
    target.mkdir(parents=True, exist_ok=True)
    for path in logs:
        with contextlib.suppress(OSError):
            shutil.copy(path, target / "-".join(path.relative_to(tmp).parts))
    results.notes.append(f"server logs of this run: {target.relative_to(sources.REPO)}/")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    procs.install_handlers()
    pyvips.cache_set_max(0)  # no render may reuse another's work
    results = Results()
    load_avg = " ".join(f"{v:.2f}" for v in os.getloadavg())
    results.header = libvips_lines() + [
        f"machine: {os.cpu_count()} cores, load average at start {load_avg}; "
        f"python {sys.version.split()[0]}",
    ]
    for line in results.header:
        log(line)
    tmp = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    os.chmod(tmp, 0o755)  # nginx workers read the static file from here
    try:
        run(args, results, tmp)
    except KeyboardInterrupt:
        log("interrupted: stopping servers")
        return 130
    finally:
        procs.stop_all()
        results.duration_s = time.monotonic() - _started
        results.notes.append("load average at end: "
                             + " ".join(f"{v:.2f}" for v in os.getloadavg())
                             + " (2 cores, shared: other work shows up as noise)")
        keep_logs(tmp, results)
        if os.environ.get("BENCH_KEEP_TMP"):
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(report.render(results, args.workloads), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
