"""The simulation's mutable state, as one deep-copyable value.

Everything that changes while the simulation runs lives here — including the RNG
streams and the (possibly stateful) policy — so ``copy.deepcopy`` of this object is
a complete, independent fork.  Names mirror Gavel's scheduler attributes so the
mechanism can be checked line by line against gavel.md.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import NamedTuple

from .jobs import Job
from ..policies import Policy

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


# SimState fields whose values hold only immutable leaves (numbers, None, strings, tuples,
# Jobs, RoundRecords with their FragFigures), by shape.  deepcopy walks every leaf through its memo; copying
# these by structure instead gives the same independent value several times faster
# (the UI's checkpoint of 1 800 Alibaba jobs: ~40 ms -> ~3 ms).  Everything else is deep-copied.
_FLAT_DICTS = frozenset(("jobs", "steps_run", "worker_time", "failures", "start_ts", "latest_ts",
                         "jct", "completion_time", "assignments", "assignment_milli",
                         "unplaced_streak"))
_DICTS_OF_ROWS = frozenset(("job_time", "throughputs", "allocation", "priorities", "deficits"))
_LISTS = frozenset(("arrived", "gpu_busy", "dispatched", "rounds"))


@dataclass
class SimState:
    now: float = 0.0
    round_start: float = 0.0
    round_end: float | None = None
    # Active jobs, in arrival (= ID) order; dict order is Gavel's tie-break.
    jobs: dict[int, Job] = field(default_factory=dict)
    arrived: list[Job] = field(default_factory=list)
    steps_run: dict[int, float] = field(default_factory=dict)
    job_time: dict[int, dict[str, float]] = field(default_factory=dict)
    throughputs: dict[int, dict[str, float]] = field(default_factory=dict)
    priorities: dict[str, dict[int, float]] = field(default_factory=dict)
    deficits: dict[str, dict[int, float]] = field(default_factory=dict)
    worker_time: dict[str, float] = field(default_factory=dict)
    gpu_busy: list[float] = field(default_factory=list)
    allocation: dict[int, dict[str, float]] = field(default_factory=dict)
    last_reset_time: float = 0.0
    need_update: bool = True  # worker registration sets it in Gavel
    failures: dict[int, int] = field(default_factory=dict)
    start_ts: dict[int, float] = field(default_factory=dict)
    latest_ts: dict[int, float | None] = field(default_factory=dict)
    jct: dict[int, float | None] = field(default_factory=dict)
    completion_time: dict[int, float] = field(default_factory=dict)
    dispatched: list[MicroTask] = field(default_factory=list)
    assignments: dict[int, tuple[int, ...]] = field(default_factory=dict)
    assignment_milli: dict[int, int] = field(default_factory=dict)  # milli held per GPU
    placer: object | None = None  # RoundPlacer, created when round mode is first needed
    placement: str | None = None     # set when a fork switches strategy
    # What the LP's capacity constraint counts per job with sharing on: "demand"
    # (num_gpus × milli/1000, the fractional-aware LP) or "scale_factor" (the Gavel fork's
    # first attempt: a 0.25-GPU job still counts as a whole GPU).  Same either way with
    # sharing off.
    lp_capacity: str = "demand"
    policy_name: str | None = None   # set when a fork switches policy
    lease_extensions: int = 0
    lease_opportunities: int = 0
    num_rounds: int = 0
    num_steps: int = 0
    num_resets: int = 0
    unplaced_streak: dict[int, int] = field(default_factory=dict)  # rounds selected but unplaceable
    exact_round: bool = True  # the last dispatched round used Gavel's own mechanism
    exact_mode: bool = True   # the round being scheduled uses it (no LP solver retries then)
    lp_solves: int = 0        # allocation LPs solved, of which ...
    lp_non_optimal: int = 0   # ... answered with a non-optimal status in the end
    lp_solvers: dict = field(default_factory=dict)   # solver -> LPs it answered
    lp_note: str = ""         # how the latest LP was solved, when not plainly optimal
    saturation: str = ""      # why a driver ended the run before its measured jobs were done
    queue_growth_per_h: float | None = None   # the backlog monitor's last figure (core/backlog.py)
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
    policy: Policy | None = None
    sharing: bool = False
    done: bool = False
    idle_steps: int = 0
    rounds: list[RoundRecord] = field(default_factory=list)

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
        """An independent copy (see _FLAT_DICTS).  Copied containers and rows are entered
        in ``memo``, so an object also reachable from a deep-copied field (the policy, the
        placer) stays shared in the copy exactly as deepcopy would keep it."""
        new = object.__new__(SimState)
        memo[id(self)] = new
        out = new.__dict__
        for k, v in self.__dict__.items():
            done = memo.get(id(v))
            if done is not None:
                out[k] = done
                continue
            if k in _FLAT_DICTS:
                out[k] = memo[id(v)] = dict(v)
            elif k in _LISTS:
                out[k] = memo[id(v)] = list(v)
            elif k in _DICTS_OF_ROWS:
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
