"""Read-only views of a running simulation and accessors of its results.

Callers outside the core (the UI, experiments, benches) read a simulation through
these — immutable views, copies, read-only mappings — not through its state.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

import numpy as np

from ..model.jobs import Job
from .mechanism import MechanismConfig, allocation_inputs, allocation_matrix, type_columns
from ..policies import AllocationInputs
from .state import RoundRecord, SimState
from .views import JobView, ServerView, ServerViewCache, gpu_holdings

if TYPE_CHECKING:
    from ..placement.round import PlacementRecord


class SimViews:
    """Views and accessors of :class:`~fragscope.core.simulation.Simulation` (mixed into it).

    Reads ``mech`` and ``state``; :meth:`servers` keeps its view cache in ``_servers_view``."""

    mech: MechanismConfig
    state: SimState

    @property
    def gpu_types(self) -> list[str]:
        return list(self.mech.worker_types)

    def gpu_fill(self) -> np.ndarray:
        """Milli-GPU in use per GPU id this round (int array, 0..1000)."""
        s = self.state
        gpu_ids: list[int] = []
        milli: list[int] = []
        for j, gpus in s.assignments.items():
            gpu_ids.extend(gpus)
            milli.extend([s.assignment_milli.get(j, 1000)] * len(gpus))
        fill = np.bincount(np.asarray(gpu_ids, dtype=np.int64), weights=np.asarray(milli, dtype=np.float64),
                           minlength=self.mech.cluster.num_gpus).astype(np.int64)
        return np.minimum(fill, 1000, out=fill)

    def servers(self) -> list[ServerView]:
        """Every server with the jobs packed on each of its GPUs this round.

        Views are immutable, so the ones of servers whose GPUs hold the same jobs as at
        the previous call are reused (:class:`ServerViewCache`).  The cache lives on this
        object, never in the state; a copy of this object (which shares everything but
        the state) starts its own from this one's.
        """
        owner, cache = self.__dict__.get("_servers_view", (None, None))
        if owner != id(self):  # an id, not the object: no reference cycle, picklable
            cache = (cache.copy() if cache is not None
                     else ServerViewCache.from_cluster(self.mech.cluster.servers))
            self.__dict__["_servers_view"] = (id(self), cache)
        return cache.views(self.gpu_holdings())

    def gpu_place(self, gpu_id: int) -> tuple[int, str]:
        """(server id, GPU type) of a global GPU id (the grid's and the decision log's)."""
        cluster = self.mech.cluster
        return int(cluster.server_of[gpu_id]), str(cluster.gpu_type_of[gpu_id])

    def gpu_holdings(self) -> dict[int, list[tuple[int, int]]]:
        """GPU id -> [(job id, milli-GPU it holds)] this round, for busy GPUs only: with
        :meth:`servers`' first result, enough to rebuild every later one (see ServerViewCache)."""
        return gpu_holdings(self.state)

    def job(self, job_id: int) -> JobView | None:
        """One job that has arrived (running, queued or completed), else None."""
        s = self.state
        job = s.jobs.get(job_id)
        if job is None:
            done = next((j for j in s.arrived if j.job_id == job_id), None)
            if done is None:
                return None
            return JobView(job_id, done.job_type, done.scale_factor, done.gpu_milli, done.cpu_milli,
                           done.memory_mib, done.priority_weight, s.start_ts.get(job_id, done.arrival_time),
                           "completed", done.total_steps, done.total_steps, (), s.jct.get(job_id),
                           {}, {}, {})
        types = self.mech.worker_types
        alloc = s.allocation.get(job_id, {})
        gpus = s.assignments.get(job_id, ())
        return JobView(job_id, job.job_type, job.scale_factor, job.gpu_milli, job.cpu_milli,
                       job.memory_mib, job.priority_weight, s.start_ts[job_id],
                       "running" if gpus else "queued", s.steps_run[job_id], job.total_steps,
                       tuple(gpus), s.now - s.start_ts[job_id],
                       {w: float(alloc.get(w, 0.0)) for w in types},
                       {w: float(s.priority_dicts()[w][job_id]) for w in types},
                       {w: float(s.deficits[w][job_id]) for w in types})

    def job_progress(self, job_ids) -> dict[int, tuple[int, int]]:
        """Active job -> (steps done, total steps) for those of ``job_ids`` that are active
        (running or queued); others are left out.  What a progress monitor needs each
        round, without building a :class:`JobView` per job."""
        s = self.state
        jobs, steps = s.jobs, s.steps_run
        return {j: (steps[j], jobs[j].total_steps) for j in job_ids if j in jobs}

    def jobs(self) -> list[JobView]:
        """Active jobs (running and queued), in job-id order."""
        return [self.job(j) for j in self.state.jobs]

    def active_job_ids(self) -> list[int]:
        """Ids of the active jobs (running and queued), in job-id order."""
        return list(self.state.jobs)

    def job_shares(self) -> dict[int, tuple[dict[str, float], dict[str, float]]]:
        """Active job -> (priority per GPU type, LP time share per type): the two
        columns of :meth:`jobs` an inspector's history needs, read for every job at
        once as (jobs × types) arrays (~3× cheaper than building thousands of JobViews)."""
        s = self.state
        types = tuple(self.mech.worker_types)
        ids = list(s.jobs)
        if not types:
            return {j: ({}, {}) for j in ids}
        prio = type_columns(s.priority_dicts(), ids, types).tolist()
        alloc = allocation_matrix(s.allocation, ids, types)[0].tolist()
        return {j: (dict(zip(types, p)), dict(zip(types, a))) for j, p, a in zip(ids, prio, alloc)}

    def placement_decision(self, job_id: int) -> PlacementRecord | None:
        """The latest placement decision record of a job (round mode only), else None:
        the candidates scored, their scores (FGD: with each Δ), the winner and the rule."""
        placer = self.state.placer
        return None if placer is None else placer.records.get(job_id)

    def allocation(self) -> dict[int, dict[str, float]]:
        """The LP's current time shares, job -> GPU type -> fraction (a copy)."""
        return {j: {w: float(x) for w, x in row.items()} for j, row in self.state.allocation.items()}

    def live_metrics(self) -> dict[str, float]:
        """Figures for a dashboard, cheap enough to compute every frame."""
        s = self.state
        done = [v for v in s.jct.values() if v is not None]
        total_gpus = self.mech.cluster.num_gpus
        # distinct GPUs: with sharing on several jobs hold the same GPU
        busy = len({g for gpus in s.assignments.values() for g in gpus})
        out = {}
        if s.rounds and s.rounds[-1].frag is not None:
            out = {k: float(x) for k, x in s.rounds[-1].frag.metrics().items()}
            out["busy_milli_pct"] = 100.0 * s.rounds[-1].busy_milli / (1000 * total_gpus)
        return out | {"time_s": s.now, "round": float(s.num_steps), "running": float(len(s.assignments)),
                "queued": float(len(s.jobs) - len(s.assignments)), "completed": float(len(done)),
                "avg_jct_s": float(np.mean(done)) if done else float("nan"),
                "utilization": busy / total_gpus if total_gpus else 0.0, "rejected": float(s.rejected)}

    # ----------------------------------------------------------- results
    @property
    def num_rejected(self) -> int:
        """Jobs rejected because no GPU type could ever run them in the mode of the
        time (at arrival, or when a mode change made them unrunnable)."""
        return self.state.rejected

    @property
    def window_start_time(self) -> float | None:
        """Simulated time at which the measurement window's first job arrived (None
        until it has, and for a trace without a window)."""
        return self.state.window_start_time

    def last_round(self) -> RoundRecord | None:
        """The latest round's rounds.csv row (its decision ``fingerprint`` among them);
        None before the first step."""
        rounds = self.state.rounds
        return rounds[-1] if rounds else None

    def rounds(self) -> tuple[RoundRecord, ...]:
        """Every round dispatched so far, oldest first: one rounds.csv row each (immutable)."""
        return tuple(self.state.rounds)

    def finished_jcts(self) -> Mapping[int, float | None]:
        """Job id -> JCT in seconds of every job that has left the cluster, in the order
        they left; None for a job that failed or was rejected.  A read-only live view:
        it follows the simulation (copy it to keep it)."""
        return MappingProxyType(self.state.jct)

    def arrived_jobs(self) -> tuple[Job, ...]:
        """Every job that has arrived (admitted or rejected), in arrival order (Jobs are
        immutable; their run-time progress is in :meth:`job`)."""
        return tuple(self.state.arrived)

    def lp_inputs(self) -> AllocationInputs:
        """What the allocation policy would be given if it recomputed now: the active
        jobs with their throughputs in the current mode (a fresh value; solving it
        changes nothing here)."""
        return allocation_inputs(self.state, self.mech)
