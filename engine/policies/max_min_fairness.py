"""Gavel's MaxMinFairness LP, heterogeneity-aware (``_perf``) and agnostic.

The arithmetic follows Gavel's operation order exactly (gavel.md §6.1): ECOS returns
"zero" allocations around 1e-11 and those values order the back-fill of leftover
GPUs, so a mathematically equal but differently rounded formulation changes
results.  Do not "simplify" the expressions below.
"""

from __future__ import annotations

import numpy as np

from ..model.errors import SimulationError
from .base import Allocation, AllocationInputs, Policy, lp_constraints, proportional_allocation
from .mmf_ecos import solve_max_min
from .classes import reduce_to_classes
from .solve import cvxpy_solve, solve_checked


def solve_cvxpy(policy: Policy, problem, x) -> np.ndarray:
    """Solve a cvxpy LP with the policy's solver, retrying a non-optimal status with the
    fallback solvers unless the policy is in Gavel's exact mode (:mod:`.solve`)."""
    retry = (lambda other: cvxpy_solve(problem, x, other)) if not policy.gavel_exact else None
    value, policy.last_solve = solve_checked((policy.solver, lambda: cvxpy_solve(problem, x, policy.solver)),
                                             retry)
    if value is None:
        raise SimulationError(f"allocation LP: no solver found an answer ({policy.last_solve.note})")
    return value


class MaxMinFairnessPerf(Policy):
    """max min_i sum_k c_ik x_ik with c = T * (1/w)(1/P) * s (Gavel's ``MaxMinFairness_Perf``)."""

    gavel_name = "MaxMinFairness_Perf"

    def __init__(self, solver: str = "ECOS", direct: bool = True) -> None:
        self.solver = solver
        # ECOS is called directly with the arrays cvxpy would build (mmf_ecos.py);
        # ``direct=False`` keeps the cvxpy formulation, used to cross-check it.
        self.direct = direct and solver == "ECOS"

    def setup(self, run) -> None:
        super().setup(run)
        self.direct = self.direct and self.solver == "ECOS"

    def _throughputs(self, inputs: AllocationInputs) -> np.ndarray:
        return inputs.throughput_matrix()

    def get_allocation(self, inputs: AllocationInputs) -> Allocation:
        if not inputs.job_ids or not inputs.worker_types:
            return {}
        throughputs = self._throughputs(inputs)
        m, n = throughputs.shape
        scale_factors_array = inputs.scale_factor_matrix()
        priority_weights = np.array([1. / inputs.priority_weights[j] for j in inputs.job_ids])
        x_prop = proportional_allocation(inputs, m)
        proportional = np.sum(np.multiply(throughputs, x_prop), axis=1).reshape((m, 1))
        if (proportional == 0).any():
            j = inputs.job_ids[int(np.flatnonzero(proportional.ravel() == 0)[0])]
            raise SimulationError(f"job {j} has zero throughput on every GPU type in the cluster; "
                                  "it can never run")
        priority_weights = np.multiply(priority_weights.reshape((m, 1)),
                                       1.0 / proportional.reshape((m, 1)))
        coefficients = np.multiply(throughputs * priority_weights.reshape((m, 1)),
                                   scale_factors_array)
        capacity, workers = inputs.capacity_matrix(), inputs.num_workers()
        job_class = None
        if not self.gavel_exact:   # round mode: one row per job class (classes.py)
            coefficients, capacity, job_class = reduce_to_classes(coefficients, capacity)

        if self.direct:
            def retry(other: str):   # the same LP through cvxpy, for a fallback solver
                return cvxpy_solve(*self._cvxpy_problem(coefficients, capacity, workers), other)
            value, self.last_solve = solve_checked(
                ("ECOS", lambda: solve_max_min(coefficients, capacity, workers)), None if self.gavel_exact else retry)
        else:
            value = solve_cvxpy(self, *self._cvxpy_problem(coefficients, capacity, workers))
        if job_class is not None:
            return self.unflatten_floats(value.clip(min=0.0).clip(max=1.0)[job_class], inputs)
        return self.unflatten(value.clip(min=0.0).clip(max=1.0), inputs)

    @staticmethod
    def _cvxpy_problem(coefficients: np.ndarray, capacity: np.ndarray, workers: list[int]):
        import cvxpy as cp  # imported lazily: slow to import, unused on the direct ECOS path

        x = cp.Variable(coefficients.shape)
        objective = cp.Maximize(cp.min(cp.sum(cp.multiply(coefficients, x), axis=1)))
        return cp.Problem(objective, lp_constraints(cp, x, capacity, workers)), x


class MaxMinFairness(MaxMinFairnessPerf):
    """Heterogeneity-agnostic: every throughput replaced by 1.0 (equal GPU-time shares)."""

    gavel_name = "MaxMinFairness"
    shuffle_gpu_types = True

    def _throughputs(self, inputs: AllocationInputs) -> np.ndarray:
        return np.array([[1.0 for _ in inputs.worker_types] for _ in inputs.job_ids])
