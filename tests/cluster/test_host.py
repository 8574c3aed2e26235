"""The worker processes of one host agree through a shared directory (`HostCoordinator`):
a render lock excludes other processes and is freed when its holder dies, a forget reaches
every process's next memory lookup, and maintenance runs in one process at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tessera.app import maintain
from tessera.cluster import open_coordinator
from tessera.cluster.host import HostCoordinator
from tessera.cluster.local import LocalCoordinator
from tessera.db.migrate import upgrade
from tessera.db.models import Album, Import, Organization
from tessera.db.uow import Database

REPO = Path(__file__).resolve().parents[2]


class Other:
    """Another process with its own HostCoordinator on `directory`, driven line by line on
    stdin (`lock NAME`, `unlock`, `forget`), answering `ok`/`held`/`free` on stdout."""

    def __init__(self, directory: Path) -> None:
        script = textwrap.dedent(f"""
            import sys
            from pathlib import Path
            from tessera.cluster.host import HostCoordinator
            coordinator = HostCoordinator(Path({str(directory)!r}))
            block = None
            for line in sys.stdin:
                command, *rest = line.split()
                if command == "lock":
                    block = coordinator.exclusive(rest[0], hold_seconds=1, wait_seconds=0)
                    print("held" if block.__enter__() else "free", flush=True)
                elif command == "unlock":
                    block.__exit__(None, None, None)
                    print("ok", flush=True)
                elif command == "forget":
                    coordinator.broadcast_forget()
                    print("ok", flush=True)
        """)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.process = subprocess.Popen([sys.executable, "-c", script], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def coordinator(tmp_path: Path) -> Iterator[HostCoordinator]:
    here = HostCoordinator(tmp_path)
    yield here
    here.close()


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Other]:
    process = Other(tmp_path)
    yield process
    process.close()


def _try(coordinator: HostCoordinator, name: str, wait_seconds: float = 0.0) -> bool:
    with coordinator.exclusive(name, hold_seconds=1, wait_seconds=wait_seconds) as held:
        return held


def test_a_lock_excludes_another_process_until_it_releases(coordinator: HostCoordinator,
                                                           other: Other) -> None:
    assert other.ask("lock derived/a") == "held"
    assert _try(coordinator, "derived/a", wait_seconds=0.2) is False
    assert other.ask("unlock") == "ok"
    assert _try(coordinator, "derived/a") is True


def test_a_waiter_gets_the_lock_once_the_holder_releases(coordinator: HostCoordinator,
                                                         other: Other) -> None:
    assert other.ask("lock derived/b") == "held"
    threading.Timer(0.2, other.ask, args=("unlock",)).start()
    assert _try(coordinator, "derived/b", wait_seconds=10) is True


def test_a_dead_holders_lock_is_free_at_once(coordinator: HostCoordinator,
                                             other: Other) -> None:
    assert other.ask("lock derived/c") == "held"
    other.process.send_signal(signal.SIGKILL)  # no release, no cleanup: the kernel's job
    other.process.wait(10)
    assert _try(coordinator, "derived/c", wait_seconds=5) is True


def test_a_held_lock_is_refused_to_the_other_process(coordinator: HostCoordinator,
                                                     other: Other) -> None:
    with coordinator.exclusive("derived/d", hold_seconds=1, wait_seconds=0) as held:
        assert held is True
        assert other.ask("lock derived/d") == "free"
    assert other.ask("lock derived/d") == "held"


def test_threads_of_one_process_exclude_each_other(coordinator: HostCoordinator) -> None:
    with coordinator.exclusive("derived/e", hold_seconds=1, wait_seconds=0) as held:
        assert held is True
        seen: list[bool] = []
        thread = threading.Thread(target=lambda: seen.append(_try(coordinator, "derived/e")))
        thread.start()
        thread.join()
        assert seen == [False]


def test_names_share_a_bounded_set_of_lock_files(tmp_path: Path) -> None:
    coordinator = HostCoordinator(tmp_path, stripes=16)
    for index in range(200):
        assert _try(coordinator, f"derived/org/{index}") is True
    assert 0 < len(list((tmp_path / "locks").iterdir())) <= 16
    coordinator.close()


def test_a_forget_in_another_process_reaches_the_next_poll(coordinator: HostCoordinator,
                                                           other: Other) -> None:
    cleared: list[int] = []
    coordinator.on_forget(lambda: cleared.append(1))
    coordinator.poll()
    assert cleared == []  # nothing happened yet
    assert other.ask("forget") == "ok"
    coordinator.poll()
    assert cleared == [1]
    coordinator.poll()
    assert cleared == [1]  # once per forget
    assert other.ask("forget") == "ok" and other.ask("forget") == "ok"
    coordinator.poll()
    assert cleared == [1, 1]  # two forgets since the last look: one clear is enough


def test_an_own_forget_clears_at_once_and_not_again(coordinator: HostCoordinator,
                                                    tmp_path: Path) -> None:
    cleared: list[str] = []
    coordinator.on_forget(lambda: cleared.append("here"))
    neighbour = HostCoordinator(tmp_path)  # a second mapping of the same counter
    neighbour.on_forget(lambda: cleared.append("neighbour"))
    coordinator.broadcast_forget()
    assert cleared == ["here"]
    coordinator.poll()
    assert cleared == ["here"]
    neighbour.poll()
    assert cleared == ["here", "neighbour"]
    neighbour.close()


def test_the_counter_survives_a_restart_of_the_group(tmp_path: Path) -> None:
    first = HostCoordinator(tmp_path)
    first.broadcast_forget()
    first.close()
    again = HostCoordinator(tmp_path)
    cleared: list[int] = []
    again.on_forget(lambda: cleared.append(1))
    again.poll()
    assert cleared == []  # a process starting after a forget has nothing to forget
    again.close()


def test_the_coordinator_follows_the_settings(tmp_path: Path) -> None:
    assert isinstance(open_coordinator(""), LocalCoordinator)
    host = open_coordinator("", tmp_path)
    assert isinstance(host, HostCoordinator)
    host.close()


# --- maintenance across workers -------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.runs: list[str] = []

    def resume(self) -> int:
        self.runs.append("resume")
        return 0

    def purge(self) -> None:
        self.runs.append("purge")


def test_maintenance_runs_in_one_process_at_a_time(coordinator: HostCoordinator,
                                                   other: Other) -> None:
    recorder = Recorder()

    def round_() -> bool:
        return maintain(recorder, recorder, coordinator,  # type: ignore[arg-type]
                        "maintenance", hold_seconds=60)

    assert other.ask("lock maintenance") == "held"
    assert round_() is False
    assert recorder.runs == []
    assert other.ask("unlock") == "ok"
    assert round_() is True
    assert recorder.runs == ["resume", "purge"]


def test_an_import_is_claimed_by_one_worker_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tessera.db'}"
    upgrade(url)
    workers = [Database(url), Database(url)]  # two engines, as two processes have
    now = datetime.now(UTC)
    with workers[0].uow() as uow:
        uow.organizations.add(Organization(id="org", name="org", created_at=now))
        album = Album(id=str(uuid.uuid4()), organization_id="org", external_id="a",
                      views_count=0, created_at=now)
        uow.albums.add(album)
        uow.flush()
        uow.imports.add(Import(id="job", organization_id="org", album_id=album.id,
                               url="https://example.com/a.jpg", filename=None, metadatas={},
                               request_headers={}, status="pending", error=None, attempts=0,
                               image_id=None, user_id=None, created_at=now, updated_at=now))
        uow.commit()
    claimed: list[bool] = []
    start = threading.Barrier(8)

    def claim(db: Database) -> None:
        start.wait()
        with db.uow() as uow:
            won = uow.imports.claim("job", datetime.now(UTC), now - timedelta(hours=1))
            uow.commit()
        claimed.append(won)

    threads = [threading.Thread(target=claim, args=(workers[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == [False] * 7 + [True]
    for db in workers:
        db.dispose()
