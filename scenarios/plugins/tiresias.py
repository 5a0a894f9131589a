"""Tiresias-like: least attained service first (a policy using contract 2).

Attained service here is the work a job has done times the GPUs it uses: (total_steps −
remaining_steps) × scale factor — GPU-steps, an approximation of Tiresias' GPU-time
(which needs no job-duration knowledge, as here: only the work already done is read).
Jobs with the least attained service get their fastest GPU type that has room, until the
GPUs are spoken for; ``queues`` > 1 makes it discretised, as Tiresias' multi-level queue:
service is bucketed on a log scale and ties inside a bucket go to the earliest arrival.

    fragscope run plugins/tiresias --out runs/tiresias
"""

import numpy as np


class LeastAttainedService:
    name = "tiresias"
    contract_version = 2      # reads problem.total_steps, remaining_steps, arrival_s

    def __init__(self, queues: int = 0):
        self.queues = queues

    def allocate(self, problem):
        attained = (problem.total_steps - problem.remaining_steps) * problem.scale_factors
        key = attained if self.queues <= 1 else np.minimum(np.floor(np.log10(1 + attained)), self.queues - 1)
        order = np.lexsort((problem.arrival_s, key))            # least service, then earliest arrival
        x = np.zeros(problem.throughputs.shape)
        room = problem.capacity.astype(float).copy()
        for i in order:
            for k in np.argsort(-problem.throughputs[i], kind="stable"):
                if problem.throughputs[i, k] > 0 and room[k] >= problem.gpu_demand[i]:
                    x[i, k] = 1.0
                    room[k] -= problem.gpu_demand[i]
                    break
        return x
