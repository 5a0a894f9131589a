"""SRTF-like: the job with the shortest remaining time runs first (a policy using contract 2).

Remaining time = remaining steps / the job's best throughput.  Jobs are taken shortest
first; each gets its fastest GPU type that still has room for it (all of its time there),
until the GPUs are spoken for.  Not Gavel's (no LP), and "like" SRTF: the round mechanism
turns these time fractions into rounds, so a job is not pre-empted the instant a shorter
one arrives.  Run it with

    fragscope run plugins/srtf --out runs/srtf
    fragscope view plugins/srtf      # ctrl+p "Fork with policy max_min_fairness_perf"
"""

import numpy as np


class ShortestRemainingFirst:
    name = "srtf"
    contract_version = 2      # reads problem.remaining_steps

    def allocate(self, problem):
        x = np.zeros(problem.throughputs.shape)
        best = problem.throughputs.max(axis=1)
        remaining_s = np.where(best > 0, problem.remaining_steps / np.maximum(best, 1e-12), np.inf)
        room = problem.capacity.astype(float).copy()
        for i in np.argsort(remaining_s, kind="stable"):          # shortest first, ties by job id
            for k in np.argsort(-problem.throughputs[i], kind="stable"):   # fastest type first
                if problem.throughputs[i, k] > 0 and room[k] >= problem.gpu_demand[i]:
                    x[i, k] = 1.0
                    room[k] -= problem.gpu_demand[i]
                    break
        return x
