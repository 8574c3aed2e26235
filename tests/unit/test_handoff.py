"""`Handoff`: blocking calls for the event loop on threads of their own — results and errors
come back, threads are reused and bounded, and a caller that goes away leaves the thread free
for the next call."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TypeVar

import pytest

from tessera import deferred
from tessera.http.handoff import Handoff
from tests.support.concurrency import run, wait_for

T = TypeVar("T")


def test_a_call_returns_its_result_from_another_thread() -> None:
    handoff = Handoff(name="t")

    async def main() -> tuple[int, str]:
        return await handoff.run(lambda a, b: (a + b, threading.current_thread().name), 2, 3)

    total, thread = run(main)
    assert total == 5
    assert thread.startswith("t-")


def test_an_exception_is_raised_in_the_caller() -> None:
    handoff = Handoff()

    def fail() -> None:
        raise LookupError("nope")

    async def main() -> None:
        await handoff.run(fail)

    with pytest.raises(LookupError, match="nope"):
        run(main)


def test_calls_one_after_another_reuse_one_thread() -> None:
    handoff = Handoff(name="reuse")

    async def main() -> set[int]:
        return {await handoff.run(threading.get_ident) for _ in range(50)}

    assert len(run(main)) == 1


def test_concurrent_calls_run_side_by_side_up_to_the_limit_and_the_rest_wait() -> None:
    handoff = Handoff(max_threads=3, name="bounded")
    lock = threading.Lock()
    running = peak = 0

    def work(seconds: float) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(seconds)
        with lock:
            running -= 1
        return threading.get_ident()

    async def main() -> list[int]:
        return list(await asyncio.gather(*(handoff.run(work, 0.05) for _ in range(9))))

    started = time.monotonic()
    idents = run(main)
    assert len(idents) == 9
    assert peak == 3 and len(set(idents)) == 3
    assert time.monotonic() - started >= 0.15  # three rounds of three, not nine at once


def test_a_caller_that_goes_away_frees_the_thread_for_the_next_call() -> None:
    handoff = Handoff(max_threads=1, name="cancel")
    release = threading.Event()
    errors: list[BaseException] = []

    async def main() -> str:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context["message"]))
        slow = asyncio.create_task(handoff.run(release.wait, 5))
        await asyncio.sleep(0.05)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        release.set()  # the abandoned call finishes; its answer has nobody to go to
        return await asyncio.wait_for(handoff.run(lambda: "next"), timeout=5)

    assert run(main) == "next"
    assert errors == []


def test_deferred_work_runs_after_the_caller_has_the_answer() -> None:
    handoff = Handoff(name="defer")
    answered = threading.Event()
    order: list[str] = []

    def deferred_work() -> None:
        # Run before the answer, this would wait in vain: the caller could not set it.
        order.append("deferred" if answered.wait(5) else "deferred before the answer")

    def compute() -> str:
        deferred.defer(deferred_work)
        order.append("computed")
        return "answer"

    async def main() -> str:
        result = await handoff.run(compute)
        answered.set()
        return result

    assert run(main) == "answer"
    assert wait_for(lambda: len(order) == 2)
    assert order == ["computed", "deferred"]


def test_a_thread_with_deferred_work_takes_no_call_until_it_is_done() -> None:
    handoff = Handoff(name="busy")
    finish = threading.Event()

    def leave_work() -> int:
        deferred.defer(lambda: finish.wait(5))
        return threading.get_ident()

    async def main() -> tuple[int, int, float]:
        first = await handoff.run(leave_work)
        started = time.monotonic()
        second = await handoff.run(threading.get_ident)  # not queued behind the deferred work
        waited = time.monotonic() - started
        finish.set()
        return first, second, waited

    first, second, waited = run(main)
    assert first != second
    assert waited < 4

