"""The simulation's mutable state, as one deep-copyable value.

Everything that changes while the simulation runs lives here — including the RNG
streams and the (possibly stateful) policy — so ``copy.deepcopy`` of this object is
a complete, independent fork.  Names mirror Gavel's scheduler attributes so the
mechanism can be checked line by line against gavel.md.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from itertools import chain, repeat
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from ..model.jobs import Job
from ..policies import Policy
from .mode import Mode

# A dispatched micro-task: (finish time, job id, GPU ids, steps).
MicroTask = tuple[float, int, tuple[int, ...], float]


class FragFigures(NamedTuple):
    """One round's fragmentation figures (fgd.md §1.3), kept when the scenario's
    ``metrics.fragmentation`` is on.  The field names are rounds.csv's column names;
    :meth:`metrics` gives the shorter names of ``RoundReport.metrics``."""

    frag_amount_gpus: float     # F = Σ_n F_n(M), in GPUs
    frag_rate_pct: float        # F over the unallocated GPU capacity, %
    frag_over_total_pct: float  # F over the whole GPU capacity, %
    unalloc_gpu_pct: float      # unallocated share of the GPU capacity, %
    occupied_nodes: int         # nodes holding at least one job
    partial_gpus: int           # GPUs with 0 < free < 1000 milli

    def __deepcopy__(self, memo: dict) -> "FragFigures":
        return self  # immutable, as a plain tuple of numbers would be

    def metrics(self) -> dict[str, float]:
        """The figures under their names in ``RoundReport.metrics`` and
        ``Simulation.live_metrics()`` (values as they are)."""
        return {"frag_amount": self.frag_amount_gpus, "frag_rate": self.frag_rate_pct,
                "frag_over_total": self.frag_over_total_pct, "unalloc_gpu_pct": self.unalloc_gpu_pct,
                "occupied_nodes": self.occupied_nodes, "partial_gpus": self.partial_gpus}


@dataclass(frozen=True)
class RoundRecord:
    """One row of rounds.csv: what the round that started at ``time`` looked like."""

    index: int
    time: float
    arrivals: int
    completions: int
    running: int
    queued: int
    completed_total: int
    busy_gpus: int
    lp_recomputed: bool
    busy_milli: int = 0
    frag: FragFigures | None = None  # None when fragmentation metrics are off
    fingerprint: str = ""     # the round's decisions (core/decisions.py), "" when it made none
    lp_fingerprint: str = ""  # the LP shares in force (mechanism.lp_fingerprint)


def job_matrix(rows: Iterable[dict], n: int, types: tuple[str, ...]) -> np.ndarray:
    """(n × types) float64 array of ``row[w]`` for n per-job dicts (no nested lists:
    itemgetter + fromiter is ~3× faster than np.array of a list of lists)."""
    get = itemgetter(*types)
    values = map(get, rows) if len(types) == 1 else chain.from_iterable(map(get, rows))
    return np.fromiter(values, np.float64, n * len(types)).reshape(n, len(types))


def allocation_matrix(allocation: dict, ids: list[int], types: tuple[str, ...]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(ids × types) time shares, 0 where a job (or a type, in a partial row) is missing
    from ``allocation``; and whether each job is in it."""
    zero = dict.fromkeys(types, 0.0)
    n = len(ids)
    rows = list(map(allocation.get, ids, repeat(zero, n)))
    try:
        a = job_matrix(rows, n, types)
    except KeyError:  # a row without some type (policies fill every type; stay lenient)
        a = job_matrix(({**zero, **row} for row in rows), n, types)
    return a, np.fromiter(map(allocation.__contains__, ids), bool, n)


def type_columns(per_type: dict[str, dict[int, float]], ids: list[int], types: tuple[str, ...]
                 ) -> np.ndarray:
    """(ids × types) array of ``per_type[w][job]`` (priorities, deficits)."""
    n = len(ids)
    return np.array([np.fromiter(map(per_type[w].__getitem__, ids), np.float64, n) for w in types],
                    np.float64).reshape(len(types), n).T


class JobArrays:
    """The active jobs' per-type numbers as (jobs × types) float64 arrays kept from round
    to round, rows in arrival order (``SimState.jobs``): throughputs, time received
    (``job_time``), deficits, and the allocation with whether each job is in it; and
    each job's fixed size (scale factor, milli-GPU per GPU), which selection counts.

    The dicts of :class:`SimState` stay the record; these arrays mirror them so that a
    round reads only what changed since the last one — the rows of jobs added (found by
    comparing the ids), the time received of the jobs whose micro-tasks completed
    (written cell by cell by the job book, :meth:`set_progress`; ``stale`` rows are
    re-read whole), and all allocation rows when the LP replaced
    the allocation — instead of ~4·jobs·types dict look-ups (issue 12: ~35 ms a round at
    15 000 queued jobs).  Every array value is a copy of its dict value, so a mirror
    rebuilt from the dicts (after a copy, a pickle or a mode change) is the same."""

    def __init__(self, types: tuple[str, ...]) -> None:
        self.types = types
        self.ids: list[int] = []
        self.id_array = np.empty(0, np.int64)
        self.ascending = True                # ids in increasing order (arrival = ID order)
        self._row: dict[int, int] | None = {}
        empty = np.empty((0, len(types)), np.float64)
        self.tput = self.received = self.deficit = self.alloc = empty
        self.has = np.empty(0, bool)
        self.scale = np.empty(0, np.int64)       # scale factor (GPUs) per job
        self.gpu_milli = np.empty(0, np.int64)   # milli-GPU per GPU when sharing (the job's own)
        self.total_steps = np.empty(0, np.float64)   # the job's steps in all
        self.steps_run = np.empty(0, np.float64)     # ... and those run so far (``steps_run``)
        self.alloc_of: dict | None = None   # the allocation ``alloc`` was read from
        self.col = {w: k for k, w in enumerate(types)}
        self.stale: set[int] = set()        # jobs whose job_time row changed since sync

    @property
    def row(self) -> dict[int, int]:
        """Job id -> row (built when first read after the rows moved)."""
        if self._row is None:
            self._row = dict(zip(self.ids, range(len(self.ids))))
        return self._row

    def rows_of(self, ids: list[int]) -> np.ndarray:
        """The rows of jobs ``ids`` (-1 for a job without one): a binary search of the
        ids when they are in increasing order (the usual case), else the row dict."""
        n = len(ids)
        if not self.ascending:
            return np.fromiter(map(self.row.get, ids, repeat(-1, n)), np.int64, n)
        return _positions(self.id_array, np.fromiter(ids, np.int64, n))

    def sync(self, s: "SimState") -> None:
        """Bring the arrays up to date with ``s``'s dicts."""
        ids = list(s.jobs)
        if ids != self.ids:
            self._realign(s, ids)
        types = self.types
        if self.stale:
            rows = [r for r in map(self.row.get, self.stale) if r is not None]
            if rows:
                stale = [ids[r] for r in rows]
                self.received[rows] = job_matrix(map(s.job_time.__getitem__, stale), len(rows), types)
                self.steps_run[rows] = np.fromiter(map(s.steps_run.__getitem__, stale), np.float64, len(rows))
            self.stale.clear()
        if self.alloc_of is not s.allocation:
            self.alloc, self.has = allocation_matrix(s.allocation, ids, types)
            self.alloc_of = s.allocation

    def set_progress(self, rows: np.ndarray, cols: list[int], received: list[float], steps: list[float]) -> None:
        """What completions just wrote into the dicts, for jobs ``rows`` (as of the last
        sync, none repeated): the time received on the type of column ``cols`` and the
        steps run so far."""
        n = len(rows)
        self.received[rows, np.fromiter(cols, np.intp, n)] = np.fromiter(received, np.float64, n)
        self.steps_run[rows] = np.fromiter(steps, np.float64, n)

    def _realign(self, s: "SimState", ids: list[int]) -> None:
        """Rows for the active jobs ``ids``: kept jobs' rows move (removals close up),
        new jobs' rows are read from the dicts."""
        types, n = self.types, len(ids)
        id_array = np.fromiter(ids, np.int64, n)
        ascending = bool((id_array[1:] > id_array[:-1]).all())
        if ascending and self.ascending:
            old = _positions(self.id_array, id_array)
        else:
            old = np.fromiter(map(self.row.get, ids, repeat(-1, n)), np.int64, n)
        kept = old >= 0
        new = np.flatnonzero(~kept)
        fresh = [ids[r] for r in new.tolist()]
        alloc, has = allocation_matrix(s.allocation, fresh, types)

        def move(a: np.ndarray, fresh_rows: np.ndarray) -> np.ndarray:
            out = np.empty((n,) + a.shape[1:], a.dtype)
            out[kept] = a[old[kept]]
            out[new] = fresh_rows
            return out

        jobs = [s.jobs[j] for j in fresh]
        self.scale = move(self.scale, np.fromiter((job.scale_factor for job in jobs), np.int64, len(jobs)))
        self.gpu_milli = move(self.gpu_milli, np.fromiter((job.gpu_milli for job in jobs), np.int64, len(jobs)))
        self.total_steps = move(self.total_steps,
                                np.fromiter((job.total_steps for job in jobs), np.float64, len(jobs)))
        self.steps_run = move(self.steps_run, np.fromiter(map(s.steps_run.__getitem__, fresh), np.float64, len(fresh)))
        self.tput = move(self.tput, job_matrix(map(s.throughputs.__getitem__, fresh), len(fresh), types))
        self.received = move(self.received, job_matrix(map(s.job_time.__getitem__, fresh), len(fresh), types))
        self.deficit = move(self.deficit, type_columns(s.deficits, fresh, types))
        self.alloc, self.has = move(self.alloc, alloc), move(self.has, has)
        self.ids, self.id_array, self.ascending = ids, id_array, ascending
        self._row = None


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Index of each of ``ids`` in the increasing ``sorted_ids``, -1 where absent."""
    if sorted_ids.size == 0:
        return np.full(ids.size, -1, np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
    return np.where(sorted_ids[pos] == ids, pos, -1)


# How each SimState field is copied (its ``metadata["copy"]``; no entry: deep-copied).
# Fields whose values hold only immutable leaves (numbers, None, strings, tuples, Jobs,
# RoundRecords with their FragFigures) are copied by structure: deepcopy walks every
# leaf through its memo, and copying these by shape gives the same independent value
# several times faster (the UI's checkpoint of 1 800 Alibaba jobs: ~40 ms -> ~3 ms).
_FLAT_DICT = {"copy": "flat_dict"}        # a dict of immutable values
_DICT_OF_ROWS = {"copy": "dict_of_rows"}  # a dict of dicts of immutable values
_LIST = {"copy": "list"}                  # a list of immutable values
_SHARED = {"copy": "shared"}              # never changed in place: the copy shares it
_DROPPED = {"copy": "dropped"}            # a cache rebuilt when next needed: not copied


def _flat_dict() -> dict:
    return field(default_factory=dict, metadata=_FLAT_DICT)


def _rows() -> dict:
    return field(default_factory=dict, metadata=_DICT_OF_ROWS)


def _list() -> list:
    return field(default_factory=list, metadata=_LIST)


@dataclass
class SimState:
    now: float = 0.0
    round_start: float = 0.0
    round_end: float | None = None
    # Active jobs, in arrival (= ID) order; dict order is Gavel's tie-break.
    jobs: dict[int, Job] = _flat_dict()
    arrived: list[Job] = _list()
    steps_run: dict[int, float] = _flat_dict()
    job_time: dict[int, dict[str, float]] = _rows()
    throughputs: dict[int, dict[str, float]] = _rows()
    priorities: dict[str, dict[int, float]] = _rows()
    deficits: dict[str, dict[int, float]] = _rows()
    worker_time: dict[str, float] = _flat_dict()
    gpu_busy: list[float] = _list()
    allocation: dict[int, dict[str, float]] = _rows()
    last_reset_time: float = 0.0
    need_update: bool = True  # worker registration sets it in Gavel
    failures: dict[int, int] = _flat_dict()
    start_ts: dict[int, float] = _flat_dict()
    latest_ts: dict[int, float | None] = _flat_dict()
    jct: dict[int, float | None] = _flat_dict()
    completion_time: dict[int, float] = _flat_dict()
    dispatched: list[MicroTask] = _list()
    assignments: dict[int, tuple[int, ...]] = _flat_dict()
    assignment_milli: dict[int, int] = _flat_dict()  # milli held per GPU
    last_changes: list[tuple[int, str, tuple[int, ...]]] = _list()   # the latest round's decisions
    last_gpus: dict[int, tuple[int, ...]] = _flat_dict()  # where each ended job ran last (jobs.csv)
    lp_fingerprint: str = ""  # hash of the allocation in force (rounds.csv lp_fingerprint)
    placer: object | None = None  # RoundPlacer, created when round mode is first needed
    lease_extensions: int = 0
    lease_opportunities: int = 0
    # Steps and rounds: every step schedules the round that starts at its new clock and
    # is a row of rounds.csv (``round`` = the step index, ``num_steps``); Gavel counts as
    # rounds only those that dispatched a job (summary.json ``num_rounds``).
    rounds_dispatched: int = 0
    num_steps: int = 0
    num_resets: int = 0
    unplaced_streak: dict[int, int] = _flat_dict()  # rounds selected but unplaceable
    exact_round: bool = True  # the last dispatched round used Gavel's own mechanism
    exact_mode: bool = True   # the round being scheduled uses it (no LP solver retries then)
    lp_solves: int = 0        # allocation LPs solved, of which ...
    lp_non_optimal: int = 0   # ... answered with a non-optimal status in the end
    lp_solvers: dict = field(default_factory=dict)   # solver -> LPs it answered
    lp_note: str = ""         # how the latest LP was solved, when not plainly optimal
    # Two different endings before the measured jobs are all done (core/results.py):
    saturation: str = ""      # saturated: the backlog monitor's verdict, why (the queue keeps growing)
    capped: str = ""          # capped: a bound stopped the run (the default bound; max_sim_time_s is seen)
    queue_growth_per_h: float | None = None   # the backlog monitor's last figure (core/backlog.py)
    stopped_at: dict | None = None   # {round, condition}: a driver stopped the run there (run --until)
    rejected: int = 0  # generated jobs no GPU type could ever host (round mode)
    remaining_jobs: int = 0
    # Arrival sources.
    trace_pos: int = 0
    next_arrival: float | None = 0.0
    last_arrival: float | None = None
    num_generated: int = 0
    window_start_time: float | None = None
    # RNG streams (Gavel: generator seed+2, inter-arrival seed+3, type shuffler seed+5).
    job_rng: random.Random = field(default_factory=random.Random)
    arrival_rng: random.Random = field(default_factory=random.Random)
    shuffle_rng: random.Random = field(default_factory=random.Random)
    policy: Policy | None = None   # the policy object of ``mode.policy`` (it may keep state)
    # The mode the run is in (core/mode.py): replaced whole by Simulation.set_mode, never
    # patched; ``mode_changes`` records each replacement (round, fields changed) for the outputs.
    mode: Mode | None = None
    mode_changes: list[tuple[int, tuple[str, ...]]] = _list()
    done: bool = False
    idle_steps: int = 0
    rounds: list[RoundRecord] = _list()
    # The decision log (core/decisions.py), when the run records it: compact tuples
    # (round, time, job, action, GPUs, rule, score), in order.
    decisions: list[tuple] = _list()
    # Array mirror of the per-job dicts (mechanism.py); not copied nor pickled: rebuilt
    # from the dicts when next needed.
    job_arrays: JobArrays | None = field(default=None, compare=False, repr=False, metadata=_DROPPED)
    # The latest round's priorities as rows, (types, job ids, jobs × types array), not yet
    # written into ``priorities``: the rounds themselves read only the array, and writing
    # jobs × types values back into the dicts every round grew with the queue (~13 ms a
    # round at 3 700 active jobs).  :meth:`priority_dicts` writes them when asked.  Never
    # changed in place (a new tuple each round), so copies share it.
    priority_rows: tuple | None = field(default=None, compare=False, repr=False, metadata=_SHARED)
    # The latest explained round's selection walk (core/selection_trace.py), frozen; None
    # unless the simulation explains its rounds.
    selection: object | None = field(default=None, compare=False, repr=False, metadata=_SHARED)

    def priority_dicts(self) -> dict[str, dict[int, float]]:
        """``priorities`` brought up to date: each active job's priority per type from
        the latest round, 0.0 for jobs that arrived since (as their arrival wrote)."""
        pending = self.priority_rows
        if pending is not None:
            types, ids, p = pending
            row = dict(zip(ids, range(len(ids))))
            at = [row.get(j, -1) for j in self.jobs]
            for k, w in enumerate(types):
                col = p[:, k].tolist()
                self.priorities[w] = {j: col[r] if r >= 0 else 0.0 for j, r in zip(self.jobs, at)}
            self.priority_rows = None
        return self.priorities

    def arrays(self, types: tuple[str, ...]) -> JobArrays:
        """The job arrays for ``types``, brought up to date with the dicts."""
        a = self.job_arrays
        if a is None or a.types != types:
            a = self.job_arrays = JobArrays(types)
        a.sync(self)
        return a

    def record_solve(self, info) -> None:
        """Count one allocation LP (``policies/solve.py``'s SolveInfo; None: no LP, e.g.
        FIFO or a plug-in) for summary.json, and keep the note the event log shows."""
        self.lp_note = ""
        if info is None:
            return
        self.lp_solves += 1
        self.lp_non_optimal += 0 if info.optimal else 1
        self.lp_solvers[info.solver] = self.lp_solvers.get(info.solver, 0) + 1
        self.lp_note = info.note

    def __deepcopy__(self, memo: dict) -> "SimState":
        """An independent copy, each field copied as its ``metadata["copy"]`` says.
        Copied containers and rows are entered in ``memo``, so an object also reachable
        from a deep-copied field (the policy, the placer) stays shared in the copy
        exactly as deepcopy would keep it."""
        new = object.__new__(SimState)
        memo[id(self)] = new
        out = new.__dict__
        for k, v in self.__dict__.items():
            done = memo.get(id(v))
            if done is not None:
                out[k] = done
                continue
            how = _COPY.get(k)
            if how == "dropped":
                out[k] = None
            elif how == "shared":
                out[k] = v
            elif how == "flat_dict":
                out[k] = memo[id(v)] = dict(v)
            elif how == "list":
                out[k] = memo[id(v)] = list(v)
            elif how == "dict_of_rows":
                rows = {}
                for key, row in v.items():
                    got = memo.get(id(row))
                    if got is None:
                        got = memo[id(row)] = dict(row)
                    rows[key] = got
                out[k] = memo[id(v)] = rows
            else:
                out[k] = copy.deepcopy(v, memo)
        return new

    def __getstate__(self) -> dict:
        return {**self.__dict__, **dict.fromkeys(_DROPPED_FIELDS)}


_COPY: dict[str, str] = {f.name: f.metadata["copy"] for f in fields(SimState) if "copy" in f.metadata}
_DROPPED_FIELDS = tuple(k for k, how in _COPY.items() if how == "dropped")
