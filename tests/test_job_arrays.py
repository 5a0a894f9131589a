"""The array mirror of the per-job dicts (state.JobArrays): kept up to date round by
round, it holds what a rebuild from the dicts would, and copies and pickles rebuild it."""

from __future__ import annotations

import copy
import dataclasses
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
    for name in ("tput", "received", "deficit", "alloc", "has", "total_steps", "steps_run", "scale", "gpu_milli"):
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


def test_priorities_written_when_read_equal_priorities_written_each_round():
    """The round keeps its priorities as rows (SimState.priority_rows) and writes them
    into the per-type dicts only when read: reading them late — after jobs arrived and
    left — gives the dicts writing them every round gave (arrivals at 0.0, departures
    gone, arrival order), also through a copy and a pickle."""
    lazy = Simulation(load_scenario(SCENARIO), explain=False)
    eager = Simulation(load_scenario(SCENARIO), explain=False)
    seen_pending = 0
    for k in range(60):
        lazy.step()
        eager.step()
        eager.state.priority_dicts()         # written right after each round
        seen_pending += lazy.state.priority_rows is not None
        if k % 7 == 3:
            s = lazy.state
            copied = copy.deepcopy(s).priority_dicts()
            pickled = pickle.loads(pickle.dumps(s)).priority_dicts()
            got = s.priority_dicts()
            want = eager.state.priority_dicts()
            assert got == want and copied == want and pickled == want
            for w in got:
                assert list(got[w]) == list(s.jobs)
            assert any(v != 0.0 for row in got.values() for v in row.values())
    assert seen_pending > 40
    assert lazy.state.assignments == eager.state.assignments
    # between rounds (a step adds and removes jobs before its priorities are computed,
    # so do it by hand here): a job leaves, another arrives, then the dicts are read
    lazy.step()
    eager.step()
    eager.state.priority_dicts()
    assert lazy.state.priority_rows is not None
    for sim in (lazy, eager):
        s = sim.state
        gone, last = next(iter(s.jobs)), s.jobs[max(s.jobs)]
        sim._remove_job(gone)
        sim._add_job(dataclasses.replace(last, job_id=last.job_id + 1000), s.now)
    got, want = lazy.state.priority_dicts(), eager.state.priority_dicts()
    assert got == want
    assert all(list(row) == list(lazy.state.jobs) and row[last.job_id + 1000] == 0.0
               for row in got.values())


def test_rows_of_finds_each_jobs_row_in_either_order():
    """Rows are found by a binary search while ids increase (arrival = ID order) and
    through the row dict otherwise; both give each job's row, -1 for a job without one."""
    sim = Simulation(load_scenario(SCENARIO), explain=False)
    for _ in range(15):
        sim.step()
    s, types = sim.state, tuple(sim.mech.worker_types)
    arrays = s.arrays(types)
    assert arrays.ascending
    ids = list(s.jobs)
    probe = ids[::-1] + [10**9]
    assert arrays.rows_of(probe).tolist() == [ids.index(j) for j in ids[::-1]] + [-1]
    s.jobs = dict(reversed(list(s.jobs.items())))     # not in increasing order
    shuffled = JobArrays(types)
    shuffled.sync(s)
    assert not shuffled.ascending
    order = list(s.jobs)
    assert shuffled.rows_of(probe).tolist() == [order.index(j) for j in ids[::-1]] + [-1]
