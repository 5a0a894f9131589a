"""One road through the placement framework, and its optional fast hook ``place_many``.

Every placement — the built-ins included — gets the same TaskView and ClusterView and has
every answer checked.  A placement may implement ``place_many(task, cluster, count)`` to
answer whole decisions (filters included) for the decisions nobody records; these tests
hold the hook's answers to the road's (score → tie rule → GPU pick), show that a user's
hook is used and checked like any other method, that a bad answer is a clear contract
error that binds nothing, and that an inherited hook never answers for an overridden
``score``.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import tiny_trace
from fragscope import placement_names
from fragscope.model.alibaba import read_node_list, read_pod_list
from fragscope.placement.bestfit import BestFit
from fragscope.placement.cluster_state import ClusterState
from fragscope.placement.contract import TaskView, type_fields, allowed_models
from fragscope.placement.fgd import FGD
from fragscope.placement.fragmentation import Task, TaskType, target_workload_from_pods, tasks_from_pods
from fragscope.placement.placer import Placer
from fragscope.placement.random import RandomFit
from fragscope.placement.registry import REGISTRY
from fragscope.plugins import PluginError


def _setup(tmp_path):
    n, p = tiny_trace(tmp_path)
    nodes, pods = read_node_list(n), read_pod_list(p)
    tasks = tasks_from_pods(pods)
    rank = np.random.default_rng(7).permutation(len(nodes))
    return nodes, pods, tasks, rank


def _placer(nodes, pods, placement, rank, seed=3, **kw):
    state = ClusterState(nodes, target_workload_from_pods(pods))
    return Placer(state, placement, rank, np.random.default_rng(seed), **kw)


def _has_hook(name: str) -> bool:
    return callable(getattr(REGISTRY.load(REGISTRY.resolve(name)), "place_many", None))


def test_the_task_view_is_the_task_types_numbers():
    types = [TaskType(6000, 0, 0), TaskType(6000, 500, 0), TaskType(4000, 250, 1, "T4"),
             TaskType(12000, 1000, 1), TaskType(16000, 1000, 2, "G2|T4"), TaskType(8000, 1500, 1)]
    for t in types:
        view = TaskView.of(Task(t, 777), 5)
        assert view == TaskView(*type_fields(t), 777, allowed_models(t.models), 5)
        assert view.memory_mib == 777 and view.job_id == 5
        if t.shape == "cpu":
            assert (view.num_gpus, view.gpu_milli) == (0, 0)
        else:
            assert (view.num_gpus, view.gpu_milli) == (t.num_gpu, min(t.gpu_milli, 1000))


@pytest.mark.parametrize("name", placement_names())
def test_unrecorded_decisions_equal_recorded_ones(tmp_path, name):
    """place_fast and decide(explain=False) (the fast hook where there is one) pick the
    node and GPUs that decide(explain=True) (score → tie rule → GPU pick, with a record)
    picks, on the same state, task after task until the cluster is full."""
    nodes, pods, tasks, rank = _setup(tmp_path)
    fast, quiet, recorded = (_placer(nodes, pods, name, rank) for _ in range(3))
    for i in range(3 * len(tasks)):
        task = tasks[(i * 13) % len(tasks)]
        d = recorded.place(task, True, i)
        q = quiet.place(task, False, i)
        assert fast.place_fast(task, i) == (d.node, d.gpus) == (q.node, q.gpus), f"task {i}"
        if not _has_hook(name):                 # the road's unrecorded decision keeps its score
            assert q.score == d.score, f"task {i}"
    assert fast.state.idle_sum == recorded.state.idle_sum


@pytest.mark.parametrize("name", [n for n in placement_names() if _has_hook(n)])
def test_a_builtins_hook_answers_like_its_score(tmp_path, name):
    """The same built-in with its hook hidden (a subclass re-declaring score: the inherited
    hook no longer counts) fills the cluster identically."""
    nodes, pods, tasks, rank = _setup(tmp_path)
    cls = REGISTRY.load(REGISTRY.resolve(name))
    plain_cls = type(f"Plain{cls.__name__}", (cls,), {"score": lambda self, *a: cls.score(self, *a)})
    with_hook, without = _placer(nodes, pods, name, rank), _placer(nodes, pods, plain_cls(), rank)
    assert with_hook.batches == (name == "fgd") and not without.batches
    for i in range(3 * len(tasks)):
        task = tasks[(i * 5) % len(tasks)]
        assert with_hook.place_fast(task, i) == without.place_fast(task, i), f"task {i}"


def test_a_subclass_of_a_builtin_is_a_checked_plugin(tmp_path):
    """An override of score() is what decides (an inherited hook answers for the
    built-in's score, so it is not used), and its answers are checked like any plug-in's."""
    nodes, pods, tasks, rank = _setup(tmp_path)

    class MostFree(BestFit):
        def score(self, task, cluster, nodes):
            return -super().score(task, cluster, nodes)

    class Lazy(RandomFit):                      # inherits Random's place_many: must not be used
        def score(self, task, cluster, nodes):
            return np.zeros(len(nodes))

    class Broken(BestFit):
        def score(self, task, cluster, nodes):
            return np.full(len(nodes), np.nan)

    class WorstFgd(FGD):                        # inherits FGD's place_many: must not be used
        def score(self, task, cluster, nodes):
            return -super().score(task, cluster, nodes)

    sub, base = _placer(nodes, pods, MostFree(), rank), _placer(nodes, pods, "bestfit", rank)
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
    worst, fgd = _placer(nodes, pods, WorstFgd(), rank), _placer(nodes, pods, "fgd", rank)
    assert not worst.batches and fgd.batches
    differ = 0
    for i, task in enumerate(tasks[:30]):
        w = worst.decide(task, True, i)
        assert worst.place_fast(task, i) == (w.node, w.gpus), f"task {i}"
        differ += fgd.place_fast(task, i)[0] != w.node
    assert differ


# --------------------------------------------------------------------------- a user's hook
class FirstFit:
    """Gavel's first fit as a plug-in, with the fast hook: the lowest-index feasible node."""

    name = "first-fit"

    def __init__(self):
        self.calls = []

    def score(self, task, cluster, nodes):
        return -np.asarray(nodes, np.int64)

    def place_many(self, task, cluster, count):
        self.calls.append(count)
        ok = np.flatnonzero(cluster.feasible(task))
        if ok.size == 0:
            return [(-1, ())]
        node = int(ok[0])
        return [(node, cluster.default_gpus(task, node))]


class FirstFitRuns(FirstFit):
    """Answers a whole run at once, tracking its own copy of the node it fills."""

    independent_gpu_types = True

    def place_many(self, task, cluster, count):
        self.calls.append(count)
        out = []
        ok = np.flatnonzero(cluster.feasible(task))
        for node in ok.tolist():
            free = cluster.free_gpu_milli[node].tolist()
            cpu, mem = int(cluster.free_cpu_milli[node]), int(cluster.free_memory_mib[node])
            while len(out) < count and cpu >= task.cpu_milli and mem >= task.memory_mib:
                if task.num_gpus == 0:
                    gpus = ()
                elif task.gpu_milli >= 1000:
                    whole = [i for i, v in enumerate(free) if v == 1000]
                    if len(whole) < task.num_gpus:
                        break
                    gpus = tuple(whole[:task.num_gpus])
                else:
                    fits = [(v, i) for i, v in enumerate(free) if v >= task.gpu_milli]
                    if not fits:
                        break
                    gpus = (min(fits)[1],)
                for g in gpus:
                    free[g] -= task.gpu_milli
                cpu -= task.cpu_milli
                mem -= task.memory_mib
                out.append((node, gpus))
            if len(out) == count:
                return out
        return out + [(-1, ())]


class OverfillsRuns(FirstFit):
    """A hook whose run answers ignore what its earlier answers took."""

    def place_many(self, task, cluster, count):
        ok = np.flatnonzero(cluster.feasible(task))
        node = int(ok[0])
        return [(node, cluster.default_gpus(task, node))] * count


def test_a_user_plugins_hook_is_used_and_decides_like_its_score(tmp_path):
    nodes, pods, tasks, rank = _setup(tmp_path)
    hook = FirstFit()
    with_hook, gavel = _placer(nodes, pods, hook, rank), _placer(nodes, pods, "gavel", rank)
    assert not with_hook.batches                 # no independent_gpu_types: one task at a time
    for i in range(2 * len(tasks)):
        task = tasks[(i * 11) % len(tasks)]
        node, gpus = with_hook.place_fast(task, i)
        expect = gavel.decide(task, True, i)
        if expect.node >= 0 and task.type.shape != "fractional":
            assert (node, gpus) == (expect.node, expect.gpus), f"task {i}"
        else:
            assert node == expect.node, f"task {i}"   # (gavel's own GPU pick differs: first fit)
        if node >= 0:
            gavel.state.allocate(node, task, gpus)
    assert hook.calls == [1] * (2 * len(tasks))
    # decisions with a record take score -> tie rule, not the hook
    before = len(hook.calls)
    with_hook.decide(tasks[0], True, 0)
    assert len(hook.calls) == before


@pytest.mark.parametrize("count", [5, 20])      # short runs are checked one by one, long ones tallied
def test_a_hook_answering_whole_runs_binds_like_one_by_one(tmp_path, count):
    nodes, pods, tasks, rank = _setup(tmp_path)
    runs, single = _placer(nodes, pods, FirstFitRuns(), rank), _placer(nodes, pods, FirstFit(), rank)
    assert runs.batches
    for i, task in enumerate(tasks[:40]):
        got = runs.place_many(task, count, i)
        expect = single.place_many(task, count, i)
        assert got == expect, f"task {i}"
    assert np.array_equal(runs.state.free_gpu, single.state.free_gpu)
    assert np.array_equal(runs.state.frag_int, single.state.frag_int)
    assert runs.state.frag_sum == single.state.frag_sum and runs.state.idle_sum == single.state.idle_sum
    assert max(runs.placement.calls) == count and set(single.placement.calls) == set(range(1, count + 1))


def test_a_bad_answer_inside_a_long_run_is_named_and_binds_nothing(tmp_path):
    # Long runs are checked as a tally per node; whichever answer breaks it, the error
    # is the one-by-one check's, naming that answer, and nothing is bound.
    nodes, pods, tasks, rank = _setup(tmp_path)
    task = Task(TaskType(1000, 100, 1), 0)
    good = [(0, (g,)) for g in range(8)] * 3            # 24 answers, 300 milli-GPU on each GPU
    t4 = Task(TaskType(1000, 100, 1, "T4"), 0)
    models = np.asarray(_placer(nodes, pods, FirstFit(), rank).cluster.model)
    g2 = int(np.flatnonzero(models == "G2")[0])
    cases = [
        (task, good[:10] + [(0, (99,))] + good[10:], "answer 10: returned GPU 99 on node 0"),
        (task, good[:10] + [(-1, ())] + good[10:], "answer 10 is (-1, ...)"),
        (task, good[:10] + [[0, (1,)], ("x", (1,))] + good[10:], "answer 11: returned 'x' as a node"),
        (task, good[:12] + [(0, [1, 2])] + good[12:], "answer 12: returned [1, 2] for node 0"),
        (task, good + [(0, (0,))] * 8, "answer 31: returned GPU 0 on node 0 with 0 free"),
        (Task(TaskType(10 ** 6, 100, 1), 0), good, "free milli-CPU"),
        (t4, [(g2, (0,))] * 3 + good, "answer 0: returned node %d, a G2 node; the task allows T4" % g2),
        (t4, good + [(g2, (0,))] * 3, "answer 24: returned node %d, a G2 node; the task allows T4" % g2),
    ]
    for t, answers, message in cases:
        class Fixed(FirstFit):
            def place_many(self, task, cluster, count, answers=answers):
                return list(answers)
        placer = _placer(nodes, pods, Fixed(), rank)
        before = placer.state.free_gpu.copy(), placer.state.free_cpu.copy()
        with pytest.raises(PluginError, match=r"place_many\(\)") as exc:
            placer.place_many(t, len(answers))
        assert message in str(exc.value), (message, str(exc.value))
        assert np.array_equal(before[0], placer.state.free_gpu) and np.array_equal(before[1], placer.state.free_cpu)


def test_bad_hook_answers_are_contract_errors_that_bind_nothing(tmp_path):
    nodes, pods, tasks, rank = _setup(tmp_path)
    gpu_task = next(t for t in tasks if t.type.shape == "fractional")
    cpu_task = Task(TaskType(10 ** 9, 0, 0), 0)

    def answering(answer):
        class Fixed(FirstFit):
            def place_many(self, task, cluster, count):
                return answer(task, cluster, count)
        return _placer(nodes, pods, Fixed(), rank)

    cases = [
        (lambda t, c, n: [(c.n_nodes, ())], cpu_task, "which does not exist"),
        (lambda t, c, n: [(0, ())], cpu_task, "free milli-CPU; the task needs 1000000000"),
        (lambda t, c, n: [(0, (99,))], gpu_task, "returned GPU 99 on node 0, which has GPUs 0..7"),
        (lambda t, c, n: [(0, (0, 1))], gpu_task, "the task needs 1 distinct GPU(s)"),
        (lambda t, c, n: [(0, (0,)), (1, (0,))], gpu_task, "returned 2 answers when asked for 1"),
        (lambda t, c, n: [], gpu_task, "returned 0 answers"),
        (lambda t, c, n: "nowhere", gpu_task, "must return a list of (node, GPUs) pairs, got str"),
        (lambda t, c, n: [3], gpu_task, "must return (node, GPUs) pairs, got 3"),
        (lambda t, c, n: [("a", ())], gpu_task, "not an integer"),
    ]
    for answer, task, message in cases:
        placer = answering(answer)
        before = placer.state.free_gpu.copy(), placer.state.free_cpu.copy()
        with pytest.raises(PluginError, match="place_many\\(\\)") as exc:
            placer.place_fast(task, 0)
        assert message in str(exc.value) and "Fixed" in str(exc.value)
        assert np.array_equal(before[0], placer.state.free_gpu) and np.array_equal(before[1], placer.state.free_cpu)
    # a run whose later answers overfill the node: named by position, nothing bound
    placer = _placer(nodes, pods, OverfillsRuns(), rank)
    big = Task(TaskType(1000, 1000, 1), 0)
    before = placer.state.free_gpu.copy()
    with pytest.raises(PluginError, match=r"place_many\(\) answer \d+: returned GPU \d+ on node \d+ with 0 free"):
        placer.place_many(big, 20)
    assert np.array_equal(before, placer.state.free_gpu)
    # a model the task does not allow
    t4 = Task(TaskType(1000, 470, 1, "T4"), 0)
    g2 = int(np.flatnonzero(np.asarray(placer.cluster.model) == "G2")[0])
    with pytest.raises(PluginError, match="a G2 node; the task allows T4"):
        answering(lambda t, c, n: [(g2, c.default_gpus(t, g2))]).place_fast(t4, 0)


def test_a_hook_that_is_not_a_method_is_refused(tmp_path):
    nodes, pods, _, rank = _setup(tmp_path)

    class NotAHook(FirstFit):
        place_many = 3

    with pytest.raises(PluginError, match="place_many must be a method"):
        _placer(nodes, pods, NotAHook(), rank)
