"""Load generation, only ever to 127.0.0.1, bounded in request count and in time.

  closed_loop  N jobs run by C worker threads (C = 1 or 2 requests in flight); every job's
               latency is recorded. Median ms is the median latency; images/s is
               C × 1000 / median ms, the closed-loop throughput, which a single slow outlier on
               this shared machine does not skew (the wall-clock rate is kept too).
  wrk          requests/s and p99 at 16 connections for a fixed duration (`wrk --latency`), or,
               where wrk is missing, an equivalent Python generator (16 threads, keep-alive).
  burst        K requests released at once by a barrier (the hot-URL test).
"""

from __future__ import annotations

import http.client
import re
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import HOST

MAX_SECONDS = 120.0  # no single measurement may run longer than this


class RequestFailed(Exception):
    """A request answered with something other than 200."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status


@dataclass
class Timing:
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.latencies_ms) and not self.errors

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def images_per_s(self) -> float:
        return self.concurrency * 1000.0 / self.median_ms

    @property
    def wall_images_per_s(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0


Job = Callable[[int], object]


def closed_loop(make_worker: Callable[[], Job], jobs: int, concurrency: int) -> Timing:
    """Run jobs 0..jobs-1 on `concurrency` threads, each with its own worker (connection)."""
    timing = Timing(concurrency)
    lock = threading.Lock()
    next_job = [0]
    deadline = time.monotonic() + MAX_SECONDS
    workers = [make_worker() for _ in range(concurrency)]
    start_line = threading.Barrier(concurrency)

    def run(worker: Job) -> None:
        start_line.wait()
        while time.monotonic() < deadline:
            with lock:
                index = next_job[0]
                if index >= jobs:
                    return
                next_job[0] += 1
            started = time.perf_counter()
            try:
                worker(index)
            except Exception as exc:  # noqa: BLE001 - reported in the table
                with lock:
                    timing.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000.0
            with lock:
                timing.latencies_ms.append(elapsed)

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in workers]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(MAX_SECONDS + 5)
    timing.wall_s = time.perf_counter() - wall
    if len(timing.latencies_ms) + len(timing.errors) < jobs and not timing.errors:
        timing.errors.append(f"time limit: {len(timing.latencies_ms)}/{jobs} jobs done")
    return timing


class HttpClient:
    """One keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.last_server_timing: str | None = None  # of the last response

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request("GET", path, headers=headers or {})
                response = self.conn.getresponse()
                body = response.read()
                self.last_server_timing = response.getheader("server-timing")
                if response.getheader("connection", "").lower() == "close":
                    self.reconnect()
                return response.status, body
            except (http.client.HTTPException, ConnectionError):
                # A keep-alive connection the server closed: retry once on a fresh one.
                self.reconnect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get_ok(self, path: str) -> bytes:
        status, body = self.get(path)
        if status != 200:
            raise RequestFailed(status, body)
        return body

    def reconnect(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)

    def close(self) -> None:
        self.conn.close()


def http_closed_loop(port: int, paths: list[str], concurrency: int) -> Timing:
    """GET each path once, `concurrency` at a time."""
    clients: list[HttpClient] = []

    def make_worker() -> Job:
        client = HttpClient(port)
        clients.append(client)
        return lambda index: client.get_ok(paths[index])

    try:
        return closed_loop(make_worker, len(paths), concurrency)
    finally:
        for client in clients:
            client.close()


# -- sustained load on a cached URL ---------------------------------------------------------------

@dataclass
class LoadResult:
    tool: str
    requests_per_s: float
    p99_ms: float
    p50_ms: float
    requests: int
    errors: int

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.errors == 0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparsed wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> LoadResult:
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    if sockets:
        errors += sum(int(g) for g in sockets.groups())
    return LoadResult("wrk", rps, p99, p50, total, errors)


def wrk(executable: Path, port: int, path: str, *, connections: int = 16, threads: int = 2,
        seconds: float = 10.0) -> LoadResult:
    url = f"http://{HOST}:{port}{path}"
    argv = [str(executable), f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s",
            "--timeout", "5s", "--latency", url]
    done = subprocess.run(argv, capture_output=True, text=True,  # noqa: S603
                          timeout=seconds + 30, check=True)
    return parse_wrk(done.stdout)


def python_load(port: int, path: str, *, connections: int = 16,
                seconds: float = 10.0) -> LoadResult:
    """The equivalent of wrk in Python threads (slower: a floor, not a ceiling)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run() -> None:
        client = HttpClient(port, timeout=5)
        mine: list[float] = []
        bad = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status, _ = client.get(path)
            except OSError:
                bad += 1
                client.reconnect()
                continue
            mine.append((time.perf_counter() - started) * 1000.0)
            bad += status != 200
        client.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=run, daemon=True) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    wall = time.perf_counter() - began
    if not latencies:
        return LoadResult("python", 0.0, 0.0, 0.0, 0, errors[0])
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return LoadResult("python", len(ordered) / wall, p99, statistics.median(ordered),
                      len(ordered), errors[0])


def burst(port: int, path: str, count: int = 64, timeout: float = 120.0) -> list[int]:
    """`count` GETs of one path released together; their statuses (0: connection error)."""
    statuses = [0] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        client = HttpClient(port, timeout=timeout)
        try:
            client.conn.connect()
            barrier.wait(30)
            statuses[index], _ = client.get(path)
        except Exception:  # noqa: BLE001 - a failed request shows as status 0
            statuses[index] = 0
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout + 35)
    return statuses
