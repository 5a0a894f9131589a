"""GpuClustering (fgd.md §3): keep tasks of one class together.  Classes: share-GPU or
k whole GPUs.  Nodes hosting only the task's class score 75–100, the class among others
50–75, empty nodes 25–50, other classes 0–25; within a band fuller is better.  CPU-only
tasks score 0 everywhere."""

from __future__ import annotations

import numpy as np

from ..model.units import MILLI
from .bestfit import MAX_SPEC_GPU
from .contract import ClusterView, TaskView


class GpuClustering:
    name = "clustering"
    aliases = ("gpuclustering",)

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        if task.num_gpus == 0:
            return np.zeros(nodes.size, np.int64)
        cls = 0 if task.gpu_milli < MILLI else task.num_gpus   # task_class(): share-GPU 0, else k whole GPUs
        base = 25 * (MAX_SPEC_GPU - cluster.idle_gpu_milli[nodes]) // MAX_SPEC_GPU
        classes = cluster.task_classes
        has = classes[nodes, cls] > 0 if cls < classes.shape[1] else np.zeros(nodes.size, bool)
        ncls = cluster.n_task_classes[nodes]
        return np.where(has, np.where(ncls == 1, base + 75, base + 50), np.where(ncls == 0, base + 25, base))
