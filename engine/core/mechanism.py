"""Gavel's round-based mechanism: priorities, job selection and GPU-ID assignment.

Each function mirrors one method of Gavel's ``Scheduler`` (gavel.md §2–§4) and
keeps its quirks on purpose — lazy allocation resets, back-fill by priority-0
jobs, lease extension by exact GPU tuple — because they shape Gavel's results.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ..model.cluster import GAVEL_TYPES, Cluster
from ..model.errors import SimulationError
from ..policies import AllocationInputs, run_policy
from .state import SimState, allocation_matrix, job_matrix as _matrix, type_columns


@dataclass(frozen=True)
class MechanismConfig:
    cluster: Cluster
    round_seconds: float
    reset_interval: float
    worker_types: tuple[str, ...]  # registered types, alphabetical
    cluster_spec: dict[str, int]
    server_lists: dict[str, list[list[int]]] = field(default_factory=dict)
    speed: dict[str, float] = field(default_factory=dict)  # mean table throughput per type

    def __post_init__(self) -> None:
        for w in self.worker_types:
            self.server_lists[w] = self.cluster.server_gpu_lists(w)

    @property
    def half_round(self) -> float:
        return self.round_seconds / 2.0

    def type_order(self) -> list[str]:
        """Gavel's fixed [v100, p100, k80] order — fastest first — then any other
        registered types, fastest first by mean table throughput (an extension: Gavel
        only knows three types, and the first type in the walk back-fills first)."""
        order = [w for w in GAVEL_TYPES if w in self.worker_types]
        others = [w for w in self.worker_types if w not in GAVEL_TYPES]
        return order + sorted(others, key=lambda w: (-self.speed.get(w, 0.0), w))


def allocation_inputs(s: SimState, cfg: MechanismConfig) -> AllocationInputs:
    job_ids = sorted(s.jobs)
    demands = None
    if s.mode.sharing and s.mode.lp_capacity == "demand":
        demands = {j: s.jobs[j].scale_factor * s.jobs[j].gpu_milli / 1000 for j in job_ids}
    return AllocationInputs(
        job_ids=job_ids,
        worker_types=list(cfg.worker_types),
        throughputs={j: dict(s.throughputs[j]) for j in job_ids},
        scale_factors={j: s.jobs[j].scale_factor for j in job_ids},
        priority_weights={j: s.jobs[j].priority_weight for j in job_ids},
        cluster_spec=dict(cfg.cluster_spec),
        num_steps_remaining={j: s.jobs[j].total_steps - s.steps_run[j] for j in job_ids},
        times_since_start={j: s.now - s.start_ts[j] for j in job_ids},
        gpu_demands=demands,
        total_steps={j: s.jobs[j].total_steps for j in job_ids},
        arrival_s={j: s.start_ts[j] for j in job_ids},
        now_s=s.now,
        round_index=s.num_steps,
    )


def reset_time_run_so_far(s: SimState, cfg: MechanismConfig) -> None:
    """Fold time received since the last reset into the (lifelong) deficits.

    Per (job, type): deficit += allocation·elapsed − (time received − half a round),
    then the time received restarts at half a round; each type's total is the sum of
    those halves, added one by one as Gavel does (a sequential cumsum: same rounding)."""
    elapsed = s.now - s.last_reset_time
    half = cfg.half_round
    types = tuple(cfg.worker_types)
    arrays = s.arrays(types)
    ids = arrays.ids
    n = len(ids)
    received = arrays.received - half
    should = arrays.alloc * elapsed
    deficits = arrays.deficit + (should - received)
    for k, w in enumerate(types):
        s.deficits[w].update(zip(ids, deficits[:, k].tolist()))
    halves = dict.fromkeys(types, half)
    for times in s.job_time.values():
        times.update(halves)
    arrays.deficit = deficits
    arrays.received = np.full((n, len(types)), half, np.float64)
    total = float(np.cumsum(np.full(n, half, np.float64))[-1]) if n else 0.0
    for w in types:
        s.worker_time[w] = total
    s.last_reset_time = s.now


@dataclass(frozen=True)
class JobColumns:
    """The active jobs' per-type numbers as (jobs × types) arrays, rows in the order of
    the priority dicts (arrival order: Gavel's tie-break).  Built once per round: the
    priorities and the walk order are then a few numpy operations instead of
    ~12 000 dict look-ups each at Alibaba scale."""

    ids: np.ndarray          # job ids, row order
    types: tuple[str, ...]   # column order (the registered types)
    alloc: np.ndarray        # allocation, 0 for jobs missing from it
    has_alloc: np.ndarray    # job is in the allocation
    tput: np.ndarray         # throughputs
    prio: np.ndarray         # priorities
    deficit: np.ndarray      # deficits
    # each job's size, for selection (compute_priorities's columns have them; the dict
    # reader's, for the priority queue's display, do not)
    scale: np.ndarray | None = None       # scale factor per job (int)
    gpu_milli: np.ndarray | None = None   # the job's milli-GPU per GPU (int; used when sharing)


def _job_columns(s: SimState, types: tuple[str, ...]) -> JobColumns:
    """The columns of ``s``, read from its dicts (:func:`compute_priorities` gives the
    round's columns without reading them)."""
    priorities = s.priority_dicts()
    ids = list(priorities[types[0]]) if types else []
    alloc, has = allocation_matrix(s.allocation, ids, types)
    tput = _matrix(map(s.throughputs.__getitem__, ids), len(ids), types)
    return JobColumns(np.array(ids, np.int64), types, alloc, has, tput,
                      type_columns(priorities, ids, types), type_columns(s.deficits, ids, types))


def update_priorities(s: SimState, cfg: MechanismConfig) -> bool:
    """Recompute the allocation if due, then every priority.  Returns whether the
    LP (policy) ran this round."""
    return compute_priorities(s, cfg)[0]


def compute_priorities(s: SimState, cfg: MechanismConfig) -> tuple[bool, JobColumns]:
    """:func:`update_priorities`, also returning the round's :class:`JobColumns`.

    Gavel's rule per (job, type) with allocation a: a·1e9 if the job has received no
    time there yet (or a = 0), 0 if its throughput there is 0, else a / (time received
    there / all time given on the type); jobs missing from the allocation get 0.
    Element-wise numpy does the same IEEE double operations as the scalar code."""
    since = s.now - s.last_reset_time
    due = since >= cfg.reset_interval or s.last_reset_time == 0
    recomputed = False
    if s.need_update and due:
        reset_time_run_so_far(s, cfg)
        # in Gavel's own mode Gavel's LP, bit for bit (policies/contract.py)
        s.allocation, solve = run_policy(s.policy, allocation_inputs(s, cfg), gavel_exact=s.exact_mode)
        s.record_solve(solve)
        s.lp_fingerprint = lp_fingerprint(s.allocation, tuple(cfg.worker_types))
        s.need_update = False
        s.num_resets += 1
        recomputed = True
    types = tuple(cfg.worker_types)
    arrays = s.arrays(types)
    ids = arrays.ids
    alloc, has, tput, received = arrays.alloc, arrays.has, arrays.tput, arrays.received
    total = np.array([s.worker_time[w] for w in types], np.float64)
    p = alloc * 1e9
    nonzero = alloc != 0.0
    p[nonzero & (tput == 0)] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = received / total
        p = np.where(nonzero & (tput != 0) & (total != 0.0) & (fraction > 0.0), alloc / fraction, p)
    p[~has] = 0.0
    s.priority_rows = (types, ids, p)   # into s.priorities when read (SimState.priority_dicts)
    return recomputed, JobColumns(arrays.id_array, types, alloc, has, tput, p, arrays.deficit,
                                  arrays.scale, arrays.gpu_milli)


LP_FINGERPRINT_DECIMALS = 6   # shares are hashed rounded to 1e-6 (a solver's last digits differ)


def lp_fingerprint(allocation: dict[int, dict[str, float]], types: tuple[str, ...]) -> str:
    """16 hex digits of a BLAKE2b hash over the allocation (job ids and their time share
    per type, rounded to :data:`LP_FINGERPRINT_DECIMALS`): the second ingredient of a
    round's fingerprint (debugger.md §2); ``""`` for an empty allocation."""
    if not allocation:
        return ""
    ids = sorted(allocation)
    shares, _ = allocation_matrix(allocation, ids, types)
    shares = np.round(shares, LP_FINGERPRINT_DECIMALS) + 0.0   # (+ 0.0: -0.0 hashes as 0.0)
    h = hashlib.blake2b(np.asarray(ids, np.int64).tobytes(), digest_size=8)
    h.update(np.ascontiguousarray(shares).tobytes())
    return h.hexdigest()


def walk_rows(cols: JobColumns, k: int, runnable: bool, fifo: bool) -> np.ndarray:
    """Row indices of type column ``k`` in walk order: (priority, deficit, allocation)
    descending, ties in row order.  Python's reverse=True sort keeps equal keys in
    their original order; so does a stable ascending lexsort of the negated keys
    (last key = primary).  ``runnable`` drops the rows no walk would take first."""
    p, d, a = cols.prio[:, k], cols.deficit[:, k], cols.alloc[:, k]
    if runnable:
        keep = cols.has_alloc & (cols.tput[:, k] > 0)
        if fifo:
            keep &= ~(p <= 0.0)
        rows = np.flatnonzero(keep)
        p, d, a = p[rows], d[rows], a[rows]
        return rows[np.lexsort((-a, -d, -p))]
    return np.lexsort((-a, -d, -p))


def priority_queue(s: SimState, types: list[str], runnable: bool = False,
                   fifo: bool = False, cols: JobColumns | None = None
                   ) -> list[tuple[int, str, float, float, float]]:
    """Per-type lists sorted by (priority, deficit, allocation) descending (stable, so
    ties keep job-ID order), concatenated in ``types`` order: Gavel's walk order.

    ``runnable`` leaves out, before sorting (same order for the rest), the entries no
    walk would take: jobs without an allocation or with zero throughput on the type,
    and for FIFO (``fifo``) priorities ≤ 0."""
    if cols is None:
        cols = _job_columns(s, tuple(types))
    col = {w: k for k, w in enumerate(cols.types)}
    queue = []
    for w in types:
        k = col[w]
        rows = walk_rows(cols, k, runnable, fifo)
        queue.extend(zip(cols.ids[rows].tolist(), [w] * rows.size, cols.prio[rows, k].tolist(),
                         cols.deficit[rows, k].tolist(), cols.alloc[rows, k].tolist()))
    return queue


def select_jobs(s: SimState, cfg: MechanismConfig, types: list[str],
                skip_zero_priority: bool, cols: JobColumns | None = None) -> dict[str, list[tuple[int, int]]]:
    """Greedy walk of the priority queue counting whole GPUs per type (Gavel's
    ``_schedule_jobs_on_workers_helper``); placement happens afterwards."""
    scheduled: dict[str, list[tuple[int, int]]] = {w: [] for w in types}
    left = {w: cfg.cluster_spec[w] for w in types}
    queue = priority_queue(s, types, cols=cols)
    fifo = skip_zero_priority
    taken: set[int] = set()
    for j, w, p, _, _ in queue:
        if left[w] == 0 or j in taken:
            continue
        if s.throughputs[j][w] <= 0:
            continue
        if fifo and p <= 0.0:
            continue
        scale = s.jobs[j].scale_factor
        if scale > left[w]:
            continue
        left[w] -= scale
        taken.add(j)
        scheduled[w].append((j, scale))
    return scheduled


def assign_gpus(s: SimState, cfg: MechanismConfig, types: list[str],
                scheduled: dict[str, list[tuple[int, int]]]) -> dict[int, tuple[int, ...]]:
    """Consecutive first-fit in server order, largest jobs first, keeping last
    round's exact GPU tuple where possible (lease extension)."""
    new: dict[int, tuple[int, ...]] = {}
    gpu_type_of = cfg.cluster.gpu_type_of
    prev_types = {j: gpu_type_of[g[0]] for j, g in s.assignments.items()}
    for w in types:
        jobs = sorted(scheduled[w], key=lambda x: x[1], reverse=True)
        servers = [list(ids) for ids in cfg.server_lists[w]]
        assigned: set[int] = set()
        ptr = 0
        for size in sorted({x[1] for x in jobs}, reverse=True):
            for j, scale in jobs:
                if scale != size or prev_types.get(j) != w:
                    continue
                prev = s.assignments[j]
                if not any(g in assigned for g in prev):
                    new[j] = prev
                    assigned.update(prev)
            for j, scale in jobs:
                if scale != size or j not in s.allocation:
                    continue
                got = list(new.get(j, ()))
                while len(got) < scale and ptr < len(servers):
                    if not servers[ptr]:
                        ptr += 1
                        continue
                    gpu = servers[ptr][0]
                    if gpu not in assigned:
                        got.append(gpu)
                        assigned.add(gpu)
                    servers[ptr].pop(0)
                if len(got) != scale:
                    raise SimulationError(f"could not assign {scale} {w} GPUs to job {j}")
                new[j] = tuple(got)
                s.latest_ts[j] = s.now
    return new
