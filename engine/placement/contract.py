"""The placement plug-in contract: what a strategy's ``score`` sees (docs/plugins.md).

A placement is any class with ``score(task, cluster, nodes)``; the framework filters the
nodes (GPU model, CPU, memory, GPU capacity), the strategy only ranks them.  The two
objects it receives are read-only: :class:`TaskView` (the task) and :class:`ClusterView`
(numpy arrays indexed by node, views of the live state: never copied, never writable).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

import numpy as np

from ..core.fragmentation import MILLI, Task

if TYPE_CHECKING:
    from ..core.cluster_state import ClusterState


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
    def of(task: Task, job_id: int) -> "TaskView":
        # (a NamedTuple: one is built per decision, so it must be cheap to make)
        t = task.type
        if t.shape == "cpu":
            return TaskView(0, 0, t.cpu_milli, task.memory_mib, _models(t.models), job_id)
        return TaskView(t.num_gpu, min(t.gpu_milli, MILLI), t.cpu_milli, task.memory_mib, _models(t.models), job_id)


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
