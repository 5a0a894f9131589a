"""Gavel's FinishTimeFairness (Themis-style): minimise the worst finish-time ratio.

rho_i = (t_i + remaining_i / (sum_k T_ik x_ik)) / (t_i + remaining_i / T_iso_i), with
T_iso from the Isolated split.  The agnostic variant copies the reference (v100)
column to every type, as Gavel does; without a v100 column the first type is used.
"""

from __future__ import annotations

import numpy as np

from .base import Allocation, AllocationInputs, Policy, base_constraints, isolated_allocation
from .max_min_fairness import solve_cvxpy


class FinishTimeFairnessPerf(Policy):
    gavel_name = "FinishTimeFairness_Perf"

    def __init__(self, solver: str = "ECOS") -> None:
        self.solver = solver

    def _throughputs(self, inputs: AllocationInputs) -> np.ndarray:
        return inputs.throughput_matrix()

    def get_allocation(self, inputs: AllocationInputs) -> Allocation:
        import cvxpy as cp  # imported lazily: slow to import, and unused on the direct ECOS path

        if not inputs.job_ids or not inputs.worker_types:
            return {}
        throughputs = self._throughputs(inputs)
        m, _ = throughputs.shape
        scale_factors_array = inputs.scale_factor_matrix()
        x_isolated = isolated_allocation(inputs, m, scale_factors_array)
        isolated = np.sum(np.multiply(throughputs, x_isolated), axis=1)
        x = cp.Variable(throughputs.shape)
        fractions = []
        for i, j in enumerate(inputs.job_ids):
            t = inputs.times_since_start[j]
            remaining = inputs.num_steps_remaining[j]
            realised = cp.sum(cp.multiply(throughputs[i], x[i]))
            expected_isolated = t + remaining / isolated[i]
            expected = t + remaining * cp.inv_pos(realised)
            fractions.append(expected / expected_isolated)
        objective = cp.Minimize(fractions[0] if len(fractions) == 1 else cp.maximum(*fractions))
        constraints = base_constraints(cp, x, inputs)
        problem = cp.Problem(objective, constraints)
        return self.unflatten(solve_cvxpy(self, problem, x).clip(min=0.0).clip(max=1.0), inputs)


class FinishTimeFairness(FinishTimeFairnessPerf):
    gavel_name = "FinishTimeFairness"
    shuffle_gpu_types = True

    def _throughputs(self, inputs: AllocationInputs) -> np.ndarray:
        ref = "v100" if "v100" in inputs.worker_types else inputs.worker_types[0]
        return np.array([[inputs.throughputs[j][ref] for _ in inputs.worker_types]
                         for j in inputs.job_ids])
