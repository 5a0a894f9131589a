"""Fragmentation F_n(M), the target workload M, and the six placement rules.

Golden values are those of ``fgd.md`` §1.4.  The spec gives the numbers but not the
35- and 31-type lists behind them, so the lists below are *constructed* to satisfy
exactly what the spec states about them:

* 35 types whose weights sum to 0.9506 and none of which can run on the 1080 node
  with 1 000 mCPU left (every type asks >= 2 000 mCPU, several also name other GPU
  models).  Then F_n(M) = U_n·0.9506, which gives 2566.62 / 3802.40 / 7604.80.
* 31 types summing to 1 with a CPU-only share of 0.0954, two 8-GPU types asking more
  than 64 cores (0.0048 + 0.0107), and everything else able to run on the empty
  8×P100 node without leaving a fragment; on the halved node the 4-GPU types asking
  more than 32 cores (0.0224 in total) and all 8-GPU types (0.0208) cannot run.

Pinned: the §1.2 arithmetic (classes, "all of U" vs "leftovers below g"), the weighted
sum, the non-renormalised denominator, CPU-only types, model constraints.  Not pinned:
the reference fixture's exact type list (not in the spec) — a different list with the
same weight structure gives the same numbers, as it must.
"""

from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fragscope import placement_names
from fragscope.model.alibaba import NodeList, read_node_list, read_pod_list
from fragscope.model.errors import InputError
from fragscope.placement.cluster_state import ClusterState
from fragscope.placement.fragmentation import (NO_ACCESS, Q1_LACK_BOTH, Q2_LACK_GPU, Q3_SATISFIED, Q4_LACK_CPU,
                                          XL_SATISFIED, XR_LACK_CPU, Task, TargetWorkload, TaskType,
                                          build_target_workload, frag_class, node_frag,
                                          target_workload_from_pods, task_frag)
from fragscope.placement.delta import fgd_score
from fragscope.placement.placer import Placer, place_once
from fragscope.placement.registry import canonical_name

from conftest import alibaba  # noqa: E402  (the packaged lists, by file stem)


# --------------------------------------------------------------------------- golden §1.4

def list_35() -> TargetWorkload:
    """35 types, weights summing to 9506/10000, none runnable with 1 000 mCPU left."""
    models = ["", "2080", "T4", "P100", "V100M16"]
    shapes = [(465, 1), (900, 1), (1000, 1), (1000, 2), (1000, 4), (1000, 8), (440, 1)]
    types = [TaskType(2000 + 1000 * i, *shapes[i % len(shapes)], models[i % len(models)])
             for i in range(35)]
    weights = [271] * 34 + [9506 - 271 * 34]
    return TargetWorkload.explicit(types, weights, denominator=10000)


def list_31() -> TargetWorkload:
    """31 types summing to 1; weight structure as described in the module docstring."""
    cpu_only = [(1000, 0, 0, 736), (12000, 0, 0, 165), (15000, 0, 0, 53)]          # 0.0954
    eight = [(64200, 1000, 8, 107), (120200, 1000, 8, 48), (64000, 1000, 8, 53)]    # 2 ask > 64 cores
    four_big = [(60200, 1000, 4, 123), (32200, 1000, 4, 101)]                        # > 32 cores: 0.0224
    filler_shapes = [(1000, 1), (1000, 2), (1000, 4), (80, 1), (500, 1)]
    filler = [(2000 + 1000 * i, *filler_shapes[i % 5], 374) for i in range(22)]
    filler.append((30000, 1000, 2, 10000 - 954 - 208 - 224 - 374 * 22))
    rows = cpu_only + eight + four_big + filler
    assert len(rows) == 31
    return TargetWorkload.explicit([TaskType(c, g, k) for c, g, k, _ in rows],
                                   [w for *_, w in rows], denominator=10000)


def test_golden_35_type_list():
    m = list_35()
    assert len(m.types) == 35 and sum(m.weights) == 9506
    assert node_frag(m, [200, 1000, 1000, 500], 1000, "1080") == pytest.approx(2566.62, abs=0.01)
    assert node_frag(m, [1000] * 4, 1000, "1080") == pytest.approx(3802.40, abs=0.01)
    assert node_frag(m, [1000] * 8, 1000, "1080") == pytest.approx(7604.80, abs=0.01)


def test_golden_single_type_lacking_cpu():
    t = TaskType(6000, 465, 1)
    m = TargetWorkload.explicit([t], [933], denominator=10000)
    assert frag_class(t, [200, 1000, 1000, 500], 1000, "1080") == Q4_LACK_CPU
    assert task_frag(t, [200, 1000, 1000, 500], 1000, "1080") == 2700
    assert node_frag(m, [200, 1000, 1000, 500], 1000, "1080") == pytest.approx(251.91, abs=0.01)


def test_golden_31_type_list_with_cpu_only_types():
    m = list_31()
    assert len(m.types) == 31 and sum(m.weights) == 10000
    assert m.cpu_only_share == pytest.approx(0.0954)
    assert node_frag(m, [1000] * 8, 64000, "P100") == pytest.approx(887.20, abs=0.01)
    assert node_frag(m, [1000] * 4 + [0] * 4, 32000, "P100") == pytest.approx(554.4, abs=0.01)
    assert node_frag(m, [1000] * 4 + [0] * 4, 0, "P100") == pytest.approx(4000, abs=0.01)


@pytest.mark.parametrize("workload,gpus,cpu,model", [
    (list_35, [200, 1000, 1000, 500], 1000, "1080"),
    (list_31, [1000] * 8, 64000, "P100"),
    (list_31, [1000] * 4 + [0] * 4, 32000, "P100"),
])
def test_compiled_model_matches_literal_on_golden_nodes(workload, gpus, cpu, model):
    m = workload()
    nodes = NodeList("t", ("a",), np.array([cpu]), np.array([10 ** 6]), np.array([len(gpus)]), (model,))
    state = ClusterState(nodes, m)
    state.free_gpu[0, :len(gpus)] = gpus
    got = state.frag.frag_int(state.free_gpu, state.free_cpu, state.model_id)[0] / m.denominator
    assert got == pytest.approx(node_frag(m, gpus, cpu, model), abs=1e-9)


# --------------------------------------------------------------------------- §1.2 table rows

FREE = [200, 1000, 0, 700]          # U = 1900


@pytest.mark.parametrize("task,cpu,model,cls,frag", [
    (TaskType(4000, 0, 0), 8000, "T4", XL_SATISFIED, 1900),        # CPU-only fits: all idle GPU
    (TaskType(9000, 0, 0), 8000, "T4", XR_LACK_CPU, 1900),         # CPU-only lacks CPU
    (TaskType(1000, 500, 1, "P100|V100M16"), 8000, "T4", NO_ACCESS, 1900),
    (TaskType(1000, 500, 1, "P100|T4"), 8000, "T4", Q3_SATISFIED, 200),    # 200 < 500 is fragment
    (TaskType(1000, 150, 1), 8000, "T4", Q3_SATISFIED, 0),         # every non-zero GPU usable
    (TaskType(1000, 1000, 1), 8000, "T4", Q3_SATISFIED, 900),      # whole GPU: partials are fragment
    (TaskType(9000, 500, 1), 8000, "T4", Q4_LACK_CPU, 1900),
    (TaskType(1000, 1000, 2), 8000, "T4", Q2_LACK_GPU, 1900),      # one fully free GPU only
    (TaskType(9000, 1000, 2), 8000, "T4", Q1_LACK_BOTH, 1900),
    (TaskType(1000, 800, 1), 8000, "T4", Q3_SATISFIED, 900),       # fully free GPU hosts 800 m
])
def test_task_frag_table_rows(task, cpu, model, cls, frag):
    assert frag_class(task, FREE, cpu, model) == cls
    assert task_frag(task, FREE, cpu, model) == frag


def test_model_list_never_matches_a_cpu_node():
    assert frag_class(TaskType(1000, 500, 1, "T4"), [], 8000, "") == NO_ACCESS
    assert TaskType(1000, 500, 1).allows("")


# --------------------------------------------------------------------------- M

def test_target_workload_default_trace():
    pods = read_pod_list(alibaba("openb_pod_list_default.csv"))
    m = target_workload_from_pods(pods)
    assert m.distinct_types == 91 and len(m.types) == 35
    assert round(100 * m.coverage, 2) == 95.26
    assert round(m.cpu_only_share, 3) == 0.136
    assert m.multi_gpu_share == 0
    assert m.denominator == sum(m.weights)
    assert m.types[0] == TaskType(3152, 810, 1) and round(m.probabilities[0], 4) == 0.1348
    assert m.types[5] == TaskType(12500, 0, 0) and round(m.probabilities[5], 4) == 0.0471
    assert float(m.probabilities.sum()) == pytest.approx(1.0)


def test_target_workload_rules_on_small_input():
    a, b, c, d = TaskType(1000, 500, 1), TaskType(2000, 500, 1), TaskType(2000, 0, 0), TaskType(500, 1000, 1)
    types = [a] * 5 + [b] * 5 + [c] * 3 + [d] * 1
    m = build_target_workload(types, threshold_pct=35)                    # 5/14 = 35.7 % >= 35
    assert m.types == (b,) and m.weights == (5,) and m.denominator == 5   # tie: larger cpu first
    m = build_target_workload(types, threshold_pct=50)
    assert m.types == (b, a) and m.denominator == 10
    m = build_target_workload(types, threshold_pct=95)
    assert m.types == (b, a, c, d) and m.denominator == 14
    m = build_target_workload(types, threshold_pct=90)                    # 13/14 = 92.9 % >= 90
    assert m.types == (b, a, c) and m.denominator == 13 and m.coverage == pytest.approx(13 / 14)
    m = build_target_workload(types, threshold_pct=95, include_cpu_only=False)
    assert c not in m.types and m.total_weight == 11
    m = build_target_workload(types, threshold_pct=100, gpu_res_weight=1)  # whole-GPU counts 1 + k
    assert dict(zip(m.types, m.weights))[d] == 2
    with pytest.raises(InputError):
        build_target_workload(types, threshold_pct=0)


# --------------------------------------------------------------------------- cluster state

def tiny_nodes(specs) -> NodeList:
    """specs: (cpu_milli, memory_mib, gpus, model) per node."""
    return NodeList("tiny", tuple(f"n{i}" for i in range(len(specs))),
                    np.array([s[0] for s in specs], np.int64), np.array([s[1] for s in specs], np.int64),
                    np.array([s[2] for s in specs], np.int64), tuple(s[3] for s in specs))


def small_m() -> TargetWorkload:
    types = [TaskType(4000, 500, 1), TaskType(8000, 1000, 1), TaskType(2000, 250, 1),
             TaskType(16000, 1000, 2), TaskType(6000, 0, 0), TaskType(4000, 700, 1, "T4")]
    return TargetWorkload.explicit(types, [30, 25, 20, 10, 10, 5])


def test_cluster_state_incremental_metrics_match_recomputation():
    nodes = tiny_nodes([(32000, 10 ** 6, 4, "T4"), (16000, 10 ** 6, 2, "P100"), (8000, 10 ** 6, 1, "T4")])
    m = small_m()
    state = ClusterState(nodes, m)
    state.allocate(0, Task(TaskType(4000, 500, 1)), (2,))
    state.allocate(0, Task(TaskType(4000, 300, 1)), (2,))
    state.allocate(1, Task(TaskType(8000, 1000, 2)), (0, 1))
    state.allocate(2, Task(TaskType(1000, 0, 0)), ())
    expect = sum(node_frag(m, list(state.free_gpu[n, :nodes.gpu_count[n]]), int(state.free_cpu[n]),
                           nodes.model[n]) for n in range(3))
    met = state.metrics()
    assert met.frag_milli == pytest.approx(expect)
    assert met.idle_gpu_milli == 3200 + 0 + 1000
    assert met.allocated_gpu_milli == 7000 - 4200
    assert met.occupied_nodes == 3 and met.partial_gpus == 1
    assert met.unalloc_gpu_pct == pytest.approx(60.0)
    assert met.frag_rate_pct == pytest.approx(100 * expect / 4200)
    with pytest.raises(ValueError):
        state.allocate(0, Task(TaskType(1000, 500, 1)), (2,))      # GPU 2 has only 200 free


# --------------------------------------------------------------------------- placement rules

def decide(placement, nodes, task, rank=None, prep=(), **kw):
    state = ClusterState(nodes, small_m())
    for n, t, g in prep:
        state.allocate(n, t, g)
    rank = np.arange(len(nodes)) if rank is None else np.asarray(rank)
    kw = {("fgd_scoring" if k == "fgd_mode" else k): v for k, v in kw.items()}
    return Placer(state, placement, rank, np.random.default_rng(kw.pop("seed", 0)), **kw).decide(task), state


def test_filters_model_cpu_memory_and_gpu():
    nodes = tiny_nodes([(32000, 1000, 8, "T4"), (32000, 64000, 8, "P100"), (2000, 64000, 8, "T4"),
                        (32000, 64000, 2, "T4")])
    prep = [(3, Task(TaskType(1000, 600, 1)), (0,)), (3, Task(TaskType(1000, 600, 1)), (1,))]
    for placement in placement_names():          # the framework filters, for every placement
        d, _ = decide(placement, nodes, Task(TaskType(4000, 500, 1, "T4"), memory_mib=2000), prep=prep)
        assert d.node == -1 and d.n_feasible == 0, placement          # memory, model, CPU, GPU all bite
        d, _ = decide(placement, nodes, Task(TaskType(4000, 500, 1, "T4"), memory_mib=2000), prep=prep,
                      memory_filter=False)
        assert d.node == 0, placement
        d, _ = decide(placement, nodes, Task(TaskType(1000, 1000, 1, "T4")), prep=prep)
        assert d.n_feasible == 2 and d.node in (0, 2), placement     # node 3 has no fully free GPU


def test_whole_gpu_tasks_take_lowest_index_free_gpus():
    nodes = tiny_nodes([(64000, 10 ** 6, 8, "G2")])
    prep = [(0, Task(TaskType(1000, 1000, 1)), (1,)), (0, Task(TaskType(1000, 500, 1)), (3,))]
    for placement in ("random", "bestfit", "fgd"):
        d, _ = decide(placement, nodes, Task(TaskType(8000, 1000, 4)), prep=prep)
        assert d.gpus == (0, 2, 4, 5), placement


def test_fractional_gpu_pick_best_fit_and_random():
    nodes = tiny_nodes([(64000, 10 ** 6, 4, "G2")])
    prep = [(0, Task(TaskType(1000, 400, 1)), (0,)), (0, Task(TaskType(1000, 700, 1)), (1,)),
            (0, Task(TaskType(1000, 700, 1)), (3,))]          # free: 600, 300, 1000, 300
    for placement in ("dotprod", "bestfit", "packing", "clustering"):
        d, _ = decide(placement, nodes, Task(TaskType(1000, 250, 1)), prep=prep)
        assert d.gpus == (1,), placement                         # least free that fits, lowest index
        d, _ = decide(placement, nodes, Task(TaskType(1000, 500, 1)), prep=prep)
        assert d.gpus == (0,), placement
    seen = {decide("random", nodes, Task(TaskType(1000, 250, 1)), prep=prep, seed=s)[0].gpus
            for s in range(40)}
    assert seen == {(0,), (1,), (2,), (3,)}


def test_random_picks_only_feasible_nodes_uniformly():
    nodes = tiny_nodes([(8000, 10 ** 6, 1, "T4")] * 3 + [(1000, 10 ** 6, 1, "T4")])
    picks = [decide("random", nodes, Task(TaskType(4000, 1000, 1)), seed=s)[0].node for s in range(300)]
    counts = np.bincount(picks, minlength=4)
    assert counts[3] == 0 and counts[:3].min() > 70


def test_dotprod_prefers_smallest_dot_product():
    nodes = tiny_nodes([(64000, 10 ** 6, 8, "G2"), (8000, 10 ** 6, 1, "G2")])
    d, _ = decide("dotprod", nodes, Task(TaskType(4000, 1000, 1)))
    assert d.node == 1 and d.score == 99
    assert dict(zip(d.cand_nodes.tolist(), d.cand_scores.tolist())) == {0: 92, 1: 99}


def test_bestfit_least_leftover_with_min_max_normalisation():
    nodes = tiny_nodes([(64000, 10 ** 6, 8, "G2"), (16000, 10 ** 6, 2, "G2"), (96000, 10 ** 6, 8, "G2")])
    d, _ = decide("bestfit", nodes, Task(TaskType(4000, 1000, 1)))
    assert d.node == 1
    assert d.cand_scores.tolist() == [17, 100, 0]             # raw 32/89/20 → (raw-20)*100//69


def test_packing_tiers():
    nodes = tiny_nodes([(64000, 10 ** 6, 8, "G2"), (64000, 10 ** 6, 8, "G2"), (64000, 10 ** 6, 2, "G2"),
                        (64000, 10 ** 6, 8, "G2")])
    prep = [(0, Task(TaskType(1000, 600, 1)), (2,)),            # node 0: a shared GPU with 400 free
            (1, Task(TaskType(1000, 1000, 1)), (0,))]           # node 1: used, whole GPUs free
    d, _ = decide("packing", nodes, Task(TaskType(1000, 300, 1)), prep=prep)
    assert d.node == 0 and d.gpus == (2,) and d.score == 100 - 4
    d, _ = decide("packing", nodes, Task(TaskType(1000, 1000, 2)), prep=prep)
    assert d.node == 0 and d.score == 48                        # used nodes: 50 - 2 (tie → order)
    scores = dict(zip(d.cand_nodes.tolist(), d.cand_scores.tolist()))
    assert scores == {0: 48, 1: 48, 2: 31, 3: 25}               # empty nodes: 33 - G
    d, _ = decide("packing", nodes, Task(TaskType(1000, 0, 0)), prep=prep, rank=[3, 2, 0, 1])
    assert d.node == 2 and d.score == 0                         # CPU-only: earliest in node order


def test_clustering_bands():
    nodes = tiny_nodes([(64000, 10 ** 6, 8, "G2")] * 4)
    prep = [(0, Task(TaskType(1000, 300, 1)), (0,)),            # only share-gpu
            (1, Task(TaskType(1000, 300, 1)), (0,)), (1, Task(TaskType(1000, 1000, 1)), (1,)),  # mixed
            (2, Task(TaskType(1000, 1000, 1)), (0,))]           # only 1-gpu
    d, _ = decide("clustering", nodes, Task(TaskType(1000, 200, 1)), prep=prep)
    scores = dict(zip(d.cand_nodes.tolist(), d.cand_scores.tolist()))
    assert scores == {0: 75 + 25 * 300 // 8000, 1: 50 + 25 * 1300 // 8000, 2: 0 + 25 * 1000 // 8000, 3: 25}
    assert d.node == 0
    d, _ = decide("clustering", nodes, Task(TaskType(1000, 1000, 1)), prep=prep)
    assert d.node == 2
    d, _ = decide("clustering", nodes, Task(TaskType(1000, 0, 0)), prep=prep, rank=[1, 2, 3, 0])
    assert d.node == 3


def brute_fgd(state: ClusterState, task: Task, rank, mode: str):
    """Literal FGD (§2.1–2.2) over node_frag, for cross-checking the cached vector code."""
    m = state.workload
    t = task.type
    best = None
    for n in range(state.n_nodes):
        g = int(state.gpu_count[n])
        free, cpu, model = list(state.free_gpu[n, :g]), int(state.free_cpu[n]), state.nodes.model[n]
        if cpu < t.cpu_milli or state.free_mem[n] < task.memory_mib:
            continue
        if t.shape != "cpu" and not t.allows(model):
            continue
        before = node_frag(m, free, cpu, model)
        options = []
        if t.shape == "fractional":
            for i in range(g):
                if free[i] >= t.gpu_milli:
                    after = free.copy()
                    after[i] -= t.gpu_milli
                    options.append((i, node_frag(m, after, cpu - t.cpu_milli, model) - before))
        else:
            after = free.copy()
            for i in [i for i in range(g) if free[i] == 1000][:t.num_gpu]:
                after[i] = 0
            if t.shape == "whole" and sum(1 for v in free if v == 1000) < t.num_gpu:
                continue
            options.append((-1, node_frag(m, after, cpu - t.cpu_milli, model) - before))
        if not options:
            continue
        val = (lambda dl: int(fgd_score(round(dl * m.denominator), m.denominator))) if mode == "score" \
            else (lambda dl: -round(dl * m.denominator))
        top = max(val(dl) for _, dl in options)
        gpu = min(i for i, dl in options if val(dl) == top)
        key = (top, -rank[n])
        if best is None or key > best[0]:
            best = (key, n, gpu)
    return (best[1], best[2]) if best else (-1, -1)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10 ** 6), mode=st.sampled_from(["score", "exact"]),
       scalar_limit=st.sampled_from([0, 24]))
def test_fgd_matches_brute_force_over_a_run(seed, mode, scalar_limit):
    # scalar_limit 0 forces the vectorised re-score, 24 the plain-Python one
    from unittest import mock
    with mock.patch("fragscope.placement.fgd.index.SCALAR_LIMIT", scalar_limit):
        _fgd_brute_force_run(seed, mode)


def _fgd_brute_force_run(seed, mode):
    rng = np.random.default_rng(seed)
    specs = [(int(rng.choice([8000, 32000, 64000])), 10 ** 6, int(rng.choice([1, 2, 4, 8])),
              str(rng.choice(["T4", "G2"]))) for _ in range(7)]
    nodes = tiny_nodes(specs)
    state = ClusterState(nodes, small_m())
    rank = rng.permutation(len(specs))
    placer = Placer(state, "fgd", rank, np.random.default_rng(1), fgd_scoring=mode)
    pool = [TaskType(4000, 500, 1), TaskType(8000, 1000, 1), TaskType(2000, 250, 1), TaskType(3000, 130, 1),
            TaskType(16000, 1000, 2), TaskType(6000, 0, 0), TaskType(4000, 700, 1, "T4")]
    for _ in range(40):
        task = Task(pool[int(rng.integers(len(pool)))])
        want_node, want_gpu = brute_fgd(state, task, rank, mode)
        d = placer.decide(task)
        assert d.node == want_node
        if d.node < 0:
            continue
        if task.type.shape == "fractional":
            assert d.gpus == (want_gpu,)
        state.allocate(d.node, task, d.gpus)


def test_fgd_score_ties_go_to_node_order_and_exact_mode_separates_them():
    nodes = tiny_nodes([(64000, 10 ** 6, 8, "G2"), (64000, 10 ** 6, 8, "G2")])
    prep = [(0, Task(TaskType(1000, 420, 1)), (0,)), (1, Task(TaskType(1000, 460, 1)), (0,))]
    task = Task(TaskType(4000, 500, 1))
    d, state = decide("fgd", nodes, task, prep=prep, rank=[0, 1])
    dl = dict(zip(d.cand_nodes.tolist(), d.cand_deltas.tolist()))
    sc = dict(zip(d.cand_nodes.tolist(), d.cand_scores.tolist()))
    assert dl == {0: -210.0, 1: -230.0} and sc == {0: 55, 1: 55}  # Δ differ, integer scores tie
    assert d.node == 0 and "2 nodes tied" in d.rule              # tie → earliest in node order
    de, _ = decide("fgd", nodes, task, prep=prep, rank=[0, 1], fgd_mode="exact")
    assert de.node == 1 and de.delta == -230.0                  # exact Δ separates them


def test_fgd_prefers_the_placement_that_keeps_gpus_usable():
    # node 0 has a GPU with 520 free: a 500 m task there leaves a useless 20 m sliver but
    # keeps the fully free GPUs intact, which M (mostly whole-GPU and 500 m types) values.
    nodes = tiny_nodes([(64000, 10 ** 6, 2, "G2"), (64000, 10 ** 6, 2, "G2")])
    prep = [(0, Task(TaskType(1000, 480, 1)), (1,))]
    d, _ = decide("fgd", nodes, Task(TaskType(4000, 500, 1)), prep=prep, rank=[1, 0])
    assert (d.node, d.gpus) == (0, (1,))
    assert d.delta < 0 and d.cand_deltas.min() == pytest.approx(d.delta)


def test_fgd_takes_lowest_gpu_index_among_equal_best_scores():
    nodes = tiny_nodes([(64000, 10 ** 6, 4, "G2")])
    prep = [(0, Task(TaskType(1000, 400, 1)), (1,)), (0, Task(TaskType(1000, 400, 1)), (3,))]
    d, _ = decide("fgd", nodes, Task(TaskType(2000, 550, 1)), prep=prep)   # free 1000, 600, 1000, 600
    assert d.gpus == (1,)                  # the 600-free GPUs beat the fully free ones; 1 before 3
    d, _ = decide("fgd", nodes, Task(TaskType(2000, 700, 1)), prep=prep)
    assert d.gpus == (0,)                  # only fully free GPUs fit: lowest index


def test_place_once_explains_and_unknown_placement_is_input_error():
    nodes = tiny_nodes([(64000, 10 ** 6, 8, "G2")])
    d = place_once(ClusterState(nodes, small_m()), "FGD", Task(TaskType(1000, 1000, 1)))
    assert d.placed and d.rule.startswith("highest FGD score") and d.cand_nodes.tolist() == [0]
    assert canonical_name("GpuPacking") == "packing" and canonical_name("best-fit") == "bestfit"
    with pytest.raises(InputError, match="registered: bestfit, clustering, dotprod, fgd, gavel, packing, random"):
        canonical_name("worstfit")


# --------------------------------------------------------------------------- readers

def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_reader_validation_errors_name_file_and_line(tmp_path):
    p = write(tmp_path, "n.csv", "sn,cpu_milli,memory_mib,gpu\nx,1,1,1\n")
    with pytest.raises(InputError, match="missing column"):
        read_node_list(p)
    p = write(tmp_path, "n.csv", "sn,cpu_milli,memory_mib,gpu,model\nx,1,1,1,T4\ny,abc,1,1,T4\n")
    with pytest.raises(InputError) as e:
        read_node_list(p)
    assert e.value.source.endswith("n.csv:3") and "cpu_milli" in e.value.message
    head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
    with pytest.raises(InputError, match="fractional requests"):
        read_pod_list(write(tmp_path, "p.csv", head + "a,1000,1,2,500\n"))
    with pytest.raises(InputError, match="gpu_milli is 0"):
        read_pod_list(write(tmp_path, "p.csv", head + "a,1000,1,1,0\n"))
    with pytest.raises(InputError, match="already used"):
        read_pod_list(write(tmp_path, "p.csv", head + "a,1000,1,1,10\na,1000,1,1,10\n"))
    with pytest.raises(InputError, match="not found"):
        read_pod_list(tmp_path / "missing.csv")


def test_reader_normalises_like_the_converter(tmp_path):
    text = ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
            "deletion_time,scheduled_time\n"
            "a,1000,10,1,1500,V100M16||V100M32,LS,Running,0,5,\n"
            "b,2000.0,10,0,300,T4,BE,Pending,1,2,1\n")
    pods = read_pod_list(write(tmp_path, "p.csv", text))
    assert pods.gpu_milli.tolist() == [1000, 0] and pods.num_gpu.tolist() == [1, 0]
    assert pods.gpu_spec == ("V100M16|V100M32", "") and pods.cpu_milli.tolist() == [1000, 2000]
    assert pods.scheduled_time.tolist() == [-1, 1]
    five = read_pod_list(alibaba("openb_pod_list_multigpu20.csv"))
    assert five.qos is None and len(five) == 8324 and set(five.gpu_spec) == {""}
    nodes = read_node_list(alibaba("openb_node_list_gpu_node.csv"))
    assert len(nodes) == 1213 and nodes.total_gpus == 6212


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10 ** 6))
def test_scalar_frag_equals_vectorised_frag(seed):
    rng = np.random.default_rng(seed)
    nodes = tiny_nodes([(32000, 10 ** 6, 8, "T4"), (16000, 10 ** 6, 8, "G2")])
    fm = ClusterState(nodes, small_m()).frag
    for _ in range(30):
        k = int(rng.integers(1, 9))
        row = [int(v) for v in rng.choice([0, 130, 250, 300, 500, 700, 870, 1000], size=k)] + [0] * (8 - k)
        cpu, model = int(rng.integers(0, 40000)), int(rng.integers(0, 2))
        want = int(fm.frag_int(np.array([row]), np.array([cpu]), np.array([model]))[0])
        assert fm.frag_one(row, cpu, model) == want
