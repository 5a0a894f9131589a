"""GpuClustering (fgd.md §3): keep tasks of one class together.  Classes: share-GPU or
k whole GPUs.  Nodes hosting only the task's class score 75–100, the class among others
50–75, empty nodes 25–50, other classes 0–25; within a band fuller is better.  CPU-only
tasks score 0 everywhere."""

from __future__ import annotations

import numpy as np

from ..core.cluster_state import task_class
from ..core.fragmentation import TaskType
from .bestfit import MAX_SPEC_GPU
from .contract import ClusterView, TaskView


class GpuClustering:
    name = "clustering"
    _trusted = True   # a built-in: the framework does not re-check its answers
    aliases = ("gpuclustering",)

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        if task.num_gpus == 0:
            return np.zeros(nodes.size, np.int64)
        st = cluster._state
        cls = task_class(TaskType(task.cpu_milli, task.gpu_milli, task.num_gpus))
        base = 25 * (MAX_SPEC_GPU - st.idle[nodes]) // MAX_SPEC_GPU
        has = st.classes[nodes, cls] > 0 if cls < st.classes.shape[1] else np.zeros(nodes.size, bool)
        ncls = st.n_classes[nodes]
        return np.where(has, np.where(ncls == 1, base + 75, base + 50), np.where(ncls == 0, base + 25, base))
