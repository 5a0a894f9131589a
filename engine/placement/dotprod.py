"""DotProd (Tetris, fgd.md §3): the node whose free (CPU, GPU) vector has the smallest dot
product with the task's demand, both max-normalised by (128 cores, 8 GPUs)."""

from __future__ import annotations

import numpy as np

from .bestfit import MAX_SPEC_CPU, MAX_SPEC_GPU
from .contract import ClusterView, TaskView


class DotProd:
    name = "dotprod"
    aliases = ("dotproduct", "dot-product")

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        a0 = cluster.free_cpu_milli[nodes] / float(MAX_SPEC_CPU)
        a1 = cluster.idle_gpu_milli[nodes] / float(MAX_SPEC_GPU)
        ip = a0 * (task.cpu_milli / float(MAX_SPEC_CPU)) + a1 * ((task.num_gpus * task.gpu_milli) / float(MAX_SPEC_GPU))
        return ((1.0 - ip / 2.0) * 100.0).astype(np.int64)
