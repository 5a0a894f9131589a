"""Round mode's selection: which jobs run this round, selected and placed as one decision.

Used whenever GPU sharing is on or the placement is not Gavel's exclusive first fit
(Gavel's own mode selects with :func:`.mechanism.select_jobs` and assigns GPU IDs with
:func:`.mechanism.assign_gpus`).  Jobs are walked in Gavel's priority order
(:func:`.mechanism.walk_rows`) against each type's capacity; selected jobs that ran on the
same type keep their GPUs, the others are placed largest first by the round's placer
(``placement/round.py``), a round's runs of identical demands in one go when the placement
allows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .mechanism import JobColumns, MechanismConfig, walk_rows
from .selection_trace import SelectionTrace, copy_columns
from .state import SimState

if TYPE_CHECKING:
    from ..placement.round import RoundPlacer


STARVATION_ROUNDS = 3  # failed placements in a row before a round is placed strictly by priority
SHORT_RUN = 4          # runs of identical demands shorter than this are placed job by job (cheaper)


def select_and_place(s: SimState, cfg: MechanismConfig, types: list[str], skip_zero_priority: bool,
                     placer: "RoundPlacer", explain: bool,
                     cols: JobColumns, probe: bool = False) -> dict[int, tuple[int, ...]]:
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
    ``probe`` (the decision log is on, explanations off): the round's first new
    placement is explained, so the placement's ``explain()`` runs on every round of a
    recorded run and a broken one fails headless; the decision is the same either way.
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
    need_arr = (cols.gpu_milli if s.mode.sharing else 1000) * cols.scale
    if s.mode.sharing:
        def demand(j: int) -> tuple[int, int]:
            job = jobs[j]
            return job.gpu_milli, job.gpu_milli * job.scale_factor
    else:
        def demand(j: int) -> tuple[int, int]:
            return 1000, 1000 * jobs[j].scale_factor
    walk = [(w, walk_rows(cols, col[w], True, fifo)) for w in types]
    start_budget = dict(budget)

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
    strict = bool(streak) and any(streak.get(j, 0) + 1 >= STARVATION_ROUNDS for j, _ in chosen)
    if not strict:
        new, failed = _keep_then_place(s, placer, chosen, s.mode.sharing, gpu_type_of, explain, probe)
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
    if explain:
        s.selection = SelectionTrace(s.num_steps, copy_columns(cols), tuple(types), start_budget,
                                     np.asarray(need_arr).copy(), "milli-GPU", True, fifo, tuple(chosen),
                                     tuple(failed), strict)
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


def _keep_then_place(s: SimState, placer, chosen, sharing: bool, gpu_type_of, explain: bool, probe: bool = False):
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
    keys = [keys[i] for i in order]
    round_index = s.num_steps
    placed: list[tuple[int, ...] | None] = []
    if probe and not explain and fresh:   # the first placement explained (see select_and_place)
        _, w, job, milli = fresh[0]
        placed.append(placer.place(job, w, milli, round_index, True))
    rest, rest_keys = fresh[len(placed):], keys[len(placed):]
    if explain or not placer.batches:
        placed.extend(placer.place(job, w, milli, round_index, explain) for _, w, job, milli in rest)
    else:
        got_rest: list[tuple[int, ...] | None] = [None] * len(rest)
        for run in _identical_runs(rest, rest_keys):
            _, w, job, milli = rest[run[0]]
            if len(run) < SHORT_RUN:
                got = [placer.place(rest[i][2], w, milli, round_index, False) for i in run]
            else:
                got = placer.place_run([rest[i][2] for i in run], w, milli, round_index)
            for i, gpus in zip(run, got):
                got_rest[i] = gpus
        placed.extend(got_rest)
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
