"""Results of one bench run, the targets of issue 3 item 6, and the printed report.

Targets (every workload, at 1 and at 2 concurrent requests unless said otherwise):
  (a) Tessera cold median ms ÷ pyvips `thumbnail` median ms         ≤ 1.30
  (b) Tessera images/s ÷ thumbor images/s                            ≥ 1.00, geometric mean ≥ 2.00
  (c) Tessera median ms ÷ sharp median ms                            ≤ 1.25
  (d) cached: Tessera req/s ÷ thumbor (result storage) req/s         ≥ 5.00, Tessera p99 ≤ 15 ms;
      Tessera ÷ nginx static is reported, without a target
  (e) peak RSS of the Tessera server rendering 10000x10000 -> 400 px < 250 MB
  hot URL: 64 concurrent requests for one uncached derivative        exactly 1 render
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.load import LoadResult, Timing
from bench.workloads import WORKLOADS, Workload

ENGINES = ("pyvips", "tessera", "thumbor", "sharp")
CONCURRENCY = (1, 2)

RATIO_PYVIPS = 1.30
RATIO_THUMBOR = 1.00
GEOMEAN_THUMBOR = 2.00
RATIO_SHARP = 1.25
CACHED_THUMBOR = 5.00
CACHED_P99_MS = 15.0
RSS_MB = 250.0


@dataclass
class Row:
    """One engine on one workload: timings per concurrency, or why there are none."""

    timings: dict[int, Timing] = field(default_factory=dict)
    note: str | None = None
    size: tuple[int, int] | None = None

    def usable(self) -> bool:
        return self.note is None and all(
            c in self.timings and self.timings[c].ok for c in CONCURRENCY)


@dataclass
class Cached:
    result: LoadResult | None = None
    note: str | None = None


@dataclass
class Results:
    header: list[str] = field(default_factory=list)
    rows: dict[str, dict[str, Row]] = field(default_factory=dict)
    cached: dict[str, Cached] = field(default_factory=dict)
    cached_label: str = ""
    rss_mb: float | None = None
    rss_idle_mb: float | None = None
    rss_note: str | None = None
    hot_renders: int | None = None
    hot_detail: str = ""
    hot_note: str | None = None
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def row(self, workload: str, engine: str) -> Row:
        return self.rows.setdefault(workload, {}).setdefault(engine, Row())


@dataclass
class Check:
    label: str
    figure: str
    target: str
    verdict: str  # PASS, FAIL, n/a
    workload: str = ""
    short: str = ""  # "÷pyvips ms" etc., for the line under Tessera's row
    ratios: list[float] = field(default_factory=list)


def _cell(row: Row, concurrency: int) -> str:
    timing = row.timings.get(concurrency)
    if timing is None:
        return f"{'-':>9} {'-':>9}"
    if not timing.ok:
        return f"{'error':>9} {'':>9}"
    return f"{timing.median_ms:9.1f} {timing.images_per_s:9.2f}"


def _first_error(row: Row) -> str | None:
    for timing in row.timings.values():
        if timing.errors:
            return f"{len(timing.errors)} failed, first: {timing.errors[0][:120]}"
    return None


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _ratio_pair(values: list[float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def checks(results: Results, workloads: tuple[Workload, ...]) -> list[Check]:
    out: list[Check] = []
    speedups: list[float] = []
    for workload in workloads:
        rows = results.rows.get(workload.key, {})
        tessera = rows.get("tessera", Row(note="not run"))
        for engine, label, target, limit, better, short in (
            ("pyvips", "(a) ms ÷ pyvips", f"≤ {RATIO_PYVIPS:.2f}", RATIO_PYVIPS, "low",
             "(a) ms ÷ pyvips"),
            ("thumbor", "(b) img/s ÷ thumbor", f"≥ {RATIO_THUMBOR:.2f}", RATIO_THUMBOR, "high",
             "(b) img/s ÷ thumbor"),
            ("sharp", "(c) ms ÷ sharp", f"≤ {RATIO_SHARP:.2f}", RATIO_SHARP, "low",
             "(c) ms ÷ sharp"),
        ):
            other = rows.get(engine, Row(note="not run"))
            name = f"{label:20} {workload.key}"
            if not tessera.usable():
                reason = tessera.note or _first_error(tessera) or "no figure"
                out.append(Check(name, f"n/a ({reason})", target, "n/a"))
                continue
            if not other.usable():
                out.append(Check(name, f"n/a ({engine}: {other.note or 'no figure'})",
                                 target, "n/a"))
                continue
            ratios = []
            for c in CONCURRENCY:
                mine, theirs = tessera.timings[c], other.timings[c]
                if better == "high":
                    ratios.append(mine.images_per_s / theirs.images_per_s)
                else:
                    ratios.append(mine.median_ms / theirs.median_ms)
            if engine == "thumbor":
                speedups.extend(ratios)
            ok = all((r >= limit) if better == "high" else (r <= limit) for r in ratios)
            out.append(Check(name, f"{_ratio_pair(ratios)}  (c1 / c2)", target, _verdict(ok),
                             workload.key, short, ratios))
    name = f"{'(b) geomean ÷ thumbor':20} all"
    if speedups and len(speedups) == 2 * len(workloads):
        geomean = math.exp(sum(math.log(s) for s in speedups) / len(speedups))
        out.append(Check(name, f"{geomean:.2f}", f"≥ {GEOMEAN_THUMBOR:.2f}",
                         _verdict(geomean >= GEOMEAN_THUMBOR)))
    else:
        out.append(Check(name, "n/a (not every workload has both figures)",
                         f"≥ {GEOMEAN_THUMBOR:.2f}", "n/a"))

    tessera_c = results.cached.get("tessera", Cached(note="not run"))
    thumbor_c = results.cached.get("thumbor", Cached(note="not run"))
    nginx_c = results.cached.get("nginx", Cached(note="not run"))
    t_ok = tessera_c.result is not None and tessera_c.result.ok
    if not t_ok:
        reason = tessera_c.note or "no figure"
        out.append(Check(f"{'(d) req/s ÷ thumbor':20} cached", f"n/a ({reason})",
                         f"≥ {CACHED_THUMBOR:.2f}", "n/a"))
        out.append(Check(f"{'(d) p99':20} cached", f"n/a ({reason})",
                         f"≤ {CACHED_P99_MS:.0f} ms", "n/a"))
        out.append(Check(f"{'(d) req/s ÷ nginx':20} cached", f"n/a ({reason})", "reported",
                         "n/a"))
    else:
        assert tessera_c.result is not None
        cached_mine = tessera_c.result
        if thumbor_c.result is not None and thumbor_c.result.ok:
            ratio = cached_mine.requests_per_s / thumbor_c.result.requests_per_s
            out.append(Check(f"{'(d) req/s ÷ thumbor':20} cached", f"{ratio:.2f}",
                             f"≥ {CACHED_THUMBOR:.2f}", _verdict(ratio >= CACHED_THUMBOR)))
        else:
            out.append(Check(f"{'(d) req/s ÷ thumbor':20} cached",
                             f"n/a (thumbor: {thumbor_c.note or 'no figure'})",
                             f"≥ {CACHED_THUMBOR:.2f}", "n/a"))
        out.append(Check(f"{'(d) p99':20} cached", f"{cached_mine.p99_ms:.2f} ms",
                         f"≤ {CACHED_P99_MS:.0f} ms",
                         _verdict(cached_mine.p99_ms <= CACHED_P99_MS)))
        if nginx_c.result is not None and nginx_c.result.ok:
            out.append(Check(f"{'(d) req/s ÷ nginx':20} cached",
                             f"{cached_mine.requests_per_s / nginx_c.result.requests_per_s:.3f}",
                             "reported", "-"))
        else:
            out.append(Check(f"{'(d) req/s ÷ nginx':20} cached",
                             f"n/a (nginx: {nginx_c.note or 'no figure'})", "reported", "n/a"))

    if results.rss_mb is None:
        out.append(Check(f"{'(e) peak RSS':20} 100 MP", f"n/a ({results.rss_note})",
                         f"< {RSS_MB:.0f} MB", "n/a"))
    else:
        out.append(Check(f"{'(e) peak RSS':20} 100 MP",
                         f"{results.rss_mb:.0f} MB (idle {results.rss_idle_mb or 0:.0f} MB)",
                         f"< {RSS_MB:.0f} MB", _verdict(results.rss_mb < RSS_MB)))
    if results.hot_renders is None:
        out.append(Check(f"{'hot URL renders':20} 64 req",
                         f"n/a ({results.hot_note or 'not run'})", "= 1", "n/a"))
    else:
        out.append(Check(f"{'hot URL renders':20} 64 req",
                         f"{results.hot_renders} ({results.hot_detail})", "= 1",
                         _verdict(results.hot_renders == 1)))
    return out


def _reference(results: Results, workloads: tuple[Workload, ...]) -> list[str]:
    """What Tessera would score if it were exactly pyvips `thumbnail` (no HTTP, no cache)."""
    lines = []
    for workload in workloads:
        rows = results.rows.get(workload.key, {})
        pyvips = rows.get("pyvips")
        if pyvips is None or not pyvips.usable():
            continue
        parts = []
        thumbor = rows.get("thumbor")
        if thumbor is not None and thumbor.usable():
            ratios = [pyvips.timings[c].images_per_s / thumbor.timings[c].images_per_s
                      for c in CONCURRENCY]
            parts.append(f"img/s ÷ thumbor {_ratio_pair(ratios)}")
        sharp = rows.get("sharp")
        if sharp is not None and sharp.usable():
            ratios = [pyvips.timings[c].median_ms / sharp.timings[c].median_ms
                      for c in CONCURRENCY]
            parts.append(f"ms ÷ sharp {_ratio_pair(ratios)}")
        if parts:
            lines.append(f"  {workload.key:10} pyvips  {'   '.join(parts)}")
    return lines


def render(results: Results, workloads: tuple[Workload, ...] = WORKLOADS) -> str:
    all_checks = checks(results, workloads)
    lines: list[str] = []
    rule = "=" * 100
    lines += [rule, "Tessera bench — issue 3, item 6", rule]
    lines += results.header
    lines.append("")
    lines.append("Cold renders: median ms and images/s (= concurrency × 1000 / median ms) "
                 "at 1 and 2 requests in flight")
    lines.append(f"  {'workload':42} {'engine':8} {'c1 ms':>9} {'c1 img/s':>9} "
                 f"{'c2 ms':>9} {'c2 img/s':>9}  size")
    for workload in workloads:
        rows = results.rows.get(workload.key, {})
        first = True
        for engine in ENGINES:
            row = rows.get(engine)
            label = workload.label if first else ""
            first = False
            if row is None:
                lines.append(f"  {label:42} {engine:8} n/a (skipped)")
                continue
            if row.note is not None:
                lines.append(f"  {label:42} {engine:8} n/a ({row.note})")
                continue
            size = f"{row.size[0]}x{row.size[1]}" if row.size else ""
            lines.append(f"  {label:42} {engine:8} {_cell(row, 1)} {_cell(row, 2)}  {size}")
            if engine == "tessera":
                beside = [f"{c.short} {_ratio_pair(c.ratios)} {c.target} {c.verdict}"
                          for c in all_checks if c.workload == workload.key and c.ratios]
                if beside:
                    lines.append(f"  {'':42} {'':8} " + " | ".join(beside))
            error = _first_error(row)
            if error:
                lines.append(f"  {'':42} {'':8} {error}")
    reference = _reference(results, workloads)
    if reference:
        lines += ["", "For orientation — plain pyvips `thumbnail` against the others "
                  "(c1 / c2; Tessera must do better than this on fit):"] + reference

    lines += ["", f"Cached derivative: {results.cached_label}"]
    lines.append(f"  {'server':28} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}"
                 f" {'errors':>6}  tool")
    for key, label in (("tessera", "tessera"), ("thumbor", "thumbor (result storage on)"),
                       ("nginx", "nginx (static file)")):
        cached = results.cached.get(key)
        if cached is None:
            lines.append(f"  {label:28} n/a (skipped)")
        elif cached.result is None:
            lines.append(f"  {label:28} n/a ({cached.note})")
        else:
            r = cached.result
            lines.append(f"  {label:28} {r.requests_per_s:10.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f}"
                         f" {r.requests:9d} {r.errors:6d}  {r.tool}")

    cached_checks = [c for c in all_checks if c.label.startswith("(d)") and c.verdict != "n/a"]
    if cached_checks:
        lines.append(f"  {'':28} " + " | ".join(
            f"{c.label.split('  ')[0].strip()} {c.figure} {c.target} {c.verdict}"
            for c in cached_checks))
    lines += ["", "Targets"]
    lines.append(f"  {'what':32} {'target':>9}  {'result':6}  figure")
    for check in all_checks:
        lines.append(f"  {check.label:32} {check.target:>9}  {check.verdict:6}  {check.figure}")
    passed = sum(c.verdict == "PASS" for c in all_checks)
    failed = sum(c.verdict == "FAIL" for c in all_checks)
    unknown = sum(c.verdict == "n/a" for c in all_checks)
    lines.append(f"  {passed} PASS, {failed} FAIL, {unknown} n/a")
    if results.notes:
        lines += ["", "Notes"] + [f"  - {note}" for note in results.notes]
    lines += ["", f"Total bench duration: {results.duration_s:.0f} s", rule]
    return "\n".join(lines)
