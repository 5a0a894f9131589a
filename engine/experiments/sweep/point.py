"""One point of a sweep: run it headless and hand back its row and its files' contents.

:func:`run_point` is what every backend executes, in a pool process or a Ray worker,
so it must stay a top-level function of an importable module (both pickle it by its
module path) and must return the files' contents, never write them: only the driver writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from ...model.errors import InputError, SimulationError
from .results import SUMMARY_COLUMNS

#: A row's ``status``: finished; saturated (the backlog keeps growing: more load than the
#: cluster serves); capped (a simulated-time bound stopped it, the backlog not growing);
#: or failed.
STATUSES = ("ok", "saturated", "capped", "error")
#: The statuses of a run whose measured jobs are not all done: no average JCT.
NO_AVERAGE = ("saturated", "capped")


@dataclass(frozen=True)
class PointResult:
    """What a worker sends back: the row and the run files' texts (none on error)."""

    row: dict[str, Any]
    files: dict[str, str | bytes]   # text files, and decisions.parquet's bytes when asked


def run_point(base: str, overrides: Sequence[str], decisions: bool = False) -> PointResult:
    """Run one point headless, exactly as ``fragscope run`` would (plus the scenario's
    ``max_sim_time_s`` cap); ``decisions``: also its decisions.parquet.  Never raises for
    a bad point: the error becomes the row's ``status``/``error`` so one bad point cannot
    stop a sweep."""
    from ..measure import run_capped, window_figures
    from ...core.results import plugin_identities, run_output_files
    from ...core.scenario import load_scenario
    from ...core.simulation import Simulation

    t0 = time.perf_counter()
    row: dict[str, Any] = {}
    files: dict[str, str | bytes] = {}
    try:
        sim = Simulation(load_scenario(base, list(overrides)), decisions=decisions)
        row["plugins"] = plugin_identities(sim.config.mode)   # (a resumed sweep re-runs the point when they change)
        run_capped(sim)
        summ, files = run_output_files(sim)
        row.update({k: summ.get(k, 0 if k == "jobs_rejected" else None) for k in SUMMARY_COLUMNS})
        row.update(window_figures(sim))
        row["status"] = "saturated" if row["saturated"] else "capped" if row["capped"] else "ok"
        row["error"] = None
    except (InputError, SimulationError) as exc:
        row.update({"status": "error", "error": f"{type(exc).__name__}: {exc}"})
        files = {}
    except Exception as exc:  # a bug must not take the other points down
        row.update({"status": "error", "error": f"{type(exc).__name__}: {exc}"})
        files = {}
    row["wall_s"] = time.perf_counter() - t0
    return PointResult(row, files)
