"""A/B in round mode: the same scenario with GPU sharing off (A) and on (B).

Either both arms start from the scenario and the same seed, or one running
simulation is forked at a round and the fork flips sharing (what the UI's ``s``
key does).  Figures per arm are over the measured jobs; mean fragmentation and
occupancy are averaged over the rounds from the window's start to the end.

With two free cores the arms run at the same time: B in a child process (started with
``spawn``, the simulation pickled there and back), A here.  The engine is deterministic,
so the results are the same as stepping both here (a test compares the files).
"""

from __future__ import annotations

import time
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..model.atomic import atomic_write
from ..model.errors import InputError, SimulationError
from .fill import usable_cores
from .measure import run_bounded
from .processes import release_process_helpers
from ..core.results import summary, to_json, write_run_outputs
from ..core.scenario import ScenarioConfig
from ..core.simulation import Simulation

#: ``progress(arm, jobs_done, now)``: measured jobs completed in that arm so far, its clock
Progress = Callable[[str, int, float], None]
_PROGRESS_EVERY_S = 0.25  # how often the child arm reports its progress


def _arm_figures(sim: Simulation) -> dict[str, Any]:
    summ = summary(sim)
    start = sim.window_start_time or 0.0
    rows = [r for r in sim.rounds() if r.time >= start and r.frag is not None]
    frag_rate = float(np.mean([r.frag.frag_rate_pct for r in rows])) if rows else None
    occupied = float(np.mean([r.frag.occupied_nodes for r in rows])) if rows else None
    return {"sharing": sim.sharing, "avg_jct_s": summ["avg_jct_s"],
            "jobs_completed": summ["jobs_completed"], "jobs_measured": summ["jobs_measured"],
            "utilization": summ["utilization"], "mean_frag_rate_pct": frag_rate,
            "mean_occupied_nodes": occupied, "makespan_s": summ["makespan_s"], "done": summ["done"]}


def _delta(a: Any, b: Any) -> dict[str, Any] | None:
    if a is None or b is None:
        return None
    out = {"b_minus_a": b - a}
    if a:
        out["pct"] = 100.0 * (b - a) / a
    return out


def measured_done(sim: Simulation) -> int:
    """Jobs of the measurement window (all jobs without one) completed so far."""
    window = sim.config.workload.window
    finished = sim.finished_jcts()
    if window is None:
        return len(finished)
    lo, hi = window
    return sum(1 for j in finished if lo <= j < hi)


def _in_arm(name: str, exc: InputError | SimulationError) -> InputError | SimulationError:
    """``exc`` saying which arm it came from (the same kind: the same exit code)."""
    if isinstance(exc, InputError):
        return InputError(f"arm {name}", str(exc))
    return SimulationError(f"arm {name}: {exc}")


def _run_here(name: str, sim: Simulation, progress: Progress | None,
              max_steps: int | None = None, between: Callable[[], None] | None = None) -> None:
    """Step arm ``name`` here; its errors say which arm (``between``'s are its own)."""
    steps = iter(sim.run(max_steps=max_steps) if max_steps is not None else run_bounded(sim))
    while True:
        try:
            next(steps)
        except StopIteration:
            return
        except (InputError, SimulationError) as exc:
            raise _in_arm(name, exc) from None
        if progress:
            progress(name, measured_done(sim), sim.now)
        if between:
            between()


def _arm_process(conn: Connection, sim: Simulation) -> None:
    """Child: step ``sim`` to the end, reporting progress; send the finished simulation."""
    try:
        last = 0.0
        for _ in run_bounded(sim):   # the bound and the overload rule, as in the parent
            now = time.monotonic()
            if now - last >= _PROGRESS_EVERY_S:
                conn.send(("progress", measured_done(sim), sim.now))
                last = now
        conn.send(("done", sim))
    except (InputError, SimulationError) as exc:  # the parent re-raises it as is (exit codes)
        conn.send(("error", _in_arm("B", exc)))
    except Exception as exc:  # anything else: reported by the parent as one clear error
        conn.send(("error", SimulationError(f"arm B failed: {type(exc).__name__}: {exc}")))
    finally:
        conn.close()


class _ChildArm:
    """Arm B stepping in a child process while the parent steps A."""

    def __init__(self, sim: Simulation, progress: Progress | None) -> None:
        ctx = get_context("spawn")
        self._conn, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_arm_process, args=(child, sim), daemon=True)
        self._proc.start()
        child.close()
        self._progress = progress
        self.result: Simulation | None = None

    def poll(self) -> None:
        """Handle the messages that are waiting (never blocks)."""
        while self.result is None and self._conn.poll():
            self._handle(self._recv())

    def wait(self) -> Simulation:
        while self.result is None:
            self._handle(self._recv())
        self._proc.join()
        return self.result

    def close(self) -> None:
        """End the child on every path (done, an error, Ctrl-C) and leave no process behind."""
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()
        self._conn.close()
        release_process_helpers()

    def _recv(self) -> tuple:
        try:
            return self._conn.recv()
        except EOFError:
            raise SimulationError(f"arm B's process ended unexpectedly "
                                  f"(exit code {self._proc.exitcode})") from None

    def _handle(self, msg: tuple) -> None:
        kind = msg[0]
        if kind == "progress":
            if self._progress:
                self._progress("B", msg[1], msg[2])
        elif kind == "done":
            self.result = msg[1]
        else:
            raise msg[1]


def run_ab(config: ScenarioConfig, out_dir: Path, fork_at: int | None = None,
           progress: Progress | None = None, workers: int | None = None,
           decisions: bool = False) -> dict[str, Any]:
    """Run both arms to completion, write DIR/A, DIR/B and DIR/ab.json; return ab.json's data.
    ``decisions``: each arm also writes its decisions.parquet (``fragscope diff DIR/A DIR/B``).

    ``workers``: None = the two arms in parallel when the process may use two cores; 1 =
    one after the other in this process."""
    if fork_at is not None and (isinstance(fork_at, bool) or not isinstance(fork_at, int) or fork_at < 0):
        raise InputError("--fork-at", f"must be a round number >= 0, got {fork_at!r}")
    a = Simulation(config, decisions=decisions)
    a.set_sharing(False)
    if fork_at is None:
        b = Simulation(config, decisions=decisions)
    else:
        _run_here("A", a, progress, max_steps=fork_at)
        b = a.clone()
    b.set_sharing(True)
    # Two arms are two processes whatever the machine's load: on a busy machine they
    # share its cores and still end no later than one after the other.
    parallel = (usable_cores() if workers is None else int(workers)) >= 2 and not b.done
    if parallel:
        child = _ChildArm(b, progress)
        try:
            _run_here("A", a, progress, between=child.poll)
            b = child.wait()
        finally:
            child.close()
    else:
        _run_here("A", a, progress)
        _run_here("B", b, progress)
    fa, fb = _arm_figures(a), _arm_figures(b)
    result = {"scenario": config.effective, "fork_at_round": fork_at, "A": fa, "B": fb,
              "delta": {k: _delta(fa[k], fb[k]) for k in ("avg_jct_s", "jobs_completed", "utilization",
                                                           "mean_frag_rate_pct", "mean_occupied_nodes")}}
    write_run_outputs(a, out_dir / "A")
    write_run_outputs(b, out_dir / "B")
    atomic_write(out_dir / "ab.json", to_json(result))
    return result
