"""thumbor 7.8 on 127.0.0.1, from its own virtualenv, reading the sources from disk.

Configuration (written to a temp dir): the file loader rooted at the bench's source directory,
no original-image storage (`thumbor.storages.no_storage`: nothing is kept between requests), the
PIL engine, unsafe URLs. Cold runs have no result storage; the cached run turns on
`thumbor.result_storages.file_storage` (with `RESULT_STORAGE_STORES_UNSAFE`) so a repeated URL is
served from disk. thumbor's engine runs on its IOLoop unless `ENGINE_THREADPOOL_SIZE` is set:
the bench gives it a pool of 2 threads (one per core), the configuration recommended when the
IOLoop blocks, so two concurrent requests can both make progress.
"""

from __future__ import annotations

from pathlib import Path

from bench import procs

THREADS = 2


def write_config(directory: Path, source_dir: Path, *, result_storage: bool) -> Path:
    lines = [
        "LOADER = 'thumbor.loaders.file_loader'",
        f"FILE_LOADER_ROOT_PATH = {str(source_dir)!r}",
        "STORAGE = 'thumbor.storages.no_storage'",
        "ENGINE = 'thumbor.engines.pil'",
        "ALLOW_UNSAFE_URL = True",
        "QUALITY = 80",
        "WEBP_QUALITY = 80",
        "PNG_COMPRESSION_LEVEL = 6",
        "MAX_PIXELS = 150e6",
        f"ENGINE_THREADPOOL_SIZE = {THREADS}",
    ]
    if result_storage:
        lines += [
            "RESULT_STORAGE = 'thumbor.result_storages.file_storage'",
            f"RESULT_STORAGE_FILE_STORAGE_ROOT_PATH = {str(directory / 'results')!r}",
            "RESULT_STORAGE_STORES_UNSAFE = True",
            "RESULT_STORAGE_EXPIRATION_SECONDS = 0",
        ]
    conf = directory / "thumbor.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def start(executable: Path, directory: Path, source_dir: Path, *,
          result_storage: bool) -> tuple[procs.Server, int]:
    """Start thumbor; return the server and its port once it answers."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = write_config(directory, source_dir, result_storage=result_storage)
    port = procs.free_port()
    name = "thumbor (result storage)" if result_storage else "thumbor"
    server = procs.Server(name, [str(executable), "-i", procs.HOST, "-p", str(port),
                                 "-c", str(conf), "-l", "error"],
                          directory / "thumbor.log")
    server.wait_http(port, "/healthcheck", timeout=60)
    return server, port
