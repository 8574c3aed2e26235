"""Child servers of the bench: start on a loopback port, wait until they answer, always stop.

Every server is started in its own session (process group), registered, and stopped by its
group id from `stop_all()`, which `__main__` calls from `finally`; an `atexit` hook and SIGTERM/
SIGHUP handlers make sure it also runs on Ctrl-C, a kill, or an exception. Nothing is ever stopped
by name.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

HOST = "127.0.0.1"

_children: list[Server] = []
_lock = threading.Lock()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    """A started child process with its log file."""

    def __init__(self, name: str, argv: Sequence[str], log: Path, *,
                 env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.name = name
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(  # noqa: S603 - argv is built by the bench
            list(argv), stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True)
        with _lock:
            _children.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the child's process group, SIGKILL it if it lingers."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        else:
            # The leader is gone; make sure no worker of its group is left behind.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log_file.close()
        with _lock:
            if self in _children:
                _children.remove(self)

    def wait_http(self, port: int, path: str = "/", timeout: float = 60.0) -> None:
        """Block until GET path answers (any status), or raise with the log's tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=2)
                conn.request("GET", path)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer on port {port} in {timeout:.0f}s:\n"
                           f"{self.tail()}")


def stop_all() -> None:
    """Stop every child still running (idempotent)."""
    with _lock:
        children = list(_children)
    for child in reversed(children):
        with contextlib.suppress(Exception):
            child.stop()


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def install_handlers() -> None:
    """Stop the children on exit, SIGTERM and SIGHUP (Ctrl-C raises KeyboardInterrupt)."""
    atexit.register(stop_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of a process in MB, from /proc."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmHWM", 0.0), fields.get("VmRSS", 0.0)


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a server's supervisor and its workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def settled_rss_mb(pids: list[int], timeout: float = 30.0) -> dict[int, float]:
    """VmRSS of each process once none of them changed by 1 MB for half a second."""
    deadline = time.monotonic() + timeout
    last: dict[int, float] = {}
    while True:
        now = {pid: peak_rss_mb(pid)[1] for pid in pids}
        if last and all(abs(now[pid] - last[pid]) < 1 for pid in pids) \
                or time.monotonic() > deadline:
            return now
        last = now
        time.sleep(0.5)


def pss_mb(pid: int) -> float:
    """Proportional set size in MB: shared pages divided among the processes sharing them, so
    the PSS of a supervisor and its workers adds up to what they occupy together."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux clear_refs 5); False where not permitted."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False
