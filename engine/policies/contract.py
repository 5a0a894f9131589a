"""The allocation-policy plug-in contract: what ``allocate`` sees and what it must return.

A policy is any class with ``allocate(problem)`` returning a (jobs × GPU types) array of
time fractions (docs/plugins.md).  The framework checks every result — right shape,
finite, ≥ 0, each row summing to ≤ 1, and Σ gpu_demand·x ≤ capacity per type — and a
violation is a :class:`~fragscope.plugins.PluginError` naming the policy, never silently
clipped.  Built-ins keep their private fast path (``get_allocation``: Gavel's dict of the
exact floats its arithmetic produced).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..plugins import PluginError, PluginRef, failure
from .base import Allocation, AllocationInputs
from .solve import SolveInfo

TOLERANCE = 1e-6   # slack on the constraints, for solvers' round-off


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class AllocationProblem:
    """What a policy plug-in receives (read-only numpy arrays; rows are jobs, columns GPU types).

    ``throughputs`` is steps/s (0 where the job can never run); ``scale_factors`` the GPUs
    per job; ``gpu_demand`` what the capacity constraint counts per job (the scale factor
    with sharing off, num_gpus × milli/1000 with sharing on); ``capacity`` GPUs per type.
    """

    job_ids: tuple[int, ...]
    gpu_types: tuple[str, ...]
    throughputs: np.ndarray
    scale_factors: np.ndarray
    gpu_demand: np.ndarray
    priority_weights: np.ndarray
    capacity: np.ndarray
    inputs: AllocationInputs          # the built-ins' view of the same state

    @staticmethod
    def of(inputs: AllocationInputs) -> "AllocationProblem":
        ids = tuple(inputs.job_ids)
        demand = inputs.capacity_matrix()[:, 0] if ids and inputs.worker_types else np.zeros(len(ids))
        return AllocationProblem(
            ids, tuple(inputs.worker_types),
            _readonly(inputs.throughput_matrix().reshape(len(ids), len(inputs.worker_types))),
            _readonly(np.array([inputs.scale_factors[j] for j in ids], np.int64)),
            _readonly(np.asarray(demand, np.float64)),
            _readonly(np.array([inputs.priority_weights[j] for j in ids], np.float64)),
            _readonly(np.array(inputs.num_workers(), np.float64)), inputs)


def checked_allocation(ref: PluginRef, x: Any, problem: AllocationProblem) -> np.ndarray:
    """The policy's answer as a float array, or a PluginError saying which rule it broke."""
    m, n = len(problem.job_ids), len(problem.gpu_types)
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise failure(ref, f"allocate() must return a ({m} jobs × {n} GPU types) array of numbers, "
                           f"got {type(x).__name__}") from None
    if arr.shape != (m, n):
        raise failure(ref, f"allocate() returned shape {arr.shape}; expected ({m} jobs × {n} GPU types "
                           f"{list(problem.gpu_types)})")
    if not np.isfinite(arr).all():
        i, k = map(int, np.argwhere(~np.isfinite(arr))[0])
        raise failure(ref, f"allocate() returned {arr[i, k]} for job {problem.job_ids[i]} on "
                           f"{problem.gpu_types[k]}: time fractions must be finite")
    if (arr < -TOLERANCE).any():
        i, k = map(int, np.argwhere(arr < -TOLERANCE)[0])
        raise failure(ref, f"allocate() returned {arr[i, k]:.6g} for job {problem.job_ids[i]} on "
                           f"{problem.gpu_types[k]}: time fractions must be >= 0")
    rows = arr.sum(axis=1)
    if (rows > 1 + TOLERANCE).any():
        i = int(np.flatnonzero(rows > 1 + TOLERANCE)[0])
        raise failure(ref, f"allocate() gives job {problem.job_ids[i]} time fractions summing to "
                           f"{rows[i]:.6g} (> 1)")
    used = problem.gpu_demand @ arr if m else np.zeros(n)
    over = used > problem.capacity * (1 + TOLERANCE) + TOLERANCE
    if over.any():
        k = int(np.flatnonzero(over)[0])
        raise failure(ref, f"allocate() uses {used[k]:.6g} GPUs of type {problem.gpu_types[k]} "
                           f"(Σ gpu_demand·x), which has {problem.capacity[k]:g}")
    return arr


def run_policy(policy: Any, inputs: AllocationInputs, gavel_exact: bool = True,
               ref: PluginRef | None = None) -> tuple[Allocation, SolveInfo | None]:
    """One allocation from ``policy`` and how its LP was solved (None: no LP).

    Built-ins answer through their fast path, told whether this is Gavel's own mode
    (``gavel_exact``: Gavel's per-job LP, no solver retry) or round mode (job classes,
    retries); a plug-in answers through the checked ``allocate`` contract."""
    fast = getattr(policy, "get_allocation", None)
    if fast is not None:
        policy.gavel_exact, policy.last_solve = gavel_exact, None
        alloc = fast(inputs)
        return alloc, policy.last_solve
    if not inputs.job_ids or not inputs.worker_types:
        return {}, None
    from .registry import REGISTRY
    ref = ref or REGISTRY.ref_for(policy)
    problem = AllocationProblem.of(inputs)
    try:
        x = policy.allocate(problem)
    except PluginError:
        raise
    except Exception as exc:  # noqa: BLE001 - the plug-in's failure is bad input, shown with its lines
        raise failure(ref, "allocate() raised", exc) from None
    arr = checked_allocation(ref, x, problem)
    return {j: {w: float(arr[i, k]) for k, w in enumerate(problem.gpu_types)}
            for i, j in enumerate(problem.job_ids)}, None
