"""The placement plug-in contract: what a placement sees and what its answers must be
(docs/plugins.md).

A placement is any class with ``score(task, cluster, nodes)``; the framework filters the
nodes (GPU model, CPU, memory, GPU capacity), the placement only ranks them.  Optional:
``pick_gpus``, ``explain``, ``setup``, ``rule`` and the fast hook ``place_many`` (it
answers whole decisions, filters included, for the decisions nobody records).  Built-ins
and plug-ins alike receive the same two read-only objects: :class:`TaskView` (the task)
and :class:`ClusterView` (numpy arrays indexed by node, views of the live state: never
copied, never writable, plus the framework's filters and FGD's Δ as methods), and every
answer is checked by the functions at the end of this module: a wrong answer is a
:class:`~fragscope.plugins.PluginError` naming the placement, never silently fixed up.
"""

from __future__ import annotations

from functools import lru_cache
from operator import index as as_index
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

import numpy as np

from .delta import fgd_score, node_deltas
from .fragmentation import Task, TaskType
from ..model.units import MILLI
from ..plugins import PluginRef, failure

if TYPE_CHECKING:
    from .cluster_state import ClusterState
    from .fragmentation import FragModel


class TaskView(NamedTuple):
    """One task to place, as a placement sees it.

    ``num_gpus`` is 0 for a CPU-only task; ``gpu_milli`` is per GPU (1..1000; 1000 for
    whole-GPU tasks, 0 for CPU-only); ``allowed_models`` is None (any model) or a tuple of
    model names; ``job_id`` is the job's id in round mode and the pod's position in the
    arrival order in the fill-up experiment.
    """

    num_gpus: int
    gpu_milli: int
    cpu_milli: int
    memory_mib: int
    allowed_models: tuple[str, ...] | None
    job_id: int

    @staticmethod
    def of(task: Task, job_id: int = -1) -> TaskView:
        t = task.type
        return _make_view(type_fields(t) + (task.memory_mib, allowed_models(t.models), job_id))


_new_tuple = tuple.__new__


def _make_view(fields: tuple) -> TaskView:
    """A TaskView from its six fields, in order: the framework builds one per decision,
    so it skips NamedTuple's keyword-handling constructor (the same object)."""
    return _new_tuple(TaskView, fields)


def type_fields(t: TaskType) -> tuple[int, int, int]:
    """(num_gpus, gpu_milli, cpu_milli) of a :class:`TaskView` of type ``t``; its
    ``allowed_models`` is :func:`allowed_models` of ``t.models``."""
    if t.shape == "cpu":
        return 0, 0, t.cpu_milli
    return t.num_gpu, min(t.gpu_milli, MILLI), t.cpu_milli


@lru_cache(maxsize=4096)
def allowed_models(spec: str) -> tuple[str, ...] | None:
    """A task type's ``models`` ("A|B", "" = any) as TaskView's ``allowed_models``."""
    return tuple(m for m in spec.split("|") if m) if spec else None


def task_type(task: TaskView) -> TaskType:
    """The :class:`TaskType` a TaskView describes (memory and job id are not part of it)."""
    models = "|".join(task.allowed_models) if task.allowed_models else ""
    return TaskType(task.cpu_milli, task.gpu_milli, task.num_gpus, models)


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


class ClusterView:
    """The cluster as a placement sees it: read-only numpy arrays indexed by node, the
    run's fixed facts, and the framework's own rules as methods (docs/plugins.md).

    Per node: ``free_gpu_milli`` (nodes × the largest GPU count, 0 in slots a node does
    not have), ``gpu_count``, ``free_cpu_milli``, ``free_memory_mib``, ``cpu_milli`` and
    ``memory_mib`` (capacities), ``model`` (model name) and ``model_index`` (its position
    in ``model_names``), ``idle_gpu_milli`` (Σ free milli-GPU), ``full_free_gpus`` (GPUs
    with all 1000 milli free), ``task_classes`` (nodes × (largest GPU count + 1): tasks on
    the node by class, column 0 share-GPU tasks, column k tasks of k whole GPUs) and
    ``n_task_classes`` (classes present), ``frag_numerator`` (F_n(M) ×
    ``fragmentation.denominator``, an integer), ``version`` (changes whenever the node's
    free GPU, CPU or memory changes; equal content, equal version) and ``tie_rank`` (the
    run's seeded node order: 0 wins ties).

    The arrays are views of the live state: they show the cluster as it is at the call,
    so keep nothing between calls expecting old values (``version`` and
    :meth:`changes_since` say what changed).
    """

    def __init__(self, state: ClusterState, tie_rank: np.ndarray, memory_filter: bool = True,
                 fgd_scoring: str = "integer") -> None:
        self._state = state
        self.free_gpu_milli = _readonly(state.free_gpu)
        self.gpu_count = _readonly(state.gpu_count)
        self.free_cpu_milli = _readonly(state.free_cpu)
        self.free_memory_mib = _readonly(state.free_mem)
        self.cpu_milli = _readonly(state.cap_cpu)
        self.memory_mib = _readonly(state.cap_mem)
        self.model_names: tuple[str, ...] = tuple(state.model_names)
        self.model_index = _readonly(state.model_id)
        self.model = _readonly(np.asarray(state.model_names, dtype=object)[state.model_id])
        self.idle_gpu_milli = _readonly(state.idle)
        self.full_free_gpus = _readonly(state.n_full_free)
        self.task_classes = _readonly(state.classes)
        self.n_task_classes = _readonly(state.n_classes)
        self.frag_numerator = _readonly(state.frag_int)
        self.version = _readonly(state.version)
        self.tie_rank = _readonly(np.asarray(tie_rank, np.int64))
        self.memory_filter = bool(memory_filter)
        self.fgd_scoring = fgd_scoring
        self.fragmentation: FragModel = state.frag
        self._lower = np.tri(state.slots, k=-1, dtype=bool)   # [i, j] = j < i
        self._masks: dict[Any, np.ndarray] = {}

    @property
    def n_nodes(self) -> int:
        return int(self.gpu_count.shape[0])

    # ---------------------------------------------------------------- the framework's filters
    def model_mask(self, allowed: tuple[str, ...] | str | None) -> np.ndarray:
        """Per node: whether its GPU model is allowed (``allowed``: TaskView's
        ``allowed_models``, or a task type's "A|B" string; None / "" = any)."""
        m = self._masks.get(allowed)
        if m is None:
            names = allowed if isinstance(allowed, tuple) else allowed_models(allowed or "")
            ok = np.array([names is None or name in names for name in self.model_names], bool)
            m = self._masks[allowed] = _readonly(ok[self._state.model_id])
        return m

    def feasible(self, task: TaskView, nodes: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """Per node (all, or ``nodes``): whether it passes every hard filter for ``task``
        — GPU model, CPU, memory (when the run filters memory), and one GPU with
        ≥ ``gpu_milli`` free for a fractional task, ``num_gpus`` fully free GPUs for a
        whole-GPU task.  These are the ``nodes`` the framework gives ``score``."""
        k, g = task.num_gpus, task.gpu_milli
        shape = "cpu" if k == 0 or g == 0 else ("whole" if g >= MILLI else "fractional")
        sel = None if nodes is None else np.asarray(nodes, np.int64)
        return filter_mask(self._state, self, task.cpu_milli, task.memory_mib if self.memory_filter else 0,
                           task.allowed_models, shape, g, k, sel)

    def default_gpus(self, task: TaskView, node: int) -> tuple[int, ...]:
        """The GPUs the framework gives ``task`` on ``node`` when the placement has no
        ``pick_gpus``: the best-fit GPU (least free milli that fits, lowest index among
        equals) for a fractional task, the lowest-index fully free GPUs for a whole-GPU
        task, none for a CPU-only task."""
        k, g = task.num_gpus, task.gpu_milli
        if k == 0 or g == 0:
            return ()
        return default_gpus(self._state, node, g, k)

    # ---------------------------------------------------------------- FGD's measure
    def frag_delta(self, task: TaskView, nodes: Sequence[int] | np.ndarray) -> np.ndarray:
        """FGD's Δ F_n(M) per node, in milli-GPU, of placing ``task`` there on the GPU FGD
        would pick (negative: the placement reduces fragmentation).  ``nodes`` must pass
        the task's filters (as the ``nodes`` given to ``score`` do)."""
        nodes = np.asarray(nodes, np.int64)
        if nodes.size == 0:
            return np.zeros(0)
        _, _, _, dnum = node_deltas(self, task_type(task), nodes, True, self._lower)
        return dnum / self.fragmentation.denominator

    def frag_gpus(self, task: TaskView, node: int, scoring: str | None = None) -> tuple[int, ...]:
        """The GPUs FGD gives ``task`` on ``node`` (which must pass the task's filters):
        for a fractional task the GPU of the best Δ — by the integer score (ties to the
        lowest index) or, with ``scoring="exact"``, by Δ itself; ``scoring`` None is the
        run's :attr:`fgd_scoring` — otherwise :meth:`default_gpus`."""
        t = task_type(task)
        if t.shape != "fractional":
            return self.default_gpus(task, node)
        exact = (scoring or self.fgd_scoring) == "exact"
        _, gpu, _, _ = node_deltas(self, t, np.array([node], np.int64), not exact, self._lower)
        return (int(gpu[0]),)

    # ---------------------------------------------------------------- what changed
    def changes_since(self, mark: Any, limit: int | None = None) -> tuple[list[int] | None, Any]:
        """(the nodes changed since ``mark`` — in order, repeats kept —, a new mark).

        ``mark`` is None or a mark this method returned.  The first element is None when
        the framework cannot tell (no mark yet, the log was restarted — round mode does
        every round —, or more than ``limit`` changes): compare ``version`` then."""
        log = self._state.change_log
        end = len(log)
        new = (log, end)
        if mark is None or mark[0] is not log or (limit is not None and end - mark[1] > limit):
            return None, new
        return log[mark[1]:], new


# ---------------------------------------------------------------- the filters themselves
# (one implementation: the framework's generic road and ClusterView.feasible use it)

def filter_mask(st: ClusterState, view: ClusterView, cpu: int, memory: int, models: Any, shape: str,
                gpu_milli: int, num_gpus: int, nodes: np.ndarray | None) -> np.ndarray:
    """Boolean mask of nodes (all, or ``nodes``) passing the hard filters; ``memory`` 0
    means no memory filter; ``models`` is a type's "A|B" string or a view's tuple."""
    sel = slice(None) if nodes is None else nodes
    ok = st.free_cpu[sel] >= cpu
    if memory:
        ok &= st.free_mem[sel] >= memory
    if shape != "cpu":
        if models:
            ok &= view.model_mask(models)[sel]
        if shape == "fractional":
            ok &= st.max_free[sel] >= gpu_milli
        else:
            ok &= st.n_full_free[sel] >= num_gpus
    return ok


def default_gpus(st: ClusterState, node: int, gpu_milli: int, num_gpus: int) -> tuple[int, ...]:
    """:meth:`ClusterView.default_gpus` for a GPU task (``num_gpus`` ≥ 1)."""
    row = st.free_gpu[node]
    if gpu_milli >= MILLI:
        return tuple([i for i, v in enumerate(row.tolist()) if v == MILLI][:num_gpus])
    return (int(np.where(row >= gpu_milli, row, MILLI + 1).argmin()),)


# ---------------------------------------------------------------- checks of a placement's answers

_INT64 = np.dtype(np.int64)


def checked_scores(ref: PluginRef, scores: Any, n: int) -> np.ndarray:
    """``score``'s answer as a number array, or a PluginError naming the placement."""
    if type(scores) is np.ndarray:
        if scores.dtype is _INT64 and scores.ndim == 1 and scores.shape[0] == n:
            return scores                                  # the common case, checked in 3 reads
        arr = scores
    else:
        try:
            arr = np.asarray(scores)
        except Exception:  # noqa: BLE001
            arr = np.asarray(None)
    kind = arr.dtype.kind
    if arr.shape != (n,) or kind not in "iufb":
        what = f"shape {arr.shape}, dtype {arr.dtype}" if kind != "O" else repr(scores)[:80]
        raise failure(ref, f"score() must return one number per candidate node ({n}), got {what}")
    if kind == "b":
        arr = arr.astype(np.int64)
    if kind == "f" and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise failure(ref, f"score() returned {arr[bad]} for candidate {bad}: scores must be finite")
    return arr


def checked_filter(ref: PluginRef, got: Any, n: int, default: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """``filter``'s answer as (a boolean mask over the ``n`` candidates, True = may place;
    the reason of each, for the rejected ones) — or a PluginError naming the placement.
    A placement answers a mask, or ``(mask, reasons)`` with one reason for every
    rejected node (a string) or one per candidate (a sequence of ``n``: None or "" for
    the kept ones); a rejected node without one gets ``default``."""
    reasons: Any = None
    if isinstance(got, tuple) and len(got) == 2 and not isinstance(got[0], (bool, np.bool_)):
        got, reasons = got
    arr = np.asarray(got) if not isinstance(got, np.ndarray) else got
    if arr.shape != (n,) or arr.dtype.kind != "b":
        what = f"shape {arr.shape}, dtype {arr.dtype}" if arr.dtype.kind != "O" else repr(got)[:80]
        raise failure(ref, f"filter() must return a boolean mask over the candidate nodes (one bool for each "
                           f"of the {n}; True = may place), or (mask, reasons); got {what}")
    if reasons is None or isinstance(reasons, str):
        said = (reasons or default,) * n
    else:
        try:
            said = tuple(reasons)
        except TypeError:
            said = ()
        if len(said) != n or not all(r is None or isinstance(r, str) for r in said):
            raise failure(ref, f"filter()'s reasons must be one string for every rejected node, or one string "
                               f"(or None) for each of the {n} candidates; got {repr(reasons)[:80]}")
        said = tuple(r or default for r in said)
    return arr, said


def gpus_problem(st: ClusterState, t: TaskType, node: int, got: Any,
                 vals: list[int] | None = None) -> tuple[tuple[int, ...], str | None]:
    """(the GPU slots ``got`` names, what is wrong with them for a task of type ``t`` on
    ``node`` — None if nothing): as many as the task needs, distinct, on the node, each
    with room — in the cluster as it is, or with ``vals`` as the node's free GPU values."""
    want = 0 if t.shape == "cpu" else t.num_gpu
    if want == 1 and vals is None and type(got) is tuple and len(got) == 1:   # the common answer, in 4 reads
        g = got[0]
        if (type(g) is int and 0 <= g < st.gpu_count_list[node]
                and st.free_gpu[node, g] >= (t.gpu_milli if t.gpu_milli < MILLI else MILLI)):
            return got, None
    if type(got) is not tuple:
        try:
            got = tuple(got)
        except Exception:  # noqa: BLE001
            return (), f"must return a sequence of GPU indices, got {got!r}"
    if len(got) != want:
        return got, f"returned {list(got)} for node {node}: the task needs {want} distinct GPU(s)"
    if not want:
        return got, None
    try:
        gpus = tuple([g if type(g) is int else as_index(g) for g in got])
    except TypeError:
        return got, f"must return a sequence of GPU indices, got {got!r}"
    if want > 1 and len(set(gpus)) != want:
        return gpus, f"returned {list(gpus)} for node {node}: the task needs {want} distinct GPU(s)"
    count = st.gpu_count_list[node]
    need = t.gpu_milli if t.gpu_milli < MILLI else MILLI
    row = vals
    for g in gpus:
        if not 0 <= g < count:
            return gpus, f"returned GPU {g} on node {node}, which has GPUs 0..{count - 1}"
        free = int(st.free_gpu[node, g]) if row is None else row[g]
        if free < need:
            return gpus, f"returned GPU {g} on node {node} with {free} free milli-GPU; the task needs {need}"
    return gpus, None


def checked_gpus(ref: PluginRef, st: ClusterState, task: Task, node: int, got: Any) -> tuple[int, ...]:
    """``pick_gpus``'s answer as GPU slots: distinct, on the node, each with room."""
    gpus, problem = gpus_problem(st, task.type, node, got)
    if problem is not None:
        raise failure(ref, f"pick_gpus() {problem}")
    return gpus


def node_problem(st: ClusterState, view: ClusterView, task: Task, node: Any,
                 memory_filter: bool) -> tuple[int, str | None]:
    """(``node`` as an int, why it fails ``task``'s CPU, memory or GPU-model filter —
    None if it passes).  The GPU filter is the GPUs' check (:func:`gpus_problem`)."""
    try:
        node = node if type(node) is int else as_index(node)
    except TypeError:
        return -2, f"returned {node!r} as a node: not an integer"
    if node == -1:
        return -1, None
    n = st.n_nodes
    if not 0 <= node < n:
        return node, f"returned node {node}, which does not exist (nodes 0..{n - 1})"
    t = task.type
    free = int(st.free_cpu[node])
    if free < t.cpu_milli:
        return node, f"returned node {node} with {free} free milli-CPU; the task needs {t.cpu_milli}"
    if memory_filter and task.memory_mib:
        free = int(st.free_mem[node])
        if free < task.memory_mib:
            return node, f"returned node {node} with {free} MiB free memory; the task needs {task.memory_mib}"
    if t.models and t.shape != "cpu" and not view.model_mask(t.models)[node]:
        return node, (f"returned node {node}, a {st.model_names[st.model_id_list[node]]} node; the task "
                      f"allows {', '.join(allowed_models(t.models) or ())}")
    return node, None


def checked_answer(ref: PluginRef, st: ClusterState, view: ClusterView, task: Task, answer: Any,
                   memory_filter: bool) -> tuple[int, tuple[int, ...]]:
    """One (node, GPUs) answer of ``place_many`` checked against the cluster as it is:
    the node passes the task's filters and the GPUs are the task's (:func:`gpus_problem`);
    node -1 (GPUs ignored) means no node fits."""
    try:
        node, got = answer
    except (TypeError, ValueError):
        raise failure(ref, f"place_many() must return (node, GPUs) pairs, got {answer!r}") from None
    node, problem = node_problem(st, view, task, node, memory_filter)
    if node == -1:
        return -1, ()
    if problem is None:
        gpus, problem = gpus_problem(st, task.type, node, got)
        if problem is None:
            return node, gpus
    raise failure(ref, f"place_many() {problem}")


def checked_columns(ref: PluginRef, cols: Any, n: int) -> dict[str, np.ndarray]:
    """``explain``'s columns, one value per candidate each."""
    if not isinstance(cols, dict):
        raise failure(ref, f"explain() must return a dict of column name -> array, got {type(cols).__name__}")
    out = {}
    for k, v in cols.items():
        arr = np.asarray(v)
        if arr.shape != (n,):
            raise failure(ref, f"explain() column {k!r} has shape {arr.shape}, expected ({n},)")
        out[str(k)] = arr
    return out


__all__ = ["ClusterView", "TaskView", "allowed_models", "checked_answer", "checked_columns", "checked_filter",
           "checked_gpus",
           "checked_scores", "fgd_score", "task_type"]
