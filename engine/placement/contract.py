"""The placement plug-in contract: what a strategy's ``score`` sees and what its answers must
be (docs/plugins.md).

A placement is any class with ``score(task, cluster, nodes)``; the framework filters the
nodes (GPU model, CPU, memory, GPU capacity), the strategy only ranks them.  The two
objects it receives are read-only: :class:`TaskView` (the task) and :class:`ClusterView`
(numpy arrays indexed by node, views of the live state: never copied, never writable).

A trusted built-in (``_trusted = True`` on its own class) receives a :class:`TaskShape`
instead of a :class:`TaskView`: the same fields minus memory and job id, which no
built-in reads, made once per task type instead of once per decision (the fill-up
experiment makes ~10⁴ decisions a run, and a per-decision object showed in its time).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

import numpy as np

from .fragmentation import Task, TaskType
from ..model.units import MILLI
from ..plugins import failure

if TYPE_CHECKING:
    from .cluster_state import ClusterState
    from .placer import Placer


class TaskView(NamedTuple):
    """One task to place, as a plug-in sees it.

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
    def of(task: Task, job_id: int, shape: TaskShape | None = None) -> TaskView:
        """``shape``: the task type's :class:`TaskShape` when the caller has it cached."""
        # (a NamedTuple: one is built per decision, so it must be cheap to make)
        k, g, c, models = shape if shape is not None else TaskShape.of(task.type)
        return TaskView(k, g, c, task.memory_mib, models, job_id)


class TaskShape(NamedTuple):
    """What a trusted built-in's ``score`` / ``pick_gpus`` receive: the fields of
    :class:`TaskView` that depend on the task type alone (same names, same values).

    Built once per task type by the framework, so a built-in's decision makes no
    per-task object; a plug-in always gets the full :class:`TaskView`.
    """

    num_gpus: int
    gpu_milli: int
    cpu_milli: int
    allowed_models: tuple[str, ...] | None

    @staticmethod
    def of(t: TaskType) -> TaskShape:
        # the one place a task type becomes the contract's numbers (TaskView.of uses it too)
        if t.shape == "cpu":
            return TaskShape(0, 0, t.cpu_milli, _models(t.models))
        return TaskShape(t.num_gpu, min(t.gpu_milli, MILLI), t.cpu_milli, _models(t.models))


@lru_cache(maxsize=4096)
def _models(spec: str) -> tuple[str, ...] | None:
    return tuple(m for m in spec.split("|") if m) if spec else None


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


class ClusterView:
    """The cluster as a plug-in sees it: read-only numpy arrays indexed by node.

    ``free_gpu_milli`` is (nodes × the largest GPU count), 0 in slots a node does not
    have; ``gpu_count``, ``free_cpu_milli``, ``free_memory_mib``, ``cpu_milli`` and
    ``memory_mib`` (capacities) and ``model`` (model name per node) are one value per
    node.  The arrays are views of the live state: they show the cluster as it is at
    the call, so a plug-in must not keep them between calls expecting old values.
    """

    def __init__(self, state: "ClusterState", frag_delta: Any) -> None:
        self.free_gpu_milli = _readonly(state.free_gpu)
        self.gpu_count = _readonly(state.gpu_count)
        self.free_cpu_milli = _readonly(state.free_cpu)
        self.free_memory_mib = _readonly(state.free_mem)
        self.cpu_milli = _readonly(state.cap_cpu)
        self.memory_mib = _readonly(state.cap_mem)
        self.model = _readonly(np.asarray(state.model_names, dtype=object)[state.model_id])
        self._frag_delta = frag_delta

    @property
    def n_nodes(self) -> int:
        return int(self.gpu_count.shape[0])

    def frag_delta(self, task: TaskView, nodes: Sequence[int] | np.ndarray) -> np.ndarray:
        """FGD's Δ F_n(M) per node, in milli-GPU, of placing ``task`` there on the GPU FGD
        would pick (negative: the placement reduces fragmentation).  ``nodes`` must pass
        the task's filters (as the ``nodes`` given to ``score`` do)."""
        return self._frag_delta(task, np.asarray(nodes, np.int64))


# ---------------------------------------------------------------- checks of a plug-in's answers
# (the Placer applies them to every untrusted placement: a wrong answer is a PluginError
# naming it, never silently fixed up)


def checked_scores(p: Placer, scores: Any, n: int) -> np.ndarray:
    """``score``'s answer as a number array, or a PluginError naming the plug-in."""
    if type(scores) is np.ndarray:
        arr = scores
    else:
        try:
            arr = np.asarray(scores)
        except Exception:  # noqa: BLE001
            arr = np.asarray(None)
    kind = arr.dtype.kind
    if arr.shape != (n,) or kind not in "iufb":
        what = f"shape {arr.shape}, dtype {arr.dtype}" if kind != "O" else repr(scores)[:80]
        raise failure(p._ref(), f"score() must return one number per candidate node ({n}), got {what}")
    if kind == "b":
        arr = arr.astype(np.int64)
    if kind == "f" and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise failure(p._ref(), f"score() returned {arr[bad]} for candidate {bad}: scores must be finite")
    return arr


def checked_gpus(p: Placer, task: Task, node: int, got: Any) -> tuple[int, ...]:
    """``pick_gpus``'s answer as GPU slots: distinct, on the node, each with room."""
    t = task.type
    want = 0 if t.shape == "cpu" else t.num_gpu
    try:
        gpus = tuple(int(g) for g in got)
    except Exception:  # noqa: BLE001
        raise failure(p._ref(), f"pick_gpus() must return a sequence of GPU indices, got {got!r}") from None
    count = int(p.state.gpu_count[node])
    row = p.state.free_gpu[node].tolist()
    need = min(t.gpu_milli, MILLI)
    if len(gpus) != want or len(set(gpus)) != len(gpus):
        raise failure(p._ref(), f"pick_gpus() returned {list(gpus)} for node {node}: the task needs "
                                f"{want} distinct GPU(s)")
    for g in gpus:
        if not 0 <= g < count:
            raise failure(p._ref(), f"pick_gpus() returned GPU {g} on node {node}, which has GPUs 0..{count - 1}")
        if row[g] < need:
            raise failure(p._ref(), f"pick_gpus() returned GPU {g} on node {node} with {int(row[g])} free "
                                    f"milli-GPU; the task needs {need}")
    return gpus


def checked_columns(p: Placer, cols: Any, n: int) -> dict[str, np.ndarray]:
    """``explain``'s columns, one value per candidate each."""
    if not isinstance(cols, dict):
        raise failure(p._ref(), f"explain() must return a dict of column name -> array, got {type(cols).__name__}")
    out = {}
    for k, v in cols.items():
        arr = np.asarray(v)
        if arr.shape != (n,):
            raise failure(p._ref(), f"explain() column {k!r} has shape {arr.shape}, expected ({n},)")
        out[str(k)] = arr
    return out
