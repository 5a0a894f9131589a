"""GpuPacking (fgd.md §3): three tiers — fits on already partly used GPUs (100 − Σ free %
of the chosen GPU / 10, floor 50), needs free GPUs on a used node (50 − GPUs taken, floor
33), or the node is empty (33 − its GPU count).  CPU-only tasks score 0 everywhere, so
they go to the first feasible node of the run's node order."""

from __future__ import annotations

import numpy as np

from ..model.units import MILLI
from .contract import ClusterView, TaskView


class GpuPacking:
    name = "packing"
    aliases = ("gpupacking",)

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        if task.num_gpus == 0:
            return np.zeros(nodes.size, np.int64)
        k, g = task.num_gpus, task.gpu_milli
        nf, gc = cluster.full_free_gpus[nodes], cluster.gpu_count[nodes]
        if g >= MILLI:
            used = np.full(nodes.size, max(50 - k, 33), np.int64)
        else:
            rows = cluster.free_gpu_milli[nodes]
            bf = np.where(rows >= g, rows, MILLI + 1).min(axis=1)
            shared = np.maximum(100 - (bf * 100 // MILLI) // 10, 50)
            used = np.where(bf == MILLI, max(50 - 1, 33), shared)
        return np.where(nf == gc, np.maximum(100 // 3 - nf, nf), used)
