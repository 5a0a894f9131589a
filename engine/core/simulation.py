"""The simulation: Gavel's event loop (gavel.md §1.2), one iteration per ``step()``.

A step advances the clock to the end of the round dispatched last step (or to the
next arrival when nothing ran), processes completions, admits arrivals and
dispatches the next round.  The returned :class:`RoundReport` describes the round
that starts at the new clock.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass
from operator import itemgetter
from typing import Iterator

import numpy as np

from ..errors import InputError, SimulationError
from .jobs import Job
from .mechanism import (MechanismConfig, allocation_matrix, assign_gpus, compute_priorities,
                        select_and_place, select_jobs, type_columns)
from ..policies import make_policy
from .report import RoundReport
from .scenario import GeneratedWorkload, ScenarioConfig, TraceWorkload
from .state import RoundRecord, SimState
from .views import JobView, ServerView, ServerViewCache, gpu_holdings
from ..workload.gavel_generator import generate_job

MAX_FAILED_ATTEMPTS = 5
FRAG_KEYS = ("frag_amount", "frag_rate", "frag_over_total", "unalloc_gpu_pct", "occupied_nodes",
             "partial_gpus")
_STUCK_STEPS = 4


def _mean_speed(table, gpu_type: str) -> float:
    rows = table.table.get(gpu_type, {})
    return sum(rows.values()) / len(rows) if rows else 0.0


@dataclass(frozen=True)
class Snapshot:
    """An opaque saved state; restore it with :meth:`Simulation.restore`."""

    state: SimState
    step_index: int


class Simulation:
    """A steppable, cloneable simulation of one scenario."""

    def __init__(self, config: ScenarioConfig, explain: bool = True) -> None:
        self.config = config
        self.explain = explain  # keep placement decision records (the UI's inspector)
        cluster = config.cluster
        types = tuple(cluster.gpu_types)
        self.mech = MechanismConfig(cluster=cluster, round_seconds=config.round_seconds,
                                    reset_interval=config.reset_interval,
                                    worker_types=types, cluster_spec=cluster.spec(),
                                    speed={w: _mean_speed(config.throughputs, w) for w in types})
        s = SimState()
        seed = config.seed
        s.job_rng = random.Random(seed + 2)
        s.arrival_rng = random.Random(seed + 3)
        s.shuffle_rng = random.Random(seed + 5)
        s.policy = make_policy(config.policy, config.solver, seed)
        s.sharing = config.sharing
        s.priorities = {w: {} for w in types}
        s.deficits = {w: {} for w in types}
        s.worker_time = {w: 0.0 for w in types}
        s.gpu_busy = [0.0] * cluster.num_gpus
        wl = config.workload
        if isinstance(wl, TraceWorkload):
            s.remaining_jobs = len(wl.jobs)
            s.now = wl.jobs[0].arrival_time
            s.next_arrival = wl.jobs[0].arrival_time
        else:
            s.next_arrival = 0.0
            if wl.config.steady_state:
                self._fill_steady_state(s, wl)
        self.state = s

    # ----------------------------------------------------------------- public API
    @classmethod
    def from_scenario(cls, scenario: "str | dict", overrides: list[str] | None = None) -> "Simulation":
        """Build from a scenario file path or dict, with ``dotted.key=value`` overrides."""
        from .scenario import load_scenario
        return cls(load_scenario(scenario, overrides or []))

    @property
    def done(self) -> bool:
        return self.state.done

    @property
    def now(self) -> float:
        return self.state.now

    @property
    def step_index(self) -> int:
        return self.state.num_steps

    def clone(self) -> "Simulation":
        """An independent copy that continues exactly as this one would."""
        other = object.__new__(Simulation)
        other.config = self.config
        other.mech = self.mech
        other.explain = self.explain
        other._target = getattr(self, "_target", None)
        other.state = copy.deepcopy(self.state)
        return other

    def snapshot(self) -> Snapshot:
        return Snapshot(copy.deepcopy(self.state), self.state.num_steps)

    def restore(self, snap: Snapshot) -> None:
        self.state = copy.deepcopy(snap.state)

    def set_sharing(self, enabled: bool) -> None:
        """Toggle GPU sharing; takes effect from the next round."""
        if enabled != self.state.sharing:
            self.state.sharing = enabled
            self.state.need_update = True
            self._refit_jobs()

    @property
    def num_rejected(self) -> int:
        """Jobs rejected because no GPU type could ever run them in the mode of the
        time (at arrival, or when a mode change made them unrunnable)."""
        return self.state.rejected

    @property
    def placement(self) -> str:
        return self.state.placement or self.config.placement

    @property
    def policy_name(self) -> str:
        return self.state.policy_name or self.config.policy

    def set_placement(self, name: str) -> None:
        """Switch the placement (e.g. on a fork); from the next round.  ``name`` is a
        registered placement or a plug-in (``file.py:Class`` relative to the current
        folder, ``module:Class``); the scenario's parameters go with its own plug-in."""
        from ..placement.registry import REGISTRY, canonical_spec
        ref = REGISTRY.resolve(name, where="placement")
        REGISTRY.load(ref)
        name = canonical_spec(ref)
        if name != self.placement:
            self.state.placement = name
            self.state.placer = None  # rebuilt with the new strategy on next use
            self._refit_jobs()

    def set_policy(self, name: str) -> None:
        """Switch the allocation policy (e.g. on a fork); the LP is recomputed at the
        next allowed reset, as after any change."""
        from ..policies import POLICY_NAMES
        if name not in POLICY_NAMES:
            raise InputError("policy", f"{name!r} is not allowed (allowed: {', '.join(POLICY_NAMES)})")
        if name != self.policy_name:
            self.state.policy = make_policy(name, self.config.solver, self.config.seed)
            self.state.policy_name = name
            self.state.need_update = True

    def run(self, max_steps: int | None = None) -> Iterator[RoundReport]:
        """Step until done (or ``max_steps``), yielding each round's report."""
        n = 0
        while not self.done and (max_steps is None or n < max_steps):
            yield self.step()
            n += 1

    def run_to_end(self) -> None:
        for _ in self.run():
            pass

    # ------------------------------------------------------------------ views
    @property
    def gpu_types(self) -> list[str]:
        return list(self.mech.worker_types)

    @property
    def sharing(self) -> bool:
        return self.state.sharing

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
                       {w: float(s.priorities[w][job_id]) for w in types},
                       {w: float(s.deficits[w][job_id]) for w in types})

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
        prio = type_columns(s.priorities, ids, types).tolist()
        alloc = allocation_matrix(s.allocation, ids, types)[0].tolist()
        return {j: (dict(zip(types, p)), dict(zip(types, a))) for j, p, a in zip(ids, prio, alloc)}

    def placement_decision(self, job_id: int):
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
            out = dict(zip(FRAG_KEYS, (float(x) for x in s.rounds[-1].frag)))
            out["busy_milli_pct"] = 100.0 * s.rounds[-1].busy_milli / (1000 * total_gpus)
        return out | {"time_s": s.now, "round": float(s.num_steps), "running": float(len(s.assignments)),
                "queued": float(len(s.jobs) - len(s.assignments)), "completed": float(len(done)),
                "avg_jct_s": float(np.mean(done)) if done else float("nan"),
                "utilization": busy / total_gpus if total_gpus else 0.0, "rejected": float(s.rejected)}

    # ------------------------------------------------------------------ the loop
    def step(self) -> RoundReport:
        s, cfg = self.state, self.config
        if s.done:
            raise SimulationError("simulation is already complete")
        trace = isinstance(cfg.workload, TraceWorkload)
        if trace:
            queue = cfg.workload.jobs
            if s.trace_pos < len(queue):
                s.next_arrival = queue[s.trace_pos].arrival_time
            else:
                s.next_arrival = None
                if not s.dispatched:
                    s.last_reset_time = 0  # Gavel's forced reset once the queue is empty
        elif self._arrivals_exhausted() and not s.dispatched:
            # Deliberate difference from Gavel: once the generator has made its last job,
            # Gavel's clock jumps back to the stale next-arrival time and its lazy reset
            # never comes, so a job waiting for a recompute (e.g. FIFO's queue head) hangs.
            # Keep the clock and force the recompute, as Gavel's trace mode does.
            s.next_arrival = None
            s.last_reset_time = 0
        prev_now = s.now
        max_finish = 0
        if s.dispatched:
            top = max(t[0] for t in s.dispatched)
            if top > max_finish:
                max_finish = top
                if s.round_end is not None:
                    s.round_start = s.round_end
                s.round_end = max_finish
        if max_finish > 0:
            s.now = max_finish
        elif s.next_arrival is not None:
            s.now = s.next_arrival
        completions = self._process_completions()
        arrivals = self._admit_arrivals(trace)
        report = self._schedule(arrivals, completions)
        s.num_steps += 1
        if not s.dispatched and s.now == prev_now:
            s.idle_steps += 1
            if s.idle_steps >= _STUCK_STEPS:
                stuck = ", ".join(str(j) for j in list(s.jobs)[:10])
                raise SimulationError(
                    f"no job can be scheduled and no arrival is pending at t={s.now:.3f} s; "
                    f"stuck active jobs: {stuck or 'none'} (a job may need more GPUs than any "
                    "GPU type has, or have zero throughput on every type)")
        else:
            s.idle_steps = 0
        s.done = self._is_done(trace)
        return report

    # ------------------------------------------------------------------ round mode
    def _placer(self):
        """The round-mode placer, built on first use (a fork may switch sharing on)."""
        s = self.state
        if s.placer is None:
            from ..placement.round import RoundPlacer
            cfg = self.config
            ref, params = self._placement_ref()
            s.placer = RoundPlacer(self.mech.cluster, ref, self.target_workload(), cfg.seed,
                                   cfg.fgd_scoring, params)
        return s.placer

    def _placement_ref(self):
        """The current placement's plug-in reference and parameters (the scenario's own,
        unless a fork switched to another)."""
        from ..placement.registry import REGISTRY
        cfg = self.config
        if self.state.placement is None and cfg.placement_ref is not None:
            return cfg.placement_ref, cfg.placement_params
        ref = REGISTRY.resolve(self.placement, where="placement")
        return ref, (cfg.placement_params if ref == cfg.placement_ref else {})

    def _exclusive(self) -> bool:
        """Whether the placement asks for Gavel's exclusive assignment with sharing off."""
        if self.state.placement is None:
            return self.config.placement_exclusive
        from ..placement.registry import is_exclusive
        return is_exclusive(self.state.placement)

    def target_workload(self):
        """FGD's target workload M (fgd.md §2.4), built from this scenario's jobs."""
        if getattr(self, "_target", None) is None:
            from .fragmentation import TaskType, build_target_workload, target_workload_from_pods
            cfg = self.config
            kwargs = dict(threshold_pct=cfg.frag_threshold_pct, include_cpu_only=cfg.frag_include_cpu_only)
            wl = cfg.workload
            pod_source = None
            if isinstance(wl, TraceWorkload) and wl.path.endswith(".csv"):
                pod_source = wl.path
            elif isinstance(wl, GeneratedWorkload) and wl.config.pods is not None:
                pod_source = wl.config.pods.source
            if pod_source is not None:
                from ..workload.alibaba import read_pod_list
                self._target = target_workload_from_pods(read_pod_list(pod_source), **kwargs)
            else:
                jobs = wl.jobs if isinstance(wl, TraceWorkload) else self._sample_jobs(2000)
                types = [TaskType(j.cpu_milli, j.gpu_milli, j.scale_factor,
                                  "|".join(j.allowed_models or ())) for j in jobs]
                self._target = build_target_workload(types, **kwargs)
        return self._target

    def _sample_jobs(self, n: int) -> list[Job]:
        """The first ``n`` jobs this scenario will generate (same seed, a private stream)."""
        rng = random.Random(self.config.seed + 2)
        return [generate_job(rng, self.config.throughputs, self.config.workload.config, i, 0.0)
                for i in range(n)]

    def _interference(self, new: dict[int, tuple[int, ...]]) -> dict[int, float]:
        """Throughput factor per job from the number of jobs sharing its busiest GPU."""
        factors = self.config.interference
        count: dict[int, int] = {}
        for gpus in new.values():
            for g in gpus:
                count[g] = count.get(g, 0) + 1
        out = {}
        for j, gpus in new.items():
            n = max(count[g] for g in gpus)
            if n >= 2:
                out[j] = factors[min(n - 2, len(factors) - 1)]
        return out

    def _fragmentation(self, exact: bool) -> tuple:
        """F_n(M)-based metrics of this round's occupancy (fgd.md §1.3)."""
        placer = self._placer()
        if exact:  # occupancy was not built by the round placer: rebuild it
            placer.load(self.state.assignments, self.state.jobs)
        m = placer.metrics()
        return (m.frag_milli / 1000, m.frag_rate_pct, m.frag_over_total_pct, m.unalloc_gpu_pct,
                m.occupied_nodes, m.partial_gpus)

    # ------------------------------------------------------------------ helpers
    def _arrivals_exhausted(self) -> bool:
        """True once a generated workload has made every job it will make."""
        wl = self.config.workload
        return wl.num_total_jobs is not None and self.state.num_generated >= wl.num_total_jobs

    def _is_done(self, trace: bool) -> bool:
        s, wl = self.state, self.config.workload
        if wl.window is not None:
            lo, hi = wl.window
            return all(j in s.jct for j in range(lo, hi))
        return trace and s.remaining_jobs == 0

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
        for w in mech.worker_types:
            s.priorities[w][j] = 0.0
            s.deficits[w][j] = 0.0
        s.need_update = True

    def _single_server(self) -> bool:
        """Jobs must fit on one server: everywhere but Gavel's exclusive placement."""
        return self.state.sharing or not self._exclusive()

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

    def _count_rejected(self, j: int) -> None:
        s = self.state
        s.jct[j] = None
        s.completion_time[j] = s.now
        s.rejected += 1

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

    def _remove_job(self, j: int) -> None:
        s = self.state
        failed = s.failures[j] >= MAX_FAILED_ATTEMPTS
        s.jct[j] = None if failed else s.latest_ts[j] - s.start_ts[j]
        s.completion_time[j] = s.latest_ts[j]
        del s.jobs[j], s.steps_run[j], s.job_time[j], s.throughputs[j], s.failures[j]
        if s.placer is not None:
            s.placer.records.pop(j, None)
        s.unplaced_streak.pop(j, None)
        for w in self.mech.worker_types:
            del s.priorities[w][j], s.deficits[w][j]
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
        s, mech = self.state, self.mech
        done: list[tuple[int, float | None]] = []
        # latest finish first, ties by job id: two stable C-keyed sorts (job id, then
        # finish time reversed — reverse keeps ties in order), the order of the key
        # (-finish, job) without a Python call per micro-task
        tasks = sorted(s.dispatched, key=itemgetter(1))
        tasks.sort(key=itemgetter(0), reverse=True)
        s.dispatched = []
        jobs, failures, steps_run, job_time = s.jobs, s.failures, s.steps_run, s.job_time
        worker_time, gpu_busy, held_milli = s.worker_time, s.gpu_busy, s.assignment_milli
        gpu_type_of, round_start, exact = mech.cluster.gpu_type_of, s.round_start, s.exact_round
        for finish, j, gpus, num_steps in tasks:
            job = jobs.get(j)
            if job is None:
                continue
            exec_time = finish - round_start
            s.latest_ts[j] = finish
            # steps per GPU: an equal share each, the last GPU the remainder; summed in
            # GPU-id order, as Gavel does
            if len(gpus) == 1:
                parts = [num_steps]
            else:
                scale, total, by_gpu = job.scale_factor, 0, []
                for i, g in enumerate(gpus):
                    part = num_steps - total if i == len(gpus) - 1 else num_steps // scale
                    total += part
                    by_gpu.append((g, part))
                parts = [part for _, part in sorted(by_gpu, key=lambda x: x[0])]
            ok = exact or num_steps > 0
            steps = 0
            max_exec = 0
            for part in parts:
                # Gavel fails a micro-task when any GPU got 0 steps (a multi-GPU job with
                # fewer steps left than GPUs); round mode judges the job as a whole.
                if (part <= 0 and exact) or exec_time <= 0:
                    ok = False
                steps += part
                max_exec = max(max_exec, exec_time)
            finished = False
            if not ok:
                failures[j] += 1
                finished = failures[j] >= MAX_FAILED_ATTEMPTS
                s.need_update = True
            else:
                failures[j] = 0
                steps_run[j] += steps
                finished = job.total_steps - steps_run[j] <= 0
                max_exec = float(max_exec)  # (Python float arithmetic: same IEEE doubles as numpy's, faster)
                w = gpu_type_of[gpus[0]]
                job_time[j][w] += max_exec
                worker_time[w] += max_exec
                held = held_milli.get(j, 1000)
                busy = max_exec if held >= 1000 else max_exec * held / 1000
                for g in gpus:
                    gpu_busy[g] += busy
            if finished:
                self._remove_job(j)
                s.remaining_jobs -= 1
                done.append((j, s.jct[j]))
        return done

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

    def _schedule(self, arrivals: list[int], completions: list) -> RoundReport:
        s, mech = self.state, self.mech
        recomputed, cols = compute_priorities(s, mech)
        types = mech.type_order()
        name = s.policy.gavel_name
        if "Perf" not in name and "Packing" not in name:
            s.shuffle_rng.shuffle(types)
        exact = not s.sharing and self._exclusive()
        s.exact_round = exact
        if exact:  # Gavel's own mechanism, bit for bit
            new = assign_gpus(s, mech, types, select_jobs(s, mech, types, name, cols))
        else:
            new = select_and_place(s, mech, types, name, self._placer(), self.explain, cols)
        jobs = s.jobs
        if s.sharing:
            s.assignment_milli = {j: jobs[j].gpu_milli for j in new}
        else:
            s.assignment_milli = dict.fromkeys(new, 1000)
        s.lease_opportunities += sum(1 for j in s.assignments if j in jobs)
        prev_of = s.assignments
        s.lease_extensions += sum(1 for j, gpus in new.items()
                                  if (prev := prev_of.get(j)) is not None
                                  and (prev == gpus or set(prev) == set(gpus)))
        s.assignments = new
        round_seconds = mech.round_seconds
        gpu_type_of = mech.cluster.gpu_type_of
        slowdown = self._interference(new) if s.sharing and self.config.interference else {}
        now, throughputs, steps_run, dispatched = s.now, s.throughputs, s.steps_run, s.dispatched
        for j, gpus in new.items():
            w = gpu_type_of[gpus[0]]
            tput = throughputs[j][w] * slowdown[j] if j in slowdown else throughputs[j][w]
            remaining = jobs[j].total_steps - steps_run[j]
            num_steps = min(int(tput * round_seconds), remaining)
            finish = now + num_steps / tput
            dispatched.append((max(now, finish), j, gpus, num_steps))
        if new:
            s.num_rounds += 1
        busy = len({g for gpus in new.values() for g in gpus})  # a shared GPU counts once
        milli = s.assignment_milli
        busy_milli = sum(len(g) * milli[j] for j, g in new.items())
        frag = self._fragmentation(exact) if self.config.fragmentation_metrics else None
        metrics = {} if frag is None else dict(zip(FRAG_KEYS, frag))
        record = RoundRecord(index=s.num_steps, time=s.now, arrivals=len(arrivals),
                             completions=len(completions), running=len(new),
                             queued=len(s.jobs) - len(new), completed_total=len(s.jct),
                             busy_gpus=busy, lp_recomputed=recomputed, busy_milli=busy_milli,
                             frag=frag)
        s.rounds.append(record)
        return RoundReport(index=s.num_steps, time=s.now, arrivals=arrivals,
                           completions=completions, allocation_recomputed=recomputed,
                           allocation=s.allocation if recomputed else None,
                           placements=dict(new), running=len(new),
                           queued=len(s.jobs) - len(new), completed_total=len(s.jct),
                           busy_gpus=busy, total_gpus=mech.cluster.num_gpus, metrics=metrics)
