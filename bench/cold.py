"""Cold renders: every engine on one workload, interleaved round by round.

This machine is shared and noisy, so the engines are not measured one after the other: each
round gives every engine one job (concurrency 1: one request; concurrency 2: a pair of requests
in flight together), in an order rotated from round to round. A burst of outside load then
lands on all engines alike instead of on whichever happened to be running. Before the rounds,
each engine renders once (warm-up: lazy imports, first connection, page cache), and that output's
size is checked against the workload's expected size — an engine doing different work is not
timed.

Job numbers: the warm-up is job 0, concurrency-1 round r is job 1+r, concurrency-2 round r is
jobs 1+runs+2r and 1+runs+2r+1. Tessera maps job n to its n-th uploaded copy, so every one of
its requests is cold; thumbor (no result storage) and the in-process engines render every time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Protocol

from bench import load
from bench.load import HttpClient, Timing
from bench.report import CONCURRENCY, Row
from bench.sharp_runner import SharpWorker
from bench.workloads import Workload, output_size, size_ok

_RENDER_DUR = re.compile(r"(?:^|,)\s*render;dur=([0-9.]+)")
MAX_ERRORS = 3  # an engine that fails this often on a workload is dropped from its rounds


class Engine(Protocol):
    name: str

    def prepare(self, workload: Workload) -> tuple[int, int]:
        """Render job 0 once; return the output size."""
        ...

    def run(self, workload: Workload, jobs: list[int]) -> Timing:
        """Render these jobs, all at once (concurrency = len(jobs))."""
        ...


class PyvipsEngine:
    """pyvips' own `thumbnail` + save in this process (libvips releases the GIL)."""

    name = "pyvips"

    def prepare(self, workload: Workload) -> tuple[int, int]:
        return output_size(workload.pyvips_render(str(workload.source.path)))

    def run(self, workload: Workload, jobs: list[int]) -> Timing:
        path = str(workload.source.path)

        def make_worker() -> load.Job:
            return lambda _index: workload.pyvips_render(path)

        return load.closed_loop(make_worker, len(jobs), len(jobs))


class HttpEngine:
    """A server on 127.0.0.1 with two persistent keep-alive connections. `render_ms` keeps
    the render times a server reports (`Server-Timing: render;dur=…`), by workload and
    concurrency, so the time spent outside the render can be told apart."""

    def __init__(self, name: str, port: int, path_for: Callable[[Workload, int], str]) -> None:
        self.name = name
        self.path_for = path_for
        self.clients = [HttpClient(port), HttpClient(port)]
        self.render_ms: dict[tuple[str, int], list[float]] = {}

    def prepare(self, workload: Workload) -> tuple[int, int]:
        return output_size(self.clients[0].get_ok(self.path_for(workload, 0)))

    def run(self, workload: Workload, jobs: list[int]) -> Timing:
        paths = [self.path_for(workload, job) for job in jobs]
        handed: Iterator[HttpClient] = iter(self.clients)
        reported = self.render_ms.setdefault((workload.key, len(jobs)), [])

        def make_worker() -> load.Job:
            client = next(handed)

            def job(index: int) -> bytes:
                body = client.get_ok(paths[index])
                match = _RENDER_DUR.search(client.last_server_timing or "")
                if match:
                    reported.append(float(match.group(1)))
                return body

            return job

        return load.closed_loop(make_worker, len(jobs), len(jobs))

    def close(self) -> None:
        for client in self.clients:
            client.close()


class SharpEngine:
    """sharp in a long-lived Node worker (bench/sharp.mjs)."""

    name = "sharp"

    def __init__(self, worker: SharpWorker) -> None:
        self.worker = worker

    def prepare(self, workload: Workload) -> tuple[int, int]:
        return self.worker.run(workload, 1, 1)[1]

    def run(self, workload: Workload, jobs: list[int]) -> Timing:
        return self.worker.run(workload, len(jobs), len(jobs))[0]


def _merge(into: Timing, part: Timing) -> None:
    into.latencies_ms.extend(part.latencies_ms)
    into.wall_s += part.wall_s
    into.errors.extend(part.errors)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0][:150] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def measure(engines: list[Engine], workload: Workload, runs: int) -> dict[str, Row]:
    """Warm up, check sizes, then `runs` interleaved rounds at each concurrency."""
    rows: dict[str, Row] = {}
    active: list[Engine] = []
    for engine in engines:
        try:
            size = engine.prepare(workload)
        except Exception as exc:  # noqa: BLE001 - one broken engine must not stop the bench
            rows[engine.name] = Row(note=f"warm-up failed: {_short(exc)}")
            continue
        rows[engine.name] = Row(size=size)
        if not size_ok(size, workload.expect):
            rows[engine.name].note = (f"wrong output size {size[0]}x{size[1]}, expected "
                                      f"{workload.expect[0]}x{workload.expect[1]}")
            continue
        active.append(engine)
    for concurrency in CONCURRENCY:
        for engine in active:
            rows[engine.name].timings[concurrency] = Timing(concurrency)
        for round_index in range(runs):
            shift = round_index % len(active) if active else 0
            for engine in active[shift:] + active[:shift]:
                timing = rows[engine.name].timings[concurrency]
                if len(timing.errors) >= MAX_ERRORS:
                    continue
                if concurrency == 1:
                    jobs = [1 + round_index]
                else:
                    first = 1 + runs + 2 * round_index
                    jobs = list(range(first, first + concurrency))
                try:
                    _merge(timing, engine.run(workload, jobs))
                except Exception as exc:  # noqa: BLE001
                    timing.errors.append(_short(exc))
    return rows
