"""A long-lived `node bench/sharp.mjs` worker, driven one JSON line per command."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

from bench import installs
from bench.load import MAX_SECONDS, Timing
from bench.workloads import Workload

SCRIPT = Path(__file__).resolve().parent / "sharp.mjs"


class SharpWorker:
    """One Node process running sharp.mjs; stopped by `close()`."""

    def __init__(self, node: Path) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv
            [str(node), str(SCRIPT), str(installs.sharp_modules())], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.vips_version = str(self._ask({"op": "versions"})["versions"]["vips"])

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        answer: list[str] = []
        stdout = self.proc.stdout
        reader = threading.Thread(target=lambda: answer.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(MAX_SECONDS)
        if not answer or not answer[0]:
            stderr = ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                stderr = self.proc.stderr.read()[-300:]
            raise RuntimeError(f"sharp.mjs gave no answer {stderr}".strip())
        out: dict[str, Any] = json.loads(answer[0])
        if "error" in out:
            raise RuntimeError(f"sharp: {out['error']}")
        return out

    def run(self, workload: Workload, jobs: int, concurrency: int) -> tuple[Timing,
                                                                              tuple[int, int]]:
        out = self._ask({"op": "run", "file": str(workload.source.path),
                         "recipe": workload.sharp_recipe(), "jobs": jobs,
                         "concurrency": concurrency})
        timing = Timing(concurrency, latencies_ms=[float(v) for v in out["ms"]],
                        wall_s=float(out["wall_s"]))
        return timing, (int(out["size"][0]), int(out["size"][1]))

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
