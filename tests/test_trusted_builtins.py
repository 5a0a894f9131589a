"""Trusted built-ins take a shorter road through the placement framework, to the same place.

A built-in (``_trusted = True`` on its own class) gets a per-type TaskShape instead of a
per-decision TaskView, and its undocumented decisions (no record: ``place_fast`` and
``decide(explain=False)``) are written out in the Placer for speed.  These tests hold the
two roads together, and keep the shortcut away from a user's subclass of a built-in.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import tiny_trace
from fragscope.placement.cluster_state import ClusterState
from fragscope.placement.fragmentation import Task, TaskType, target_workload_from_pods, tasks_from_pods
from fragscope.placement.bestfit import BestFit
from fragscope.placement.contract import TaskShape, TaskView
from fragscope.placement.placer import Placer
from fragscope.placement.random import RandomFit
from fragscope.plugins import PluginError
from fragscope.model.alibaba import read_node_list, read_pod_list

BUILTINS = ("gavel", "random", "dotprod", "bestfit", "packing", "clustering", "fgd")


def _setup(tmp_path):
    n, p = tiny_trace(tmp_path)
    nodes, pods = read_node_list(n), read_pod_list(p)
    tasks = tasks_from_pods(pods)
    rank = np.random.default_rng(7).permutation(len(nodes))
    return nodes, pods, tasks, rank


def _placer(nodes, pods, placement, rank, seed=3):
    state = ClusterState(nodes, target_workload_from_pods(pods))
    return Placer(state, placement, rank, np.random.default_rng(seed))


def test_task_shape_is_the_task_views_type_fields():
    types = [TaskType(6000, 0, 0), TaskType(6000, 500, 0), TaskType(4000, 250, 1, "T4"),
             TaskType(12000, 1000, 1), TaskType(16000, 1000, 2, "G2|T4"), TaskType(8000, 1500, 1)]
    for t in types:
        view, shape = TaskView.of(Task(t, 777), 5), TaskShape.of(t)
        assert (view.num_gpus, view.gpu_milli, view.cpu_milli, view.allowed_models) == tuple(shape)
        assert TaskView.of(Task(t, 777), 5, shape) == view


@pytest.mark.parametrize("name", BUILTINS)
def test_unrecorded_decisions_equal_recorded_ones(tmp_path, name):
    """place_fast and decide(explain=False) (the written-out road) pick the node, GPUs and
    score that decide(explain=True) (the generic road: _winner, the checked-form calls)
    picks, on the same state, task after task until the cluster is full."""
    nodes, pods, tasks, rank = _setup(tmp_path)
    fast, quiet, recorded = (_placer(nodes, pods, name, rank) for _ in range(3))
    assert fast._trusted
    for i in range(3 * len(tasks)):
        task = tasks[(i * 13) % len(tasks)]
        d = recorded.place(task, True, i)
        q = quiet.place(task, False, i)
        assert fast.place_fast(task, i) == (d.node, d.gpus) == (q.node, q.gpus), f"task {i}"
        if name not in ("random", "fgd"):      # a draw has no score; FGD's score is its own
            assert q.score == d.score, f"task {i}"
    assert fast.state.idle_sum == recorded.state.idle_sum


def test_a_subclass_of_a_builtin_is_a_checked_plugin(tmp_path):
    """Trust is not inherited: an override of score() is what decides (not the built-in's
    shortcut), and its answers are checked like any plug-in's."""
    nodes, pods, tasks, rank = _setup(tmp_path)

    class MostFree(BestFit):
        def score(self, task, cluster, nodes):
            return -super().score(task, cluster, nodes)

    class Lazy(RandomFit):                      # inherits Random's private draw, must not use it
        def score(self, task, cluster, nodes):
            return np.zeros(len(nodes))

    class Broken(BestFit):
        def score(self, task, cluster, nodes):
            return np.full(len(nodes), np.nan)

    sub, base = _placer(nodes, pods, MostFree(), rank), _placer(nodes, pods, "bestfit", rank)
    assert not sub._trusted and base._trusted
    seen = []
    for i, task in enumerate(tasks[:30]):
        a, b = sub.decide(task, False, i), copy.deepcopy(base).decide(task, True, i)
        if a.node >= 0:
            expect = b.cand_nodes[np.flatnonzero(b.cand_scores == b.cand_scores.min())]
            assert a.node in expect.tolist(), f"task {i}"
            seen.append(a.node != b.node)
            sub.state.allocate(a.node, task, a.gpus)
            base.state.allocate(a.node, task, a.gpus)
    assert any(seen)                            # the override did change decisions
    lazy = _placer(nodes, pods, Lazy(), rank)
    first = int(np.argsort(rank)[np.flatnonzero(lazy.feasible(tasks[0])[np.argsort(rank)])[0]])
    assert lazy.place_fast(tasks[0], 0)[0] == first   # all tie: the run's node order, no draw
    with pytest.raises(PluginError, match="must be finite"):
        _placer(nodes, pods, Broken(), rank).place_fast(tasks[0], 0)
