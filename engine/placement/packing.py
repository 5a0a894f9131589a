"""GpuPacking (fgd.md §3): three tiers — fits on already partly used GPUs (100 − Σ free %
of the chosen GPU / 10, floor 50), needs free GPUs on a used node (50 − GPUs taken, floor
33), or the node is empty (33 − its GPU count).  CPU-only tasks score 0 everywhere, so
they go to the first feasible node of the run's node order."""

from __future__ import annotations

import numpy as np

from ..model.units import MILLI
from .contract import ClusterView, TaskShape


class GpuPacking:
    name = "packing"
    _trusted = True   # a built-in: answers not re-checked; gets a TaskShape (contract.py)
    aliases = ("gpupacking",)

    def score(self, task: TaskShape, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        if task.num_gpus == 0:
            return np.zeros(nodes.size, np.int64)
        st, k, g = cluster._state, task.num_gpus, task.gpu_milli
        nf, gc = st.n_full_free[nodes], st.gpu_count[nodes]
        if g >= MILLI:
            used = np.full(nodes.size, max(50 - k, 33), np.int64)
        else:
            rows = st.free_gpu[nodes]
            bf = np.where(rows >= g, rows, MILLI + 1).min(axis=1)
            shared = np.maximum(100 - (bf * 100 // MILLI) // 10, 50)
            used = np.where(bf == MILLI, max(50 - 1, 33), shared)
        return np.where(nf == gc, np.maximum(100 // 3 - nf, nf), used)
