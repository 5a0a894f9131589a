"""A step raises the garbage collector's first threshold for its own duration and gives the caller's setting back."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

import pytest

from fragscope.core.collector import STEP_THRESHOLD, batched_collection
from fragscope.core.sim_loop import StepLoop

CALLERS = (700, 10, 10)


@pytest.fixture(autouse=True)
def callers_threshold() -> Iterator[None]:
    """Every test starts from the caller's setting CALLERS; the process's is put back after."""
    before = gc.get_threshold()
    gc.set_threshold(*CALLERS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def _block_in_another_thread() -> Iterator[Callable[[], None]]:
    """A thread inside ``batched_collection()`` until the function yielded is called
    (then the thread has left it)."""
    inside, go = threading.Event(), threading.Event()

    def other():
        with batched_collection():
            inside.set()
            go.wait(5)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)

    def leave() -> None:
        go.set()
        t.join(5)

    try:
        yield leave
    finally:
        leave()


def test_the_callers_threshold_is_raised_inside_and_restored_after():
    with batched_collection():
        assert gc.get_threshold() == (STEP_THRESHOLD, 10, 10)
        with batched_collection():               # nested: still raised, restored once
            assert gc.get_threshold()[0] == STEP_THRESHOLD
        assert gc.get_threshold()[0] == STEP_THRESHOLD
    assert gc.get_threshold() == CALLERS
    gc.set_threshold(0)                           # collection turned off by the caller stays off
    with batched_collection():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0


def test_restored_after_an_exception_and_across_threads():
    try:
        with batched_collection():
            raise RuntimeError("a step that fails")
    except RuntimeError:
        pass
    assert gc.get_threshold() == CALLERS
    with _block_in_another_thread() as leave:
        with batched_collection():                # overlapping: the last one out restores
            pass
        assert gc.get_threshold()[0] == STEP_THRESHOLD
        leave()
    assert gc.get_threshold() == CALLERS


def test_a_simulation_step_runs_inside_it(monkeypatch):
    seen = []
    monkeypatch.setattr(StepLoop, "_step", lambda self: seen.append(gc.get_threshold()[0]))
    StepLoop.__new__(StepLoop).step()
    assert seen == [STEP_THRESHOLD] and gc.get_threshold()[0] == 700


def test_overlapping_blocks_with_other_thresholds_restore_the_callers():
    """The first block in sets the threshold; the last one out restores the caller's,
    whatever threshold the others asked for."""
    with _block_in_another_thread() as leave:
        outer = batched_collection(50_000)
        outer.__enter__()
        leave()                                    # the first one in leaves first
    assert gc.get_threshold()[0] == STEP_THRESHOLD
    outer.__exit__(None, None, None)
    assert gc.get_threshold() == CALLERS
