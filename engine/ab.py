"""A/B in round mode: the same scenario with GPU sharing off (A) and on (B).

Either both arms start from the scenario and the same seed, or one running
simulation is forked at a round and the fork flips sharing (what the UI's ``s``
key does).  Figures per arm are over the measured jobs; mean fragmentation and
occupancy are averaged over the rounds from the window's start to the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from .atomic import atomic_write
from .results import summary, to_json, write_run_outputs
from .scenario import ScenarioConfig
from .simulation import Simulation


def _arm_figures(sim: Simulation) -> dict[str, Any]:
    summ = summary(sim)
    start = sim.state.window_start_time or 0.0
    rows = [r for r in sim.state.rounds if r.time >= start and r.frag is not None]
    frag_rate = float(np.mean([r.frag[1] for r in rows])) if rows else None
    occupied = float(np.mean([r.frag[4] for r in rows])) if rows else None
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


def run_ab(config: ScenarioConfig, out_dir: Path, fork_at: int | None = None,
           on_step: Callable[[str, Simulation], None] | None = None) -> dict[str, Any]:
    """Run both arms to completion, write DIR/A, DIR/B and DIR/ab.json; return ab.json's data."""
    if fork_at is None:
        a, b = Simulation(config, explain=False), Simulation(config, explain=False)
        a.set_sharing(False)
        b.set_sharing(True)
    else:
        a = Simulation(config, explain=False)
        a.set_sharing(False)
        for _ in a.run(max_steps=fork_at):
            if on_step:
                on_step("A", a)
        b = a.clone()
        b.set_sharing(True)
    for name, sim in (("A", a), ("B", b)):
        for _ in sim.run():
            if on_step:
                on_step(name, sim)
    fa, fb = _arm_figures(a), _arm_figures(b)
    result = {"scenario": config.effective, "fork_at_round": fork_at, "A": fa, "B": fb,
              "delta": {k: _delta(fa[k], fb[k]) for k in ("avg_jct_s", "jobs_completed", "utilization",
                                                           "mean_frag_rate_pct", "mean_occupied_nodes")}}
    write_run_outputs(a, out_dir / "A")
    write_run_outputs(b, out_dir / "B")
    atomic_write(out_dir / "ab.json", to_json(result))
    return result
