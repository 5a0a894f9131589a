"""Built-in placements re-written as plug-ins from their formulas in fgd.md §3, using only
the public contract (no private fast paths).  tests/test_plugins.py checks that the
framework makes them decide exactly like the built-ins."""

import numpy as np


class FormulaBestFit:
    """BestFit: ½·(C−c)/128 cores + ½·(U−k·g)/8 GPUs left over, smallest wins; integer
    scores min-max normalised to 0..100 (best_fit_score.go, plugin_utils.go)."""

    name = "bestfit"

    def score(self, task, cluster, nodes):
        free_gpu = cluster.free_gpu_milli[nodes].sum(axis=1)
        left = ((cluster.free_cpu_milli[nodes] - task.cpu_milli) / 128000.0) * 0.5
        left = left + ((free_gpu - task.num_gpus * task.gpu_milli) / 8000.0) * 0.5
        raw = ((1.0 - left) * 100.0).astype(np.int64)
        lo, hi = raw.min(), raw.max()
        return np.zeros(len(nodes), np.int64) if hi == lo else (raw - lo) * 100 // (hi - lo)


class FormulaDotProd:
    """DotProd: the smallest dot product of the max-normalised free (CPU, GPU) vector with
    the task's demand (dot_product_score.go)."""

    name = "dotprod"

    def score(self, task, cluster, nodes):
        a0 = cluster.free_cpu_milli[nodes] / 128000.0
        a1 = cluster.free_gpu_milli[nodes].sum(axis=1) / 8000.0
        ip = a0 * (task.cpu_milli / 128000.0) + a1 * ((task.num_gpus * task.gpu_milli) / 8000.0)
        return ((1.0 - ip / 2.0) * 100.0).astype(np.int64)


class FormulaFGD:
    """FGD from its definition (fgd.md §2.2): the integer score ⌊100·σ(−Δ/1000)⌋ of
    ``cluster.frag_delta`` (or −Δ with ``exact`` scoring) and the GPU FGD picks
    (``cluster.frag_gpus``): no index, no fast hook."""

    name = "fgd"

    def __init__(self, scoring=None):
        self.scoring = scoring

    def score(self, task, cluster, nodes):
        delta = cluster.frag_delta(task, nodes)
        if (self.scoring or cluster.fgd_scoring) == "exact":
            return -delta
        x = -delta / 1000.0
        return ((1.0 / (1.0 + np.exp(-x))) * 100.0).astype(np.int64)

    def pick_gpus(self, task, cluster, node):
        return cluster.frag_gpus(task, node, self.scoring)
