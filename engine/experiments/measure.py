"""Honest steady-state measurement: a simulated-time cap and window-only figures.

Two mistakes of the Gavel fork (sharing.md §6) are avoided here:

* **Truncated JCTs.** A run stopped by a time cap before its measured jobs are done
  has no average JCT — the jobs still running are exactly the slow ones.  Such a run
  is *capped*: :func:`run_capped` stops it at ``max_sim_time_s`` and
  :func:`fragscope.core.results.summary` reports ``capped: true`` and no average JCT; it
  is also *saturated* only when the backlog monitor says the queue keeps growing.
* **Warm-up and drain in the averages.** :func:`window_figures` averages the
  per-round figures over the measurement window only — from the arrival of the
  first measured job to the end of the run — weighting each round by how long it
  lasted (rounds differ in length), not over every round from t = 0.

The cap is applied by the driver (stepping while ``sim.now < cap``), so the engine's
step loop — and every uncapped run — is unchanged.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from ..core.backlog import BacklogMonitor, BacklogStatus
from ..core.report import RoundReport
from ..core.results import is_capped, is_saturated, measured_job_ids
from ..core.simulation import Simulation

# Per-round figures averaged over the window (round mode adds these FragFigures fields).
_FRAG_FIELDS = ("frag_rate_pct", "frag_over_total_pct", "unalloc_gpu_pct", "occupied_nodes",
                "partial_gpus")


def run_bounded(sim: Simulation) -> Iterator[tuple[RoundReport, BacklogStatus]]:
    """Step until the run is done, reaches its simulated-time bound, or is hopelessly
    overloaded (:mod:`fragscope.core.backlog`), yielding each round's report and the
    backlog status.  A run ended early is marked saturated (with the reason).

    With an explicit ``max_sim_time_s`` the run goes to that cap, as it always did (an
    overload is still reported) unless the scenario sets ``end_when_overloaded: true``
    (then it ends once the measured jobs cannot finish before the cap); without one, the
    default bound applies and a hopeless overload ends the run at once."""
    monitor = BacklogMonitor(sim, measured_job_ids(sim))
    explicit = sim.config.max_sim_time is not None
    end_early = sim.config.end_when_overloaded
    if end_early is None:
        end_early = not explicit
    status = monitor.status
    while not sim.done and sim.now < monitor.bound:
        report = sim.step()
        status = monitor.observe(sim)
        yield report, status
        if status.hopeless and end_early:
            sim.mark_saturated(status.reason, status.growth_per_h)
            return
    if not sim.done:   # stopped by the bound: capped; saturated only if the backlog grows
        if status.overloaded:
            sim.mark_saturated(f"overloaded: the queue grows by {status.growth_per_h:.0f} jobs/h "
                               "when the run reaches its bound", status.growth_per_h)
        if not explicit:
            sim.mark_capped(f"reached the default simulated-time bound of {monitor.bound:.0f} s "
                            "(set max_sim_time_s to choose another)")


def run_capped(sim: Simulation, on_step: Callable[[RoundReport], None] | None = None,
               on_status: Callable[[BacklogStatus], None] | None = None,
               until: "Callable[[RoundReport, BacklogStatus], bool] | None" = None,
               until_text: str = "") -> bool:
    """:func:`run_bounded` to its end, calling ``on_step`` with each report (and
    ``on_status`` with the backlog status).  ``until``: asked after every round; when it
    says True the run stops there (``summary.json`` ``stopped_at``: the round and
    ``until_text``).  Returns True when the run ended without its measured jobs all done
    (saturated, capped or stopped: no average JCT)."""
    for report, status in run_bounded(sim):
        if on_status is not None:
            on_status(status)
        if on_step is not None:
            on_step(report)
        if until is not None and until(report, status):
            sim.mark_stopped(report.index, until_text)
            break
    return is_saturated(sim) or is_capped(sim)


def window_figures(sim: Simulation) -> dict[str, Any]:
    """Figures over the measurement window only (time-weighted over its rounds).

    ``window_utilization`` is the share of GPUs busy, ``window_busy_milli_pct`` the
    share of milli-GPU capacity busy; round-mode runs add the fragmentation figures
    (``window_frag_rate_pct``, ``window_unalloc_gpu_pct``, ...).  JCT figures are over
    the measured jobs and are None when the run is saturated or capped (never truncated).
    ``window_slowdown_mean`` is the mean of JCT / the job's run time at full speed on
    its reference GPU (heavy-tailed durations make the mean JCT noisy; slowdown is
    what queueing adds).
    """
    total = sim.mech.cluster.num_gpus
    start = sim.window_start_time
    saturated, capped = is_saturated(sim), is_capped(sim)
    unfinished = saturated or capped
    ids = measured_job_ids(sim)
    jct = sim.finished_jcts()
    jcts = [jct[j] for j in ids if jct.get(j) is not None]
    durations = {job.job_id: job.duration for job in sim.arrived_jobs()}
    slow = [jct[j] / durations[j] for j in ids
            if jct.get(j) is not None and durations.get(j)]
    out: dict[str, Any] = {
        "saturated": saturated,
        "capped": capped,
        "jobs_in_window": len(ids),
        "jobs_measured_done": len(jcts),
        "window_jct_median_s": float(np.median(jcts)) if jcts and not unfinished else None,
        "window_jct_p95_s": float(np.percentile(jcts, 95)) if jcts and not unfinished else None,
        "window_slowdown_mean": float(np.mean(slow)) if slow and not unfinished else None,
    }
    rounds = sim.rounds()
    if start is None or not rounds or total == 0:
        return out | {"window_utilization": None, "window_busy_milli_pct": None}
    times = np.array([r.time for r in rounds] + [sim.now], dtype=np.float64)
    length = np.diff(times)
    # Clip each round to [start, end]: a round that began before the window counts
    # only for its part inside it.
    begin = np.maximum(times[:-1], start)
    weight = np.clip(times[1:] - begin, 0.0, None)
    weight[length <= 0] = 0.0
    span = float(weight.sum())
    if span <= 0:
        return out | {"window_utilization": None, "window_busy_milli_pct": None}

    def mean(values: list[float]) -> float:
        return float(np.dot(np.asarray(values, dtype=np.float64), weight) / span)

    out["window_utilization"] = mean([r.busy_gpus / total for r in rounds])
    out["window_busy_milli_pct"] = mean([100.0 * r.busy_milli / (1000 * total) for r in rounds])
    out["window_queued_mean"] = mean([r.queued for r in rounds])
    if all(r.frag is not None for r in rounds):
        for key in _FRAG_FIELDS:
            out[f"window_{key}"] = mean([getattr(r.frag, key) for r in rounds])
    return out
