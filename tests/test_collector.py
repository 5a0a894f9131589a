"""A step raises the garbage collector's first threshold for its own duration and gives the caller's setting back."""

from __future__ import annotations

import gc
import threading

from fragscope.core.collector import STEP_THRESHOLD, batched_collection
from fragscope.core.sim_loop import StepLoop


def test_the_callers_threshold_is_raised_inside_and_restored_after():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with batched_collection():
            assert gc.get_threshold() == (STEP_THRESHOLD, 10, 10)
            with batched_collection():               # nested: still raised, restored once
                assert gc.get_threshold()[0] == STEP_THRESHOLD
            assert gc.get_threshold()[0] == STEP_THRESHOLD
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(0)                           # collection turned off by the caller stays off
        with batched_collection():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_restored_after_an_exception_and_across_threads():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        try:
            with batched_collection():
                raise RuntimeError("a step that fails")
        except RuntimeError:
            pass
        assert gc.get_threshold() == (700, 10, 10)
        inside, go = threading.Event(), threading.Event()

        def other():
            with batched_collection():
                inside.set()
                go.wait(5)

        t = threading.Thread(target=other)
        t.start()
        inside.wait(5)
        with batched_collection():                    # overlapping: the last one out restores
            pass
        assert gc.get_threshold()[0] == STEP_THRESHOLD
        go.set()
        t.join(5)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_simulation_step_runs_inside_it(monkeypatch):
    seen = []
    monkeypatch.setattr(StepLoop, "_step", lambda self: seen.append(gc.get_threshold()[0]))
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        StepLoop.__new__(StepLoop).step()
        assert seen == [STEP_THRESHOLD] and gc.get_threshold()[0] == 700
    finally:
        gc.set_threshold(*before)


def test_overlapping_blocks_with_other_thresholds_restore_the_callers():
    """The first block in sets the threshold; the last one out restores the caller's,
    whatever threshold the others asked for."""
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        inside, go = threading.Event(), threading.Event()

        def other():
            with batched_collection():
                inside.set()
                go.wait(5)

        t = threading.Thread(target=other)
        t.start()
        inside.wait(5)
        outer = batched_collection(50_000)
        outer.__enter__()
        go.set()
        t.join(5)                                     # the first one in leaves first
        assert gc.get_threshold()[0] == STEP_THRESHOLD
        outer.__exit__(None, None, None)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
