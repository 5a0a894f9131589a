"""Completions: the micro-tasks of the round that just ended, credited to their jobs.

Gavel's order (``gavel.md`` §1.2): latest finish first, ties by job id.  Each micro-task
that ran (time > 0 and steps > 0; in Gavel's exact mode a multi-GPU task also needs a
share of at least one step per GPU) adds its steps and its time on its GPU type to the
job, its time to the type's total and its busy time to each of its GPUs; one that did
not run counts a failure.  A job done with its steps, or failed too often, leaves.

A round at full scale ends ~6 000 micro-tasks, so the per-job dict updates stay in one
Python loop and the sums over all tasks (time per type, busy time per GPU, the array
mirror's cells) are done with numpy, in the same order: ``np.add.at`` adds element by
element in index order, which is the loop's sequence of IEEE additions.
"""

from __future__ import annotations

from itertools import chain, repeat
from operator import itemgetter
from typing import Callable

import numpy as np

from .state import SimState

MAX_FAILED_ATTEMPTS = 5


def complete_round(s: SimState, gpu_type_of: list[str], remove_job: Callable[[int], None]
                   ) -> list[tuple[int, float | None]]:
    """Credit ``s.dispatched`` to the jobs (emptying it); ``remove_job`` takes the jobs
    that leave.  Returns (job, JCT or None) of those jobs, in completion order."""
    # latest finish first, ties by job id: two stable C-keyed sorts (job id, then finish
    # time reversed — reverse keeps ties in order), without a Python call per task
    tasks = sorted(s.dispatched, key=itemgetter(1))
    tasks.sort(key=itemgetter(0), reverse=True)
    s.dispatched = []
    jobs = s.jobs
    if not all(map(jobs.__contains__, map(itemgetter(1), tasks))):   # (jobs rejected meanwhile)
        tasks = [t for t in tasks if t[1] in jobs]   # (one micro-task per job and round)
    if not tasks:
        return []
    finish, ids, gpus, steps = zip(*tasks)
    exec_time = np.array(finish, np.float64) - s.round_start
    ran = (exec_time > 0) & (np.array(steps, np.float64) > 0)
    if s.exact_round:   # Gavel splits the steps over the GPUs, the last one the remainder
        for i in np.flatnonzero(exec_time > 0).tolist():
            if len(gpus[i]) > 1:
                num, k = steps[i], len(gpus[i])
                share = num // jobs[ids[i]].scale_factor
                ran[i] = share > 0 and num - share * (k - 1) > 0
    s.latest_ts.update(zip(ids, finish))
    types = [gpu_type_of[g[0]] for g in gpus]
    times = exec_time.tolist()
    # each job's steps in all, from the array mirror (a job without a row yet: its own)
    arrays = s.job_arrays
    rows = arrays.rows_of(list(ids)) if arrays is not None else np.full(len(ids), -1, np.int64)
    totals = np.where(rows >= 0, arrays.total_steps[rows], np.nan).tolist() if arrays is not None \
        else [np.nan] * len(ids)
    failures, steps_run, job_time = s.failures, s.steps_run, s.job_time
    done: list[tuple[int, float | None]] = []
    received: list[float] = []      # the new time received of each task that ran, in order
    progress: list[float] = []      # ... and the job's steps run so far
    for j, w, t, num, ok, all_steps in zip(ids, types, times, steps, ran.tolist(), totals):
        if ok:
            failures[j] = 0
            total = steps_run[j] = steps_run[j] + num
            row = job_time[j]
            row[w] = r = row[w] + t
            received.append(r)
            progress.append(total)
            if all_steps != all_steps:   # (NaN: no row)
                all_steps = jobs[j].total_steps
            finished = all_steps - total <= 0
        else:
            failures[j] += 1
            finished = failures[j] >= MAX_FAILED_ATTEMPTS
            s.need_update = True
        if finished:
            remove_job(j)
            s.remaining_jobs -= 1
            done.append((j, s.jct[j]))
    if received:
        _add_time(s, [ids[i] for i in np.flatnonzero(ran).tolist()], ran, types, exec_time, gpus, received,
                  progress, rows[ran])
    return done


def _add_time(s: SimState, ran_ids: list[int], ran: np.ndarray, types: list[str], exec_time: np.ndarray,
              gpus: tuple, received: list[float], progress: list[float], rows: np.ndarray) -> None:
    """The sums over the tasks that ran: time per GPU type, busy time per GPU (a shared
    GPU's by the job's milli-GPU share); and the new time received and steps run into
    the array mirror (``rows``: the ran jobs' rows, -1 for none)."""
    m = len(ran_ids)
    every = m == len(types)
    run_types = types if every else [w for w, ok in zip(types, ran.tolist()) if ok]
    run_gpus = gpus if every else [g for g, ok in zip(gpus, ran.tolist()) if ok]
    t = exec_time if every else exec_time[ran]
    names = list(s.worker_time)
    index = {w: k for k, w in enumerate(names)}
    per_type = np.array([s.worker_time[w] for w in names], np.float64)
    np.add.at(per_type, np.fromiter(map(index.__getitem__, run_types), np.intp, m), t)
    for w in set(run_types):
        s.worker_time[w] = per_type[index[w]].item()
    milli = s.assignment_milli
    if set(milli.values()) <= {1000}:   # whole GPUs (sharing off): the job's time
        busy = t
    else:
        held = np.fromiter(map(milli.get, ran_ids, repeat(1000, m)), np.float64, m)
        busy = np.where(held >= 1000, t, t * held / 1000)
    lens = np.fromiter(map(len, run_gpus), np.intp, m)
    per_gpu = np.array(s.gpu_busy, np.float64)
    np.add.at(per_gpu, np.fromiter(chain.from_iterable(run_gpus), np.intp, int(lens.sum())), np.repeat(busy, lens))
    s.gpu_busy[:] = per_gpu.tolist()
    arrays = s.job_arrays
    if arrays is None:
        return
    col = arrays.col
    if (rows < 0).any():   # jobs without a row yet: their row is re-read whole at the next sync
        keep = np.flatnonzero(rows >= 0).tolist()
        arrays.stale.update(j for j, r in zip(ran_ids, rows.tolist()) if r < 0)
        rows, run_types = rows[keep], [run_types[i] for i in keep]
        received, progress = [received[i] for i in keep], [progress[i] for i in keep]
    if rows.size:
        arrays.set_progress(rows, [col[w] for w in run_types], received, progress)
