"""Where a sweep's points run: a local process pool, or one Ray task per point.

A backend runs :func:`~.point.run_point` for every point it is given and calls
``finished(point, result)`` in the driver as each one completes; it never writes
files itself (the driver does), so both backends produce the same files.
"""

from __future__ import annotations

from typing import Any, Callable

from ...model.errors import SimulationError
from .point import PointResult, run_point
from .spec import Point, SweepSpec

#: Called in the driver for every point a backend completes.
FinishedFn = Callable[[Point, PointResult], None]
#: Called in the driver just before a point is handed to a worker: False = skip it
#: (another sweep into the same folder has claimed it, see .claims).
TakeFn = Callable[[Point], bool]


def run_local(spec: SweepSpec, todo: list[Point], workers: int,
              finished: FinishedFn, _address: str | None, take: TakeFn) -> None:
    """One point per task in a process pool (spawned, so no state leaks between
    points); with one worker, in this process.  Points are handed out one at a time
    as workers free up, each claimed (``take``) just before, so a sweep running beside
    this one into the same folder takes the points this one has not started."""
    if workers <= 1:
        for p in todo:
            if take(p):
                finished(p, run_point(str(spec.point_base(p)), p.overrides, spec.decisions))
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    from ..processes import release_process_helpers

    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                 initializer=_die_with_parent) as pool:
            queue = iter(todo)
            pending: dict[Any, Point] = {}

            def fill() -> None:
                while len(pending) < workers:
                    p = next((p for p in queue if take(p)), None)
                    if p is None:
                        return
                    pending[pool.submit(run_point, str(spec.point_base(p)), p.overrides, spec.decisions)] = p

            try:
                fill()
                while pending:
                    ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in sorted(ready, key=lambda f: pending[f].index):
                        p = pending.pop(fut)
                        finished(p, fut.result())
                    fill()
            except BrokenProcessPool:
                raise SimulationError("a sweep worker process died (out of memory?); finished points "
                                      "are kept — run the same command again to resume") from None
            finally:
                for fut in pending:
                    fut.cancel()
    finally:   # the pool is shut down: leave no helper process behind
        release_process_helpers()


def _die_with_parent() -> None:
    """Pool worker start-up: on Linux, ask the kernel to kill this worker when the
    sweep process dies (kill -9 included), so a killed sweep leaves no orphan still
    computing a point.  Elsewhere a no-op (orphans then finish their point and exit;
    their files are written atomically either way)."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def ray_available() -> bool:
    """True when Ray can be imported (it is an optional dependency: ``fragscope[ray]``)."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def run_ray(spec: SweepSpec, todo: list[Point], workers: int,
            finished: FinishedFn, address: str | None, take: TakeFn) -> None:
    """One ``ray.remote`` task per point, on the cluster at ``address`` or on a local
    Ray started here with ``workers`` CPUs (and shut down afterwards).  Every point is
    claimed (``take``) when its task is submitted, all at once: Ray schedules them."""
    import ray

    started = False
    if not ray.is_initialized():
        import logging
        kwargs: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False,
                                  "logging_level": logging.WARNING}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(run_point)
        refs = {task.remote(str(spec.point_base(p)), p.overrides, spec.decisions): p for p in todo if take(p)}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                p = refs.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # the worker died (not a bad point: those return rows)
                    result = PointResult({"status": "error", "wall_s": None,
                                          "error": f"Ray task failed: {type(exc).__name__}: "
                                                   f"{str(exc).splitlines()[0] if str(exc) else ''}"}, {})
                finished(p, result)
    finally:
        if started:
            ray.shutdown()
