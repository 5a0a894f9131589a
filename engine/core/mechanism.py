"""Gavel's round-based mechanism: priorities, job selection and GPU-ID assignment.

Each function mirrors one method of Gavel's ``Scheduler`` (gavel.md §2–§4) and
keeps its quirks on purpose — lazy allocation resets, back-fill by priority-0
jobs, lease extension by exact GPU tuple — because they shape Gavel's results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .cluster import GAVEL_TYPES, Cluster
from ..errors import SimulationError
from ..policies import AllocationInputs, run_policy
from .state import SimState, allocation_matrix, job_matrix as _matrix, type_columns

if TYPE_CHECKING:
    from ..placement.round import RoundPlacer


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
    if s.sharing and s.lp_capacity == "demand":
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


def _walk_rows(cols: JobColumns, k: int, runnable: bool, fifo: bool) -> np.ndarray:
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
        rows = _walk_rows(cols, k, runnable, fifo)
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


STARVATION_ROUNDS = 3
SHORT_RUN = 4   # runs of identical demands shorter than this are placed job by job (cheaper)  # failed placements in a row before a round is placed strictly by priority


def select_and_place(s: SimState, cfg: MechanismConfig, types: list[str], skip_zero_priority: bool,
                     placer: "RoundPlacer", explain: bool,
                     cols: JobColumns) -> dict[int, tuple[int, ...]]:
    """Selection and placement as one decision (round mode, see placement/round.py).

    Mirrors Gavel's structure with placement in the loop:
    1. select in priority order against each type's capacity budget (milli-GPU);
    2. selected jobs that ran on the same type last round keep their GPUs first
       (lease extension; always possible, last round's placements were disjoint);
    3. the other selected jobs are placed largest first (Gavel's order);
    4. if a selected job could not be placed that way in the last
       STARVATION_ROUNDS - 1 rounds, this round is placed in strict priority order
       instead (no starvation of large jobs behind lease extensions); jobs that
       cannot be placed are dropped and a repair walk offers the capacity left to
       the next candidates in the walk, including a dropped job's later types — so
       no job is ever selected that cannot be placed, and none idles while a type
       it could run on has room.
    Jobs missing from the allocation are never placed, as in Gavel.  ``cols`` are the
    round's columns from :func:`compute_priorities` (they carry each job's size).
    """
    placer.reset()
    gpu_type_of = cfg.cluster.gpu_type_of
    fifo = skip_zero_priority
    budget = {w: 1000 * cfg.cluster_spec[w] for w in types}
    col = {w: k for k, w in enumerate(cols.types)}
    ids = cols.ids.tolist()
    jobs = s.jobs
    # milli-GPU per row (numpy, never a Python value per queued job: the queue can be 10⁴
    # long); a job's (milli per GPU, milli in all) looked up only for the jobs acted on
    need_arr = (cols.gpu_milli if s.sharing else 1000) * cols.scale
    if s.sharing:
        def demand(j: int) -> tuple[int, int]:
            job = jobs[j]
            return job.gpu_milli, job.gpu_milli * job.scale_factor
    else:
        def demand(j: int) -> tuple[int, int]:
            return 1000, 1000 * jobs[j].scale_factor
    walk = [(w, _walk_rows(cols, col[w], True, fifo)) for w in types]

    # The greedy walk: take a job if its demand fits the type's budget left.  Within a
    # type, the longest prefix whose running total fits is taken at once (each of its
    # entries passes the check); the entries after it are walked one by one.
    chosen: list[tuple[int, str]] = []
    taken = np.zeros(len(ids), bool)
    for w, rows in walk:
        rows = rows[~taken[rows]]
        left = budget[w]
        total = np.cumsum(need_arr[rows])
        cut = int(np.searchsorted(total, left, side="right"))
        picked = rows[:cut].tolist()
        if cut:
            left -= int(total[cut - 1])
        rest = rows[cut:]
        if rest.size:
            # the next entry that fits, found with numpy: a walk over the rest one by one
            # cost ~15 ms a round with 10⁴ jobs queued, for the few entries it takes
            rest_need = need_arr[rest]
            pos = 0
            while pos < rest.size:
                fits = rest_need[pos:] <= left
                k = int(fits.argmax())
                if not fits[k]:
                    break
                left -= int(rest_need[pos + k])
                picked.append(int(rest[pos + k]))
                pos += k + 1
        budget[w] = left
        taken[picked] = True
        chosen.extend([(ids[r], w) for r in picked])
    streak = s.unplaced_streak
    if not streak or not any(streak.get(j, 0) + 1 >= STARVATION_ROUNDS for j, _ in chosen):
        new, failed = _keep_then_place(s, placer, chosen, s.sharing, gpu_type_of, explain)
    else:
        # A selected job has failed to fit behind the lease extensions for the last
        # rounds (e.g. an 8-GPU job while every 8-GPU server holds small continuing
        # jobs): place this round in strict priority order instead, so it gets its
        # GPUs before lower-priority jobs keep theirs.
        new, failed = {}, []
        for j, w in chosen:
            milli = demand(j)[0]
            gpus = _keep(s, placer, j, w, milli, gpu_type_of)
            if gpus is None:
                gpus = placer.place(s.jobs[j], w, milli, s.num_steps, explain)
            if gpus is None:
                failed.append((j, w))
            else:
                new[j] = gpus
    for j, _ in failed:
        streak[j] = streak.get(j, 0) + 1
    if failed:  # repair: offer the capacity left to the next candidates, in priority order
        budget = {w: 1000 * cfg.cluster_spec[w] for w in types}
        for j, gpus in new.items():
            budget[gpu_type_of[gpus[0]]] -= demand(j)[1]
        # A job that did not fit on the type it was selected for may still fit on one
        # of its later types in the walk (e.g. small servers whose CPU or memory ran
        # out): only the failed (job, type) pairs are skipped.
        # Each type's rows are first cut (numpy) to those the loop could act on: jobs not
        # placed before the repair whose demand fits the budget the type starts with
        # (placements only grow and budgets only shrink, so the loop skips the others).
        skip = set(failed)
        placed = np.isin(cols.ids, np.fromiter(new, np.int64, len(new)))
        for w, rows in walk:
            rows = rows[~placed[rows] & (need_arr[rows] <= budget[w])]
            for r in rows.tolist():
                j = ids[r]
                if j in new or (j, w) in skip:
                    continue
                milli, need = demand(j)
                if need > budget[w]:
                    continue
                gpus = placer.place(s.jobs[j], w, milli, s.num_steps, explain)
                if gpus is not None:
                    budget[w] -= need
                    new[j] = gpus
    if streak:
        for j in [j for j in streak if j in new]:
            del streak[j]
    s.latest_ts.update(dict.fromkeys(new, s.now))
    return new


def _keep(s: SimState, placer, j: int, w: str, milli: int, gpu_type_of) -> tuple[int, ...] | None:
    """Lease extension: job ``j``'s GPUs of last round, re-bound, if it ran on type
    ``w`` and they still have room; else None."""
    prev = s.assignments.get(j)
    if prev is not None and gpu_type_of[prev[0]] == w and placer.keep(s.jobs[j], prev, milli):
        return prev
    return None


def _keep_then_place(s: SimState, placer, chosen, sharing: bool, gpu_type_of, explain: bool):
    """Lease extensions first, then new placements largest first (Gavel's order).
    Returns the placements and the selected (job, type) pairs that could not be placed.
    (:func:`_keep` inlined: this loop runs for every selected job, ~10³ a round.)"""
    new: dict[int, tuple[int, ...]] = {}
    failed: list[tuple[int, str]] = []
    fresh = []
    # Largest first: by (scale factor, milli per GPU), stable for ties.  One int key per
    # entry (milli < 2048) and a C-level key function: a per-entry lambda building a
    # tuple cost ~4 % of a round at 1 800 jobs.  Same order as sorting on the tuple.
    keys: list[int] = []
    jobs, assignments = s.jobs, s.assignments
    for j, w in chosen:
        job = jobs[j]
        milli = job.gpu_milli if sharing else 1000
        prev = assignments.get(j)
        if prev is not None and gpu_type_of[prev[0]] == w and placer.keep(job, prev, milli):
            new[j] = prev
        else:
            fresh.append((j, w, job, milli))
            keys.append(job.scale_factor * 2048 + milli)
    order = sorted(range(len(fresh)), key=keys.__getitem__, reverse=True)
    fresh = [fresh[i] for i in order]
    round_index = s.num_steps
    if explain or not placer.batches:
        placed = [placer.place(job, w, milli, round_index, explain) for _, w, job, milli in fresh]
    else:
        placed = [None] * len(fresh)
        for run in _identical_runs(fresh, [keys[i] for i in order]):
            _, w, job, milli = fresh[run[0]]
            if len(run) < SHORT_RUN:
                got = [placer.place(fresh[i][2], w, milli, round_index, False) for i in run]
            else:
                got = placer.place_run([fresh[i][2] for i in run], w, milli, round_index)
            for i, gpus in zip(run, got):
                placed[i] = gpus
    for (j, w, _, _), gpus in zip(fresh, placed):
        if gpus is None:
            failed.append((j, w))
        else:
            new[j] = gpus
    return new, failed


def _identical_runs(fresh: list, keys: list[int]) -> list[list[int]]:
    """Positions in ``fresh`` grouped into runs of identical demands on one GPU type,
    each run in order and a type's runs in order (RoundPlacer.batches: only jobs on the
    same type interact, so a type's jobs keep their order and the types interleave
    freely).  A run is cut by the type's next job with another demand.  ``keys``: each
    entry's (scale factor, milli) as one int; with CPU and memory it is the demand
    (just the int when both are 0: no tuple per job in the common case)."""
    runs: list[list[int]] = []
    open_runs: dict[str, tuple[int | tuple, list[int]]] = {}
    for i, ((_, w, job, _), key) in enumerate(zip(fresh, keys)):
        c, m = job.cpu_milli, job.memory_mib
        demand = (key, c, m) if c or m else key
        cur = open_runs.get(w)
        if cur is not None and cur[0] == demand:
            cur[1].append(i)
            continue
        if cur is not None:
            runs.append(cur[1])
        open_runs[w] = (demand, [i])
    runs.extend(run for _, run in open_runs.values())
    return runs
