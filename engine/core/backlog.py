"""Overload is detected, not waited out: a backlog that keeps growing, and a default bound.

Under max-min fairness an overloaded cluster never says so: the queue grows, every job's
share shrinks, and the measured jobs slow down until they effectively never finish (the
40-GPU case of issue 12 grew by ~1 300 jobs a simulated week).  A user cannot tell such
a run from a slow one.  So drivers (``fragscope run``/``ab``/``sweep`` and the app) feed a
:class:`BacklogMonitor` after every round, through the public API only:

* **queue growth** — the least-squares slope of the active-job count over the last
  ``horizon`` of simulated time (jobs/h);
* **overloaded** — the count grew by at least a quarter (and 10 jobs) over a full
  horizon and the slope is positive;
* **hopeless** — overloaded, and at the measured jobs' progress rate over the last
  horizon some measured job would not finish before the run's bound (or made no
  progress at all).  A driver ends such a run *saturated*: no average JCT, the reason
  and the growth rate in ``summary.json``.

Every run also has a simulated-time **bound** (:func:`default_bound`): the scenario's
``max_sim_time_s`` if set, else 50 × the arrival time of the last measured job, at least
90 simulated days — far beyond any run that finishes (Gavel's static 100-job runs take
12 days), so such runs never reach it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .simulation import Simulation

DAY = 86400.0
MIN_BOUND_S = 90 * DAY
BOUND_FACTOR = 50
HORIZON_MIN_S = 2 * DAY
HORIZON_ROUNDS = 100


def default_bound(sim: "Simulation") -> float:
    """The run's simulated-time bound: ``max_sim_time_s``, else 50 × the last measured
    job's (expected) arrival time, at least 90 days."""
    cfg = sim.config
    if cfg.max_sim_time is not None:
        return float(cfg.max_sim_time)
    wl = cfg.workload
    jobs = getattr(wl, "jobs", None)
    if jobs is not None:                       # a trace or a replay: its last measured arrival
        lo, hi = wl.window if wl.window is not None else (0, len(jobs))
        span = max((j.arrival_time for j in jobs[lo:hi]), default=0.0)
    else:                                      # Gavel's generator: the window's end × mean gap
        span = wl.window[1] * wl.config.lam
    return max(MIN_BOUND_S, BOUND_FACTOR * float(span))


@dataclass(frozen=True)
class BacklogStatus:
    """What the monitor concludes after a round."""

    growth_per_h: float        # active jobs per simulated hour, over the last horizon
    overloaded: bool
    hopeless: bool             # overloaded and the measured jobs cannot finish before the bound
    reason: str                # one line for the progress line, the header and summary.json

    @property
    def label(self) -> str:
        return f"overloaded: queue {self.growth_per_h:+.0f} jobs/h" if self.overloaded else ""


class BacklogMonitor:
    """Watches one simulation's queue and its measured jobs' progress, round by round."""

    def __init__(self, sim: "Simulation", measured: list[int]) -> None:
        self.bound = default_bound(sim)
        self.horizon = max(HORIZON_MIN_S, HORIZON_ROUNDS * sim.config.round_seconds)
        self.measured = set(measured)
        self._samples: deque[tuple[float, int]] = deque()
        self._mark: tuple[float, dict[int, float]] | None = None     # measured progress a horizon ago
        self.status = BacklogStatus(0.0, False, False, "")

    def observe(self, sim: "Simulation") -> BacklogStatus:
        now = float(sim.now)
        active = sim.active_job_ids()
        self._samples.append((now, len(active)))
        while self._samples and self._samples[0][0] < now - self.horizon:
            self._samples.popleft()
        t = np.array([s[0] for s in self._samples])
        n = np.array([s[1] for s in self._samples], float)
        covered = len(t) >= 3 and t[-1] - t[0] >= 0.9 * self.horizon
        slope = float(np.polyfit(t, n, 1)[0] * 3600) if len(t) >= 3 and np.ptp(t) > 0 else 0.0
        overloaded = covered and slope > 0 and n[-1] >= 1.25 * n[0] + 10
        hopeless = False
        if overloaded:
            hopeless = self._hopeless(sim, now)
        elif not covered:
            self._mark = None
        reason = ""
        if hopeless:
            reason = (f"overloaded: the queue grows by {slope:.0f} jobs/h and the measured jobs would "
                      f"not finish before the bound ({self.bound:.0f} s simulated)")
        self.status = BacklogStatus(slope, overloaded, hopeless, reason)
        return self.status

    def _hopeless(self, sim: "Simulation", now: float) -> bool:
        """At their progress rate over the last horizon, some unfinished measured job would
        not finish before the bound."""
        progress = sim.job_progress(self.measured)
        if not progress:
            return False
        if self._mark is None or now - self._mark[0] < self.horizon:
            if self._mark is None:
                self._mark = (now, {j: p[0] for j, p in progress.items()})
            return False
        t0, before = self._mark
        self._mark = (now, {j: p[0] for j, p in progress.items()})
        for j, (steps, total) in progress.items():
            rate = (steps - before.get(j, 0.0)) / (now - t0)
            if rate <= 0 or now + (total - steps) / rate > self.bound:
                return True
        return False
