"""The job book: jobs in (arrivals, admission or rejection), jobs out (completions,
failures) and the per-job rows of the state in between.

Which GPU types a job can run on depends on the mode of the time (sharing, the
placement), so a mode change refits every active job (:meth:`JobBook._refit_jobs`).
"""

from __future__ import annotations

import math

from .completions import MAX_FAILED_ATTEMPTS, complete_round
from ..model.jobs import Job
from .mechanism import MechanismConfig
from .scenario import GeneratedWorkload, ScenarioConfig, TraceWorkload
from .state import SimState
from ..workload.gavel_generator import generate_job



class JobBook:
    """Job bookkeeping of :class:`~fragscope.core.simulation.Simulation` (mixed into it).

    Reads ``config`` and ``mech``, writes ``state``; caches hostable GPU types per job
    shape in ``_hostable``; asks round mode (:mod:`.sim_round`) whether the placement
    is Gavel's exclusive one."""

    config: ScenarioConfig
    mech: MechanismConfig
    state: SimState

    def _admit_arrivals(self, trace: bool) -> list[int]:
        s, wl = self.state, self.config.workload
        added: list[int] = []
        if trace:
            queue = wl.jobs
            while s.trace_pos < len(queue) and queue[s.trace_pos].arrival_time <= s.now:
                job = queue[s.trace_pos]
                s.trace_pos += 1
                if wl.window is not None and job.job_id == wl.window[0]:
                    s.window_start_time = s.now
                if not self._admit(job, job.arrival_time):  # only after a mode change
                    s.remaining_jobs -= 1                    # (load checks the rest)
                    continue
                added.append(job.job_id)
            return added
        gen = wl.config
        while s.next_arrival is not None and s.next_arrival <= s.now:
            if wl.num_total_jobs is not None and s.num_generated >= wl.num_total_jobs:
                break
            job = generate_job(s.job_rng, self.config.throughputs, gen, s.num_generated,
                               s.next_arrival)
            s.num_generated += 1
            if job.job_id == wl.window[0]:
                s.window_start_time = s.next_arrival
            if self._admit(job, s.next_arrival):
                added.append(job.job_id)
            s.last_arrival = s.next_arrival
            if gen.lam == 0.0:
                delta = 0.0
            else:
                delta = -math.log(1.0 - s.arrival_rng.random()) / (1.0 / gen.lam)
            s.next_arrival = delta + s.last_arrival
        return added

    def _admit(self, job: Job, timestamp: float) -> bool:
        """Add an arriving job, or reject it (counted in the summary) when no GPU type
        can ever run it in the current mode, instead of letting it starve forever."""
        tp = self._job_throughputs(job)
        if self._runnable(job, tp):
            self._add_job(job, timestamp, tp)
            return True
        self.state.arrived.append(job)
        self._count_rejected(job.job_id)
        return False

    def _add_job(self, job: Job, timestamp: float,
                 throughputs: dict[str, float] | None = None) -> None:
        s, mech = self.state, self.mech
        j = job.job_id
        s.jobs[j] = job
        s.arrived.append(job)
        s.steps_run[j] = 0
        s.job_time[j] = {w: mech.half_round for w in mech.worker_types}
        s.throughputs[j] = self._job_throughputs(job) if throughputs is None else throughputs
        s.start_ts[j] = timestamp
        s.latest_ts[j] = None
        s.failures[j] = 0
        pending = s.priority_rows is not None   # the dicts are rewritten when read
        for w in mech.worker_types:
            if not pending:
                s.priorities[w][j] = 0.0
            s.deficits[w][j] = 0.0
        s.need_update = True

    def _fill_steady_state(self, s: SimState, wl: "GeneratedWorkload") -> None:
        # Gavel fills from the requested counts, not the registered GPUs.
        spec = self.config.gpu_counts
        for w in sorted(spec):
            left = spec[w]
            while left > 0:
                job = generate_job(s.job_rng, self.config.throughputs, wl.config,
                                   s.num_generated, 0.0)
                left -= job.scale_factor
                s.num_generated += 1
                self._add_job(job, 0)

    def _process_completions(self) -> list[tuple[int, float | None]]:
        return complete_round(self.state, self.mech.cluster.gpu_type_of, self._remove_job)

    def _remove_job(self, j: int) -> None:
        s = self.state
        failed = s.failures[j] >= MAX_FAILED_ATTEMPTS
        s.jct[j] = None if failed else s.latest_ts[j] - s.start_ts[j]
        s.completion_time[j] = s.latest_ts[j]
        last = s.assignments.get(j)
        if last is not None:
            s.last_gpus[j] = last
        del s.jobs[j], s.steps_run[j], s.job_time[j], s.throughputs[j], s.failures[j]
        if s.placer is not None:
            s.placer.records.pop(j, None)
        s.unplaced_streak.pop(j, None)
        pending = s.priority_rows is not None   # the dicts are rewritten when read
        for w in self.mech.worker_types:
            if not pending:
                del s.priorities[w][j]
            del s.deficits[w][j]
        s.need_update = True

    def _count_rejected(self, j: int) -> None:
        s = self.state
        s.jct[j] = None
        s.completion_time[j] = s.now
        s.rejected += 1

    def _refit_jobs(self) -> None:
        """After a mode change (sharing, placement): recompute every active job's
        throughputs and reject the jobs the new mode can never run (e.g. a 4-GPU job
        once sharing is on and every server has one GPU), so none waits forever."""
        s = self.state
        trace = isinstance(self.config.workload, TraceWorkload)
        changed = False
        for j in list(s.jobs):
            tp = self._job_throughputs(s.jobs[j])
            if tp == s.throughputs[j]:
                continue
            changed = True
            s.throughputs[j] = tp
            if self._runnable(s.jobs[j], tp):
                continue
            self._remove_job(j)
            self._count_rejected(j)
            s.assignments.pop(j, None)
            s.assignment_milli.pop(j, None)
            if trace:
                s.remaining_jobs -= 1
        if changed:
            s.need_update = True
            s.job_arrays = None  # its throughputs are stale: rebuilt from the dicts

    def _job_throughputs(self, job: Job) -> dict[str, float]:
        """The job's throughput per GPU type in the current mode.

        A fractional job runs at milli/1000 of its solo throughput, sharing or not
        (product.md); a type outside its allowed models, or with no server that could
        ever host the job, is a zero-throughput type, so the LP never gives it time
        there.  Whole-GPU jobs on Gavel's clusters under Gavel's own mechanism keep
        Gavel's table as is (they may span servers)."""
        mech, table = self.mech, self.config.throughputs
        if (job.gpu_milli >= 1000 and job.allowed_models is None and not mech.cluster.has_resources
                and not self._single_server()):
            return {w: table.get(w, job.key) for w in mech.worker_types}
        share = job.gpu_milli / 1000
        hostable = self._hostable_types(job)
        return {w: (table.get(w, job.key) * share if w in hostable else 0.0)
                for w in mech.worker_types}

    def _hostable_types(self, job: Job, single_server: bool = True) -> set[str]:
        """GPU types with a server that could ever host ``job`` (GPUs, CPU, memory,
        allowed models).  Gavel's exclusive placement may span servers of a type."""
        key = (job.scale_factor, job.cpu_milli, job.memory_mib, job.allowed_models, single_server)
        cache = self.__dict__.setdefault("_hostable", {})
        if key not in cache:
            out = set()
            spec = self.mech.cluster_spec
            for srv in self.mech.cluster.servers:
                w = srv.gpu_type
                if job.allowed_models is not None and w not in job.allowed_models:
                    continue
                gpus = srv.num_gpus if single_server else spec[w]
                if gpus < job.scale_factor:
                    continue
                if srv.cpu_milli is not None and srv.cpu_milli < job.cpu_milli:
                    continue
                if srv.memory_mib is not None and srv.memory_mib < job.memory_mib:
                    continue
                out.add(w)
            cache[key] = out
        return cache[key]

    def _runnable(self, job: Job, throughputs: dict[str, float]) -> bool:
        """Whether some GPU type gives ``job`` throughput (as the LP sees it) and can
        hold it in the current mode.  Under Gavel's own mechanism this only fails for
        jobs larger than every GPU type (e.g. an 8-GPU job on 4:4:4), which Gavel keeps
        waiting forever."""
        hostable = self._hostable_types(job, self._single_server())
        return any(throughputs[w] > 0 for w in hostable)

    def _single_server(self) -> bool:
        """Jobs must fit on one server: everywhere but Gavel's exclusive placement."""
        return self.state.mode.sharing or not self._exclusive()
