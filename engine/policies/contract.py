"""The allocation-policy plug-in contract: what a policy sees and what it must return.

A policy is any class with ``allocate(problem)`` returning a (jobs × GPU types) array of
time fractions (docs/plugins.md).  It may also answer in Gavel's own form through the
optional hook ``get_allocation(inputs)`` — ``{job: {GPU type: fraction}}``, the exact
floats its arithmetic produced (the built-ins do, to reproduce Gavel bit for bit).
Either way the framework checks every answer — right shape (known jobs and types),
finite, ≥ 0, each row summing to ≤ 1, and Σ gpu_demand·x ≤ capacity per type — and a
violation is a :class:`~fragscope.plugins.PluginError` naming the policy, never silently
clipped.  A built-in and a user's policy (a subclass of a built-in included) take the
same road: :func:`run_policy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from ..model.errors import InputError, SimulationError
from ..plugin_rng import call_plugin
from ..plugins import PluginRef, failure, own_hook, owns
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
    Contract 2 adds what finish-time, SRTF and least-attained-service policies need: each
    job's ``total_steps``, ``remaining_steps`` (so ``total - remaining`` is the work done),
    ``arrival_s`` and ``time_in_system_s``; the clock ``now_s`` and ``round_index``.
    """

    job_ids: tuple[int, ...]
    gpu_types: tuple[str, ...]
    throughputs: np.ndarray
    scale_factors: np.ndarray
    gpu_demand: np.ndarray
    priority_weights: np.ndarray
    capacity: np.ndarray
    inputs: AllocationInputs          # the built-ins' view of the same state
    total_steps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    remaining_steps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    arrival_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    time_in_system_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    now_s: float = 0.0
    round_index: int = 0

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
            _readonly(np.array(inputs.num_workers(), np.float64)), inputs,
            _per_job(inputs.total_steps, ids), _per_job(inputs.num_steps_remaining, ids),
            _per_job(inputs.arrival_s, ids), _per_job(inputs.times_since_start, ids),
            float(inputs.now_s), int(inputs.round_index))


def _per_job(values: dict[int, float] | None, ids: tuple[int, ...]) -> np.ndarray:
    """A per-job dict as a read-only array in ``ids`` order (NaN when not given)."""
    if values is None:
        return _readonly(np.full(len(ids), np.nan))
    return _readonly(np.array([values[j] for j in ids], np.float64))


def checked_allocation(ref: PluginRef, x: Any, problem: AllocationProblem, what: str = "allocate",
                       capacity: bool = True) -> np.ndarray:
    """The policy's answer as a float array, or a PluginError saying which rule it broke
    (``capacity`` False: all but the capacity rule — the policy says ``may_exceed_capacity``)."""
    m, n = len(problem.job_ids), len(problem.gpu_types)
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise failure(ref, f"{what}() must return a ({m} jobs × {n} GPU types) array of numbers, "
                           f"got {type(x).__name__}") from None
    if arr.shape != (m, n):
        raise failure(ref, f"{what}() returned shape {arr.shape}; expected ({m} jobs × {n} GPU types "
                           f"{list(problem.gpu_types)})")
    return _checked_rules(ref, arr, problem.job_ids, problem.gpu_types, problem.gpu_demand,
                          problem.capacity if capacity else None, what)


def _checked_rules(ref: PluginRef, arr: np.ndarray, job_ids: Any, gpu_types: Any, demand: np.ndarray,
                   capacity: np.ndarray | None, what: str) -> np.ndarray:
    """The contract's rules on a (jobs × types) float array (the one set, for both forms)."""
    if not np.isfinite(arr).all():
        i, k = map(int, np.argwhere(~np.isfinite(arr))[0])
        raise failure(ref, f"{what}() returned {arr[i, k]} for job {job_ids[i]} on "
                           f"{gpu_types[k]}: time fractions must be finite")
    if (arr < -TOLERANCE).any():
        i, k = map(int, np.argwhere(arr < -TOLERANCE)[0])
        raise failure(ref, f"{what}() returned {arr[i, k]:.6g} for job {job_ids[i]} on "
                           f"{gpu_types[k]}: time fractions must be >= 0")
    rows = arr.sum(axis=1)
    if (rows > 1 + TOLERANCE).any():
        i = int(np.flatnonzero(rows > 1 + TOLERANCE)[0])
        raise failure(ref, f"{what}() gives job {job_ids[i]} time fractions summing to "
                           f"{rows[i]:.6g} (> 1)")
    if capacity is None:
        return arr
    used = demand @ arr if len(job_ids) else np.zeros(len(gpu_types))
    over = used > capacity * (1 + TOLERANCE) + TOLERANCE
    if over.any():
        k = int(np.flatnonzero(over)[0])
        raise failure(ref, f"{what}() uses {used[k]:.6g} GPUs of type {gpu_types[k]} "
                           f"(Σ gpu_demand·x), which has {capacity[k]:g}")
    return arr


def checked_allocation_dict(ref: PluginRef, alloc: Any, inputs: AllocationInputs,
                            capacity: bool = True) -> Allocation:
    """``get_allocation``'s answer — {job: {GPU type: fraction}} — checked by the same rules
    as ``allocate``'s array (a job or type left out counts 0; one not in ``inputs`` is an
    error).  Returned unchanged: the mechanism reads the policy's own floats."""
    what = "get_allocation"
    if not isinstance(alloc, dict):
        raise failure(ref, f"{what}() must return a dict {{job id: {{GPU type: time fraction}}}}, "
                           f"got {type(alloc).__name__}")
    ids, types = inputs.job_ids, inputs.worker_types
    n = len(types)
    rows, found = [], 0
    zeros = [0.0] * n
    row_of = itemgetter(*types) if n > 1 else (lambda r: (r[types[0]],)) if n else (lambda r: ())
    for j in ids:
        r = alloc.get(j)
        if r is None:
            rows.append(zeros)
            continue
        found += 1
        if type(r) is dict and len(r) == n:
            try:
                rows.append(row_of(r))   # (every type there: nothing else is)
                continue
            except KeyError:
                pass
        if not isinstance(r, dict):
            raise failure(ref, f"{what}() gives job {j} {type(r).__name__} {r!r:.60}; expected a dict "
                               f"{{GPU type: time fraction}}")
        unknown = [w for w in r if w not in types]
        if unknown:
            raise failure(ref, f"{what}() gives job {j} a time fraction on {unknown[0]!r}, which is not a GPU "
                               f"type of the cluster ({', '.join(types)})")
        rows.append([r.get(w, 0.0) for w in types])
    if found != len(alloc):
        known = set(ids)
        extra = next(j for j in alloc if j not in known)
        raise failure(ref, f"{what}() gives a time fraction to job {extra!r}, which is not an active job")
    if not ids or not n:
        return alloc
    try:
        arr = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next((j, w, v) for j, r in zip(ids, rows) for w, v in zip(types, r)
                   if not isinstance(v, (int, float, np.number)) or isinstance(v, bool))
        raise failure(ref, f"{what}() gives job {bad[0]} {bad[2]!r} on {bad[1]}: time fractions must be "
                           f"numbers") from None
    _checked_rules(ref, arr, ids, types, inputs.capacity_column(),
                   np.array(inputs.num_workers(), np.float64) if capacity else None, what)
    return alloc


def run_policy(policy: Any, inputs: AllocationInputs, gavel_exact: bool = True,
               ref: PluginRef | None = None) -> tuple[Allocation, SolveInfo | None]:
    """One allocation from ``policy`` and how its LP was solved (None: no LP).

    One road for every policy: its ``get_allocation`` hook when it has one that answers
    for its ``allocate`` (defined on the class ``allocate`` comes from, or below it — a
    subclass overriding ``allocate`` has its ``allocate`` answer), else ``allocate``;
    the answer is checked by the contract either way.  Before the hook, the policy is
    told whether this is Gavel's own mode (``gavel_exact``: Gavel's per-job LP, no
    solver retry) or round mode (job classes, retries); its ``last_solve`` is read after."""
    from .registry import REGISTRY
    capacity = getattr(policy, "may_exceed_capacity", False) is not True
    hook = own_hook(policy, "get_allocation", "allocate")
    if hook is not None:
        policy.gavel_exact, policy.last_solve = gavel_exact, None
        alloc = _call(policy, ref, hook, "get_allocation", inputs)
        if inputs.job_ids and inputs.worker_types or alloc:
            checked_allocation_dict(ref or REGISTRY.ref_for(policy), alloc, inputs, capacity)
        return alloc, getattr(policy, "last_solve", None)
    if not inputs.job_ids or not inputs.worker_types:
        return {}, None
    ref = ref or REGISTRY.ref_for(policy)
    problem = AllocationProblem.of(inputs)
    x = _call(policy, ref, policy.allocate, "allocate", problem)
    arr = checked_allocation(ref, x, problem, capacity=capacity)
    return {j: {w: float(arr[i, k]) for k, w in enumerate(problem.gpu_types)}
            for i, j in enumerate(problem.job_ids)}, None


def _call(policy: Any, ref: PluginRef | None, fn: Any, what: str, arg: Any) -> Any:
    """``fn(arg)``; an exception in it is a PluginError naming the policy, with its own
    traceback lines (fragscope's own InputError and SimulationError pass as they are)."""
    from .registry import REGISTRY
    ref = ref or REGISTRY.ref_for(policy)
    try:
        return call_plugin(owns(ref), fn, arg)   # plug-in code: no global random state (fragscope.plugin_rng)
    except (InputError, SimulationError):
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the plug-in's failure is bad input, with its lines
        raise failure(ref, f"{what}() raised", exc) from None
