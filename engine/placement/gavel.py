"""Gavel's consecutive first-fit: the first server in order with room, its first GPUs.

With GPU sharing off this is Gavel's own exclusive placement, bit for bit (whole GPUs,
possibly spanning servers: ``gavel_exclusive``); otherwise (round mode) the first server
with room and, for a fractional job, its first GPU with enough free milli-GPU.
"""

from __future__ import annotations

import numpy as np

from ..model.units import MILLI
from .contract import ClusterView, TaskView


class FirstFit:
    name = "gavel"
    aliases = ("first-fit", "firstfit")
    # With sharing off the mechanism uses Gavel's exclusive assignment instead of scoring.
    gavel_exclusive = True
    rule = "first server in order with room (Gavel's consecutive first-fit)"

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        return -nodes.astype(np.int64)

    def pick_gpus(self, task: TaskView, cluster: ClusterView, node: int) -> tuple[int, ...]:
        row = cluster.free_gpu_milli[node]
        if task.num_gpus == 0:
            return ()
        if task.gpu_milli >= MILLI:
            return tuple(int(i) for i in np.flatnonzero(row == MILLI)[:task.num_gpus])
        return (int(np.flatnonzero(row >= task.gpu_milli)[0]),)
