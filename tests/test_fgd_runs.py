"""A run of identical tasks placed in one go lands exactly where the tasks placed one by one land.

Round mode hands FGD whole runs of identical demands (its ``place_many`` hook, ``Placer.place_many``,
``RoundPlacer.place_run``) and groups a round's new placements by GPU type
(``round_selection._identical_runs``).  Both are speed work that must change no output: these
tests compare them with the job-by-job road on random cluster states and on whole
round-mode runs.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import given, settings, strategies as st

from conftest import tiny_trace
from fragscope import Simulation
from fragscope.placement.cluster_state import ClusterState
from fragscope.placement.fragmentation import Task, TaskType, target_workload_from_pods, tasks_from_pods
from fragscope.placement.placer import Placer
from fragscope.placement.round import RoundPlacer
from fragscope.model.alibaba import read_node_list, read_pod_list

STATE_FIELDS = ("free_gpu", "free_cpu", "free_mem", "frag_int", "version", "n_full_free", "max_free", "idle",
                "partial", "touched", "classes", "n_classes")


def _filled_placer(tmp_path_factory, seed: int, scoring: str, memory_filter: bool) -> tuple[Placer, list[Task]]:
    n, p = tiny_trace(tmp_path_factory.mktemp("trace"))
    nodes, pods = read_node_list(n), read_pod_list(p)
    tasks = tasks_from_pods(pods)
    rng = np.random.default_rng(seed)
    placer = Placer(ClusterState(nodes, target_workload_from_pods(pods)), "fgd", rng.permutation(len(nodes)),
                    fgd_scoring=scoring, memory_filter=memory_filter)
    for i in rng.integers(0, len(tasks), size=int(rng.integers(0, 40))):   # a random partly full cluster
        placer.place_fast(tasks[int(i)])
    return placer, tasks


def _same_state(a: ClusterState, b: ClusterState) -> None:
    for name in STATE_FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert (a.frag_sum, a.idle_sum, a.partial_sum, a.occupied) == (b.frag_sum, b.idle_sum, b.partial_sum, b.occupied)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), pick=st.integers(0, 10**6), count=st.integers(2, 60),
       scoring=st.sampled_from(["integer", "exact"]), memory_filter=st.booleans(),
       memory_scale=st.sampled_from([0, 1, 8, 24]))
def test_a_run_lands_where_the_tasks_one_by_one_land(tmp_path_factory, seed, pick, count, scoring, memory_filter,
                                                     memory_scale):
    """Same (node, GPUs) in the same order, cut at the same first failure; the same state
    after; and the index's caches stay right (the next decisions agree too).  A task's
    memory is scaled so that the memory filter binds in some examples."""
    placer, tasks = _filled_placer(tmp_path_factory, seed, scoring, memory_filter)
    one_by_one = copy.deepcopy(placer)
    gpu_tasks = [t for t in tasks if t.type.shape != "cpu"]
    task = gpu_tasks[pick % len(gpu_tasks)]
    task = Task(task.type, task.memory_mib * memory_scale)
    got = placer.place_many(task, count)
    expect = []
    for _ in range(count):
        node, gpus = one_by_one.place_fast(task)
        if node < 0:
            break
        expect.append((node, tuple(gpus)))
    assert got == expect
    _same_state(placer.state, one_by_one.state)
    for i in range(12):                       # later decisions read the caches the run left
        other = tasks[(pick + 7 * i) % len(tasks)]
        assert placer.place_fast(other) == one_by_one.place_fast(other), f"task {i} after the run"


def test_a_run_that_runs_out_of_room_stops_at_the_first_failure(tmp_path_factory):
    placer, _ = _filled_placer(tmp_path_factory, 0, "integer", True)
    t = TaskType(0, 1000, 8, "")               # a whole 8-GPU task: only empty 8-GPU nodes
    room = int(((placer.state.gpu_count == 8) & (placer.state.n_full_free == 8)).sum())
    got = placer.place_many(Task(t, 0), room + 5)
    assert len(got) == room and len({node for node, _ in got}) == room


def _fork_like(sharing: bool) -> dict:
    return {"seed": 3, "round_seconds": 600,
            "cluster": {"servers": [{"model": "G2", "count": 12, "gpus": 8}, {"model": "T4", "count": 5, "gpus": 8},
                                    {"model": "P100", "count": 3, "gpus": 4}]},
            "workload": {"generate": {"lam": 0, "window": [0, 400], "mix": "alibaba-fork"}},
            "policy": "max_min_fairness_perf", "placement": "fgd", "sharing": sharing, "max_sim_time_s": 9000}


def _placements(scenario: dict, monkeypatch, batches: bool) -> list[dict]:
    with monkeypatch.context() as m:
        if not batches:
            m.setattr(RoundPlacer, "batches", property(lambda self: False))
        sim = Simulation.from_scenario(scenario)
        sim.explain = False
        out = []
        while not sim.done and sim.now < 9000:
            out.append(dict(sim.step().placements))
        return out


def test_round_mode_with_runs_places_every_round_as_job_by_job(monkeypatch):
    """A long queue on a small cluster, sharing on and off: with runs (and a round's jobs
    grouped by GPU type) every round's placements equal those of the job-by-job road."""
    for sharing in (False, True):
        scenario = _fork_like(sharing)
        with_runs, job_by_job = _placements(scenario, monkeypatch, True), _placements(scenario, monkeypatch, False)
        assert len(with_runs) > 10
        assert with_runs == job_by_job, f"sharing {sharing}"
