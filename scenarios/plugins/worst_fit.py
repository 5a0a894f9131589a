"""WorstFit: put each task on the node with the most free GPU (and, optionally, CPU) left.

An example placement plug-in (docs/plugins.md): one class, one ``score`` method.  The
framework has already filtered ``nodes`` to those that can host the task; the highest
score wins and ties go to the run's seeded node order.  Run it with

    fragscope run plugins/worst-fit --out runs/worst-fit
    fragscope view plugins/worst-fit        # ctrl+p "Fork with placement fgd" to compare
"""

import numpy as np


class WorstFit:
    name = "worst-fit"

    def __init__(self, cpu_weight: float = 0.0):
        self.cpu_weight = cpu_weight

    def score(self, task, cluster, nodes):
        gpu = cluster.free_gpu_milli[nodes].sum(axis=1) / 1000
        return gpu + self.cpu_weight * cluster.free_cpu_milli[nodes] / 1000

    def explain(self, task, cluster, nodes, scores):
        """Extra inspector columns: what the score is made of."""
        return {"free GPU": cluster.free_gpu_milli[nodes].sum(axis=1) / 1000,
                "free CPU": cluster.free_cpu_milli[nodes] / 1000}
