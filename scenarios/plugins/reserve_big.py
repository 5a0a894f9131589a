"""Reserve: keep the big servers for big jobs — a placement that says no, with a reason.

An example of a placement's ``filter`` (docs/plugins.md "Saying no"): before any node is
scored, ``filter(task, cluster, nodes)`` returns a boolean mask over ``nodes`` (True = may
place) and, optionally, the reason for the refused ones.  Refused nodes are never offered
to ``score``; ``fragscope why`` and the app's inspector count them by that reason.  When
it refuses every node, the task is left unplaced *on purpose*: in round mode the job waits
and is asked again next round ("why waiting: … vetoed by the placement (reserved …)"); in
the fill-up experiment the pod fails, like any pod no node takes.

Here the servers with ``reserved_gpus`` GPUs or more take only jobs of ``min_gpus`` GPUs or
more, so small jobs cannot fragment them; everything else is best fit.

    fragscope run plugins/reserve-big --out runs/reserve
    fragscope why runs/reserve --job 3 --round 4
    fragscope view plugins/reserve-big      # ctrl+p "Fork with placement bestfit" to compare
"""

import numpy as np


class ReserveBig:
    name = "reserve-big"

    def __init__(self, reserved_gpus: int = 8, min_gpus: int = 4):
        self.reserved_gpus = reserved_gpus
        self.min_gpus = min_gpus

    def filter(self, task, cluster, nodes):
        big = cluster.gpu_count[nodes] >= self.reserved_gpus
        return ~big | (task.num_gpus >= self.min_gpus), f"reserved for jobs of {self.min_gpus}+ GPUs"

    def score(self, task, cluster, nodes):
        # best fit: the node left with the least free GPU capacity wins
        return -cluster.free_gpu_milli[nodes].sum(axis=1)
