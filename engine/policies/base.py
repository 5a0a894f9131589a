"""What every allocation policy receives and returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Allocation = dict[int, dict[str, float]]


@dataclass
class AllocationInputs:
    """The scheduler state a policy may read (Gavel's ``_get_allocation_state``).

    ``job_ids`` are the active jobs ascending and ``worker_types`` the registered GPU
    types alphabetically: Gavel's row and column order, which the LP arithmetic
    depends on.  ``gpu_demands`` is set only when GPU sharing is on.
    """

    job_ids: list[int]
    worker_types: list[str]
    throughputs: dict[int, dict[str, float]]
    scale_factors: dict[int, int]
    priority_weights: dict[int, float]
    cluster_spec: dict[str, int]
    num_steps_remaining: dict[int, float]
    times_since_start: dict[int, float]
    gpu_demands: dict[int, float] | None = None
    # context for plug-ins (contract 2): each job's total work and arrival, the clock and round
    total_steps: dict[int, float] | None = None
    arrival_s: dict[int, float] | None = None
    now_s: float = 0.0
    round_index: int = 0

    def throughput_matrix(self) -> np.ndarray:
        return np.array([[self.throughputs[j][w] for w in self.worker_types] for j in self.job_ids])

    def scale_factor_matrix(self) -> np.ndarray:
        return self._per_job_rows(self.scale_factors)

    def _column(self, value: dict) -> np.ndarray:
        """The jobs' values in ``job_ids`` order, as doubles."""
        return np.array([value[j] for j in self.job_ids], dtype=np.float64)

    def _per_job_rows(self, value: dict) -> np.ndarray:
        """(jobs × types), every row the job's value (the same doubles a loop would store)."""
        return np.repeat(self._column(value)[:, None], len(self.worker_types), axis=1)

    def _demand(self) -> dict:
        """Each job's GPU demand for the capacity constraint: its scale factor, or its
        fractional demand when sharing is on."""
        return self.scale_factors if self.gpu_demands is None else self.gpu_demands

    def capacity_matrix(self) -> np.ndarray:
        """(jobs × types) of :meth:`_demand`, the LP's capacity coefficients."""
        return self._per_job_rows(self._demand())

    def capacity_column(self) -> np.ndarray:
        """One column of :meth:`capacity_matrix` (the contract's capacity check needs no more)."""
        return self._column(self._demand())

    def num_workers(self) -> list[int]:
        return [self.cluster_spec[w] for w in self.worker_types]


def lp_constraints(cp, x, capacity, workers) -> list:
    """Gavel's base constraints, in Gavel's order (the order shapes the conic form):
    x >= 0; per GPU type sum_i demand_i x_ik <= N_k; per job sum_k x_ik <= 1."""
    return [
        x >= 0,
        cp.sum(cp.multiply(capacity, x), axis=0) <= workers,
        cp.sum(x, axis=1) <= 1,
    ]


def base_constraints(cp, x, inputs: AllocationInputs) -> list:
    """:func:`lp_constraints` for every active job (the per-job LP)."""
    return lp_constraints(cp, x, inputs.capacity_matrix(), inputs.num_workers())


class Policy:
    """Base class of the built-in policies (a user's policy needs none of it: any class
    with ``allocate(problem)`` will do, docs/plugins.md).

    The mechanism behaviour a policy needs is declared, not inferred from its name:
    ``shuffle_gpu_types`` (Gavel shuffles the GPU-type order every round for its policies
    whose class name lacks "Perf"/"Packing") and ``skip_zero_priority`` (FIFO never
    schedules a job whose priority is 0).  ``gavel_name`` is Gavel's class name, for
    reference only.  Built-ins answer through ``get_allocation`` (Gavel's dict, the exact
    floats Gavel's arithmetic produced); ``allocate`` gives the same as an array.
    """

    gavel_name = "Policy"
    solver = "ECOS"
    shuffle_gpu_types = False
    skip_zero_priority = False
    may_exceed_capacity = False   # the contract's capacity rule is waived (Gavel's Isolated)
    # Set by run_policy (contract.py) before every LP: True in Gavel's own mode (sharing off,
    # Gavel's placement), where Gavel's answers are reproduced bit for bit; otherwise an LP
    # policy may solve over job classes (classes.py) and retries a non-optimal status (solve.py).
    gavel_exact = True
    last_solve = None   # SolveInfo of the latest LP, for the simulation's counters

    def setup(self, run) -> None:
        """The run's solver (scenario key ``solver``) and seed, before the first round."""
        self.solver = run.solver

    def allocate(self, problem) -> np.ndarray:
        """The plug-in contract's form of :meth:`get_allocation`: (jobs × types) array."""
        alloc = self.get_allocation(problem.inputs)
        return np.array([[alloc.get(j, {}).get(w, 0.0) for w in problem.gpu_types] for j in problem.job_ids])

    def get_allocation(self, inputs: AllocationInputs) -> Allocation:
        raise NotImplementedError

    @staticmethod
    def unflatten(x: np.ndarray, inputs: AllocationInputs) -> Allocation:
        out: Allocation = {}
        for i, j in enumerate(inputs.job_ids):
            row = x[i]
            out[j] = {w: row[k] for k, w in enumerate(inputs.worker_types)}
        return out

    @staticmethod
    def unflatten_floats(x: np.ndarray, inputs: AllocationInputs) -> Allocation:
        """:meth:`unflatten` with Python floats (the same doubles; several times faster
        at thousands of jobs) — for round mode, whose LP is not Gavel's to the bit anyway."""
        types = inputs.worker_types
        return {j: dict(zip(types, row)) for j, row in zip(inputs.job_ids, x.tolist())}


def proportional_allocation(inputs: AllocationInputs, m: int) -> np.ndarray:
    """Gavel's equal-share split: N_k/m per cell, divided by the largest row sum (every row
    is the same, so one row is computed and repeated: the same doubles)."""
    row = np.array([inputs.cluster_spec[w] / m for w in inputs.worker_types])
    x = np.repeat(row[None, :], m, axis=0)
    return x / np.sum(x, axis=1).max()


def isolated_allocation(inputs: AllocationInputs, m: int, scale_factors: np.ndarray) -> np.ndarray:
    """Gavel's IsolatedPolicy split: N_k/m per cell over scale factor, rows capped at 1."""
    x = np.array([[inputs.cluster_spec[w] / m for w in inputs.worker_types] for _ in range(m)])
    x = x / scale_factors
    return x / np.sum(x, axis=1).max()
