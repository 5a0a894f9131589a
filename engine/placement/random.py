"""Random-fit (fgd.md §3): a uniformly random feasible node and a random fitting GPU,
drawn from the run's seeded generator (so a run is reproducible)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.units import MILLI
from .contract import ClusterView, TaskView


class RandomFit:
    name = "random"
    aliases = ("randomfit", "random-fit")
    rule = "uniformly random feasible node"

    def setup(self, run: Any) -> None:
        self.rng = run.rng

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        s = np.zeros(nodes.size, np.int64)
        s[int(self.rng.integers(nodes.size))] = 100   # the drawn node is the one highest score
        return s

    def place_many(self, task: TaskView, cluster: ClusterView, count: int) -> list[tuple[int, tuple[int, ...]]]:
        """The fast hook: the same draw as :meth:`score` without a score array, one task
        at a time (each draw depends on the ones before)."""
        nodes = np.flatnonzero(cluster.feasible(task))
        if nodes.size == 0:
            return [(-1, ())]
        node = int(nodes[int(self.rng.integers(nodes.size))])
        return [(node, self.pick_gpus(task, cluster, node))]

    def pick_gpus(self, task: TaskView, cluster: ClusterView, node: int) -> tuple[int, ...]:
        if task.num_gpus == 0:
            return ()
        row = cluster.free_gpu_milli[node]
        if task.gpu_milli >= MILLI:
            return tuple([i for i, v in enumerate(row.tolist()) if v == MILLI][:task.num_gpus])
        fit = np.flatnonzero(row >= task.gpu_milli)
        return (int(fit[self.rng.integers(len(fit))]),)
