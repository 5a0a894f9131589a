"""The array mirror of the per-job dicts (state.JobArrays): kept up to date round by
round, it holds what a rebuild from the dicts would, and copies and pickles rebuild it."""

from __future__ import annotations

import copy
import pickle

import numpy as np

from fragscope import Simulation, load_scenario
from fragscope.core.state import JobArrays

SCENARIO = {"seed": 1, "round_seconds": 600,
            "cluster": {"servers": [{"model": "G2", "count": 4, "gpus": 8},
                                    {"model": "T4", "count": 4, "gpus": 2}]},
            "workload": {"generate": {"lam": 600, "window": [0, 60], "mix": "alibaba-fork"}},
            "policy": "max_min_fairness_perf", "placement": "fgd", "sharing": True}


def _same(a: JobArrays, b: JobArrays) -> None:
    assert a.ids == b.ids and a.id_array.tolist() == b.id_array.tolist()
    for name in ("tput", "received", "deficit", "alloc", "has"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_mirror_matches_a_rebuild_every_round():
    sim = Simulation(load_scenario(SCENARIO), explain=False)
    s, types = sim.state, tuple(sim.mech.worker_types)
    for k in range(80):
        sim.step()
        if k == 40:
            sim.set_sharing(False)  # a mode change refits throughputs
        kept = s.arrays(types)
        fresh = JobArrays(types)
        fresh.sync(s)
        _same(kept, fresh)


def test_copies_and_pickles_leave_the_mirror_behind():
    sim = Simulation(load_scenario(SCENARIO), explain=False)
    for _ in range(20):
        sim.step()
    assert sim.state.job_arrays is not None
    assert copy.deepcopy(sim.state).job_arrays is None
    assert pickle.loads(pickle.dumps(sim.state)).job_arrays is None
    assert sim.state.job_arrays is not None
