"""`tessera.deferred`: an action deferred inside `collecting()` waits for `run`, in order, and
is let go as soon as it has run; anywhere else it runs at once."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest

from tessera import deferred


class _Held:
    """Stands for a pyvips image (they take no weak references)."""


def test_outside_a_collecting_thread_an_action_runs_at_once() -> None:
    ran: list[str] = []
    deferred.defer(lambda: ran.append("now"))
    assert ran == ["now"]


def test_collected_actions_wait_for_run_and_run_in_order() -> None:
    ran: list[int] = []
    with deferred.collecting() as later:
        for n in range(3):
            deferred.defer(lambda n=n: ran.append(n))
        assert ran == []
    assert ran == []  # leaving the block runs nothing: the caller does, when it has answered
    deferred.run(later)
    assert ran == [0, 1, 2]
    assert later == []


def test_a_held_value_lives_until_run_and_goes_then() -> None:
    value = _Held()
    gone = weakref.ref(value)
    with deferred.collecting() as later:
        deferred.hold(value)
    del value
    gc.collect()
    assert gone() is not None
    deferred.run(later)
    assert gone() is None


def test_a_held_value_outside_collecting_goes_at_once() -> None:
    value = _Held()
    gone = weakref.ref(value)
    deferred.hold(value)
    del value
    assert gone() is None


def test_a_failing_action_is_logged_and_the_rest_still_run(
        caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def fail() -> None:
        raise OSError("disk full")

    with deferred.collecting() as later:
        deferred.defer(fail)
        deferred.defer(lambda: ran.append("after"))
    with caplog.at_level(logging.ERROR, logger="tessera.deferred"):
        deferred.run(later)
    assert ran == ["after"]
    assert "event=deferred_action_failed" in caplog.text


def test_collecting_nests_and_restores_the_outer_queue() -> None:
    with deferred.collecting() as outer:
        with deferred.collecting() as inner:
            deferred.defer(lambda: None)
        deferred.defer(lambda: None)
    assert (len(inner), len(outer)) == (1, 1)
