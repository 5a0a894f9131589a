"""Random-fit (fgd.md §3): a uniformly random feasible node and a random fitting GPU,
drawn from the run's seeded generator (so a run is reproducible)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.units import MILLI
from .contract import ClusterView, TaskShape


class RandomFit:
    name = "random"
    _trusted = True   # a built-in: answers not re-checked; gets a TaskShape (contract.py)
    aliases = ("randomfit", "random-fit")
    rule = "uniformly random feasible node"

    def setup(self, run: Any) -> None:
        self.rng = run.rng

    def score(self, task: TaskShape, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        s = np.zeros(nodes.size, np.int64)
        s[self._choose(nodes)] = 100   # the drawn node is the one highest score
        return s

    def _choose(self, nodes: np.ndarray) -> int:
        """The framework's shortcut when no decision record is asked for: the same draw."""
        return int(self.rng.integers(nodes.size))

    def pick_gpus(self, task: TaskShape, cluster: ClusterView, node: int) -> tuple[int, ...]:
        if task.num_gpus == 0:
            return ()
        row = cluster.free_gpu_milli[node]
        if task.gpu_milli >= MILLI:
            return tuple([i for i, v in enumerate(row.tolist()) if v == MILLI][:task.num_gpus])
        fit = np.flatnonzero(row >= task.gpu_milli)
        return (int(fit[self.rng.integers(len(fit))]),)
