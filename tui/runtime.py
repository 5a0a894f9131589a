"""Process-wide settings for a process that holds a large simulation.

Called once at start-up by ``fragscope view`` and by every arm process
(:mod:`fragscope.tui.arm_process`); nothing here depends on the simulation itself.
"""

from __future__ import annotations


def tune_gc() -> None:
    """Fewer garbage collections for a process holding a large simulation.

    A 6 000-GPU simulation keeps ~10⁶ live objects (jobs, histories, snapshots); with
    CPython's default thresholds a full collection scans them every few frames and shows up
    as 50–100 ms stutters.  The engine makes no reference cycles worth collecting promptly.
    """
    import gc
    gc.set_threshold(50_000, 20, 100)
