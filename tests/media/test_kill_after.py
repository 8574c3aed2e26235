"""`kill_after`: libvips is stopped mid-computation by the watchdog thread, and a finished
computation leaves nothing scheduled behind (the cancelled action held its image)."""

from __future__ import annotations

import threading
import time
import weakref

import pytest
import pyvips

from tessera.media import decode
from tessera.media.decode import kill_after
from tests.support.concurrency import wait_for


class Killed(Exception):
    pass


def test_a_long_computation_is_killed_once_its_time_has_passed() -> None:
    image = pyvips.Image.black(30000, 30000).gaussblur(2)  # seconds of work
    started = time.monotonic()
    with pytest.raises(Killed), kill_after(image, 0.2, Killed):
        image.avg()
    assert 0.2 <= time.monotonic() - started < 5


def test_a_finished_computation_is_not_killed_and_leaves_no_action() -> None:
    image = pyvips.Image.black(64, 64) + 3
    with kill_after(image, 30.0, Killed):
        assert image.avg() == 3
    assert image.avg() == 3  # the kill flag was never set
    assert not decode._watchdog._actions


def test_errors_other_than_the_kill_pass_through() -> None:
    image = pyvips.Image.black(64, 64)
    with pytest.raises(pyvips.Error), kill_after(image, 30.0, Killed):
        image.crop(100, 100, 10, 10)



class _Held:
    """Stands for an image (pyvips images take no weak references)."""

    def __call__(self) -> None:
        pass


def test_an_action_due_before_those_waiting_runs_on_time() -> None:
    # The thread sleeps until the earliest entry: a later-scheduled, sooner action wakes it.
    kept = pyvips.Image.black(8, 8)
    with kill_after(kept, 30.0, Killed):  # a long wait at the head of the queue
        ran = threading.Event()
        started = time.monotonic()
        decode._watchdog.schedule(0.05, ran.set)
        assert ran.wait(5)
        assert time.monotonic() - started < 2


def test_an_action_is_let_go_once_it_has_run() -> None:
    action = _Held()
    gone = weakref.ref(action)
    decode._watchdog.schedule(0.01, action)
    del action
    assert wait_for(lambda: gone() is None)  # a fired kill no longer holds its image
