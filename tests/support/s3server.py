"""A local S3-protocol server (moto) for tests: `with run_s3_server() as endpoint_url: ...`.

The server runs in a child process (this file, run as a script), not in a thread of the test
process: moto keeps its buckets in process-global state, which an in-process `mock_aws()` anywhere
in the suite would silently reset, and a child cannot contend with the tests for the GIL or spill
request logs into their output. The child binds port 0 and reports the port the kernel picked, so
there is no window in which another process can take a port chosen in advance. It exits when its
stdin closes, which also happens if the test process dies without cleaning up. Independent of
pytest on purpose.
"""

from __future__ import annotations

import contextlib
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import IO

# Importing moto and Flask in a fresh interpreter takes one to three seconds on a cold cache.
DEFAULT_STARTUP_TIMEOUT = 60.0
_STOP_TIMEOUT = 10.0


@contextlib.contextmanager
def run_s3_server(*, startup_timeout: float = DEFAULT_STARTUP_TIMEOUT) -> Iterator[str]:
    """Start moto's S3-protocol server on 127.0.0.1 and yield its endpoint URL.

    Any access key and secret are accepted; every bucket starts missing. The server is stopped
    when the block exits, however it exits.

    Raises:
        RuntimeError: the server did not come up within `startup_timeout` seconds (the message
            carries its stderr).
    """
    with tempfile.TemporaryFile() as log:
        # Unbuffered stdout (-u) so the URL line arrives as soon as it is printed.
        process = subprocess.Popen(  # noqa: S603 - our own interpreter running this file
            [sys.executable, "-u", __file__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
        )
        try:
            yield _read_endpoint(process, log, startup_timeout)
        finally:
            _stop(process)


def _read_endpoint(process: subprocess.Popen[bytes], log: IO[bytes], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if selector.select(remaining):
                line = process.stdout.readline().decode().strip()
                if line.startswith("http://"):
                    return line
                break  # EOF or garbage: the child failed before serving
    log.seek(0)
    stderr = log.read().decode(errors="replace")
    raise RuntimeError(f"moto S3 server did not start within {timeout:.0f}s "
                       f"(exit code {process.poll()}):\n{stderr}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # Closing stdin is the child's signal to shut down cleanly; signals are only the fallback.
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    try:
        process.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _serve_until_stdin_closes() -> None:
    import logging

    from moto.server import ThreadedMotoServer

    # Werkzeug logs every request at INFO; keep the child's stderr for real problems.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
    server.stop()


if __name__ == "__main__":
    _serve_until_stdin_closes()
