"""Gavel's ThroughputSumWithPerf: maximise total raw throughput (no fairness)."""

from __future__ import annotations

import numpy as np

from .base import Allocation, AllocationInputs, Policy, base_constraints
from .max_min_fairness import solve_cvxpy


class MaxSumThroughputPerf(Policy):
    gavel_name = "ThroughputSumWithPerf"

    def __init__(self, solver: str = "ECOS") -> None:
        self.solver = solver

    def get_allocation(self, inputs: AllocationInputs) -> Allocation:
        import cvxpy as cp  # imported lazily: slow to import, and unused on the direct ECOS path

        if not inputs.job_ids or not inputs.worker_types:
            return {}
        throughputs = inputs.throughput_matrix()
        n = throughputs.shape[1]
        x = cp.Variable(throughputs.shape)
        costs = np.ones((1, n))
        objective = cp.Maximize(cp.sum(cp.sum(cp.multiply(throughputs / costs, x), axis=1)))
        constraints = base_constraints(cp, x, inputs)
        problem = cp.Problem(objective, constraints)
        return self.unflatten(solve_cvxpy(self, problem, x).clip(min=0.0).clip(max=1.0), inputs)
