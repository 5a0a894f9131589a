"""Python's cyclic garbage collector, run once per step instead of dozens of times.

A round at full scale makes tens of thousands of short-lived containers (the selection's
and placement's tuples, the dispatched micro-tasks): 15 000 active jobs on 6 200 GPUs
make ~50 000 a round.  CPython's default first-generation threshold (700 allocations)
then runs the collector ~70 times a round, and the survivors it promotes trigger a full
collection of every job, dict and memo every other round (~20 ms each).  Almost all
those containers die by reference counting alone before the step ends.

:func:`batched_collection` raises the first-generation threshold for the duration of a
step (above what a full-scale round allocates) and restores the caller's setting after
it, so the collector runs once, after the step, on what is still alive then.  Nothing
is disabled: cyclic garbage is still collected, at most one step later.  Reentrant and
thread-safe (the first caller in saves the setting, the last one out restores it).
Measured in the 15 000-job case (``bench/bench_scale.py``, median of runs back to back):
a round without an LP ~56 -> ~52 ms with 30 000, and 46-47 -> 43-46 ms with 100 000
against 30 000; the whole run 2.1 -> 1.8 s.  Results are unaffected: the collector
frees only garbage.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

STEP_THRESHOLD = 100_000   # container allocations before a first-generation collection, within a step

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None   # the caller's setting, while raised
_applied = 0                                 # the first-generation threshold set in its place


@contextmanager
def batched_collection(threshold: int = STEP_THRESHOLD) -> Iterator[None]:
    """Within the block, collect the first generation only after ``threshold``
    container allocations (never lowering a higher setting of the caller's).  Nested or
    overlapping blocks keep the first one's setting until the last one leaves."""
    global _depth, _saved, _applied
    with _lock:
        if _depth == 0:
            current = gc.get_threshold()
            if current[0] and current[0] < threshold:   # (0: the caller disabled collection)
                _saved, _applied = current, threshold
                gc.set_threshold(threshold, *current[1:])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                if gc.get_threshold()[0] == _applied:   # (unless someone changed it meanwhile)
                    gc.set_threshold(*_saved)
                _saved = None
