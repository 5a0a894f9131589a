"""BestFit (fgd.md §3): the node with the least leftover after placement.

Leftover = ½·(free CPU − c)/128 cores + ½·(free GPU − k·g)/8 GPUs; the score is
⌊(1 − leftover)·100⌋, min-max normalised over the candidates to integers 0..100 exactly
as the FGD simulator's ``best_fit_score.go`` and ``plugin_utils.go`` do (the
normalisation's flooring creates ties, and ties go to the run's node order).
"""

from __future__ import annotations

import numpy as np

from .contract import ClusterView, TaskView

MAX_SPEC_CPU = 128000          # the reference's normalisation constants (milli-CPU, milli-GPU)
MAX_SPEC_GPU = 8000


class BestFit:
    name = "bestfit"
    aliases = ("best-fit",)

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        idle = cluster.idle_gpu_milli[nodes]       # Σ free milli-GPU per node
        s = ((cluster.free_cpu_milli[nodes] - task.cpu_milli) / float(MAX_SPEC_CPU)) * 0.5
        s = s + ((idle - task.num_gpus * task.gpu_milli) / float(MAX_SPEC_GPU)) * 0.5
        raw = ((1.0 - s) * 100.0).astype(np.int64)
        lo, hi = int(raw.min()), int(raw.max())
        if hi == lo:
            return np.zeros(nodes.size, np.int64)
        return (raw - lo) * 100 // (hi - lo)
