"""FGD + spread: FGD's fragmentation gradient, with a small bonus for emptier nodes.

An example of "FGD + something" in a few lines (docs/plugins.md): ``cluster.frag_delta``
gives FGD's Δ F_n(M) per candidate node in milli-GPU (negative = less fragmentation),
so a plug-in can reuse it and add its own term.  ``pick_gpus`` is left out: a fractional
task gets the best-fit GPU, a whole-GPU task the lowest-index free GPUs.

    fragscope run plugins/fgd-spread --out runs/fgd-spread
"""

import numpy as np


class FgdSpread:
    name = "fgd+spread"

    def __init__(self, spread_weight: float = 50.0):
        self.spread_weight = spread_weight

    def score(self, task, cluster, nodes):
        delta = cluster.frag_delta(task, nodes)                  # milli-GPU, lower is better
        free = cluster.free_gpu_milli[nodes].sum(axis=1)
        share_free = free / np.maximum(cluster.gpu_count[nodes] * 1000, 1)
        return -delta + self.spread_weight * share_free
