"""The step: Gavel's event loop (gavel.md §1.2), one iteration per ``Simulation.step()``.

Advance the clock to the end of the round dispatched last step (or to the next
arrival when nothing ran), process completions, admit arrivals, then select the
next round's jobs, place them (Gavel's own mechanism, or round mode's placer) and
dispatch their micro-tasks; finally decide whether the run is over.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np

from ..model.errors import SimulationError
from ..plugins import PluginError
from .collector import batched_collection
from .decisions import fingerprint, round_changes, round_decisions
from .mechanism import MechanismConfig, assign_gpus, compute_priorities, select_jobs
from .report import RoundReport
from .round_selection import select_and_place
from .selection_trace import SelectionTrace, copy_columns
from .scenario import ScenarioConfig, TraceWorkload
from .state import RoundRecord, SimState

_STUCK_STEPS = 4


class StepLoop:
    """The step of :class:`~fragscope.core.simulation.Simulation` (mixed into it).

    Uses the job book (:mod:`.sim_jobs`: completions and arrivals) and round mode
    (:mod:`.sim_round`: the placer and the fragmentation figures)."""

    config: ScenarioConfig
    mech: MechanismConfig
    state: SimState
    explain: bool
    record_decisions: bool

    def step(self) -> RoundReport:
        """One iteration of the loop; the report of the round that starts at the new clock.
        (The garbage collector runs once for the step, :mod:`.collector`.)  A plug-in's
        failure says in which round and with which seed (to reproduce it)."""
        with batched_collection():
            try:
                return self._step()
            except PluginError as exc:
                if exc.source:
                    raise
                raise PluginError(f"round {self.state.num_steps}, seed {self.config.seed}", exc.message) from None

    def _step(self) -> RoundReport:
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
            top = max(s.dispatched)[0]   # (finish, job, ...): the latest finish
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

    def _schedule(self, arrivals: list[int], completions: list) -> RoundReport:
        s, mech = self.state, self.mech
        s.exact_mode = not s.mode.sharing and self._exclusive()
        recomputed, cols = compute_priorities(s, mech)
        types = mech.type_order()
        if getattr(s.policy, "shuffle_gpu_types", False):   # Gavel's, for its non-"Perf" policies
            s.shuffle_rng.shuffle(types)
        skip_zero = bool(getattr(s.policy, "skip_zero_priority", False))   # FIFO's
        exact = s.exact_mode
        s.exact_round = exact
        if exact:  # Gavel's own mechanism, bit for bit
            scheduled = select_jobs(s, mech, types, skip_zero, cols)
            new = assign_gpus(s, mech, types, scheduled)
            if self.explain:
                s.selection = SelectionTrace(
                    s.num_steps, copy_columns(cols), tuple(types), {w: mech.cluster_spec[w] for w in types},
                    cols.scale.copy(), "GPUs", False, skip_zero,
                    tuple((j, w) for w in types for j, _ in scheduled[w]))
        else:
            new = select_and_place(s, mech, types, skip_zero, self._placer(), self.explain, cols,
                                   probe=self.record_decisions)
        jobs = s.jobs
        if s.mode.sharing:
            s.assignment_milli = {j: jobs[j].gpu_milli for j in new}
        else:
            s.assignment_milli = dict.fromkeys(new, 1000)
        prev_of = s.assignments
        changes, kept = round_changes(prev_of, new, {j: jct is not None for j, jct in completions})
        s.last_changes = changes
        if self.record_decisions:
            s.decisions.extend(round_decisions(s.num_steps, s.now, changes, self._decision_reason(exact)))
        s.lease_opportunities += sum(map(jobs.__contains__, prev_of))
        s.lease_extensions += kept
        s.assignments = new
        gpu_type_of = mech.cluster.gpu_type_of
        slowdown = self._interference(new) if s.mode.sharing and self.config.interference else {}
        if new:
            s.dispatched.extend(_micro_tasks(s, new, mech.round_seconds, gpu_type_of, slowdown))
            s.rounds_dispatched += 1
        if s.mode.sharing:
            busy = len({g for gpus in new.values() for g in gpus})  # a shared GPU counts once
            milli = s.assignment_milli
            busy_milli = sum(len(g) * milli[j] for j, g in new.items())
        else:   # whole GPUs, one job each
            busy = sum(map(len, new.values()))
            busy_milli = 1000 * busy
        frag = self._fragmentation(exact) if self.config.fragmentation_metrics else None
        metrics = {} if frag is None else frag.metrics()
        record = RoundRecord(index=s.num_steps, time=s.now, arrivals=len(arrivals),
                             completions=len(completions), running=len(new),
                             queued=len(s.jobs) - len(new), completed_total=len(s.jct),
                             busy_gpus=busy, lp_recomputed=recomputed, busy_milli=busy_milli,
                             frag=frag, fingerprint=fingerprint(changes), lp_fingerprint=s.lp_fingerprint)
        s.rounds.append(record)
        return RoundReport(index=s.num_steps, time=s.now, arrivals=arrivals,
                           completions=completions, allocation_recomputed=recomputed,
                           allocation=s.allocation if recomputed else None,
                           placements=dict(new), running=len(new),
                           queued=len(s.jobs) - len(new), completed_total=len(s.jct),
                           busy_gpus=busy, total_gpus=mech.cluster.num_gpus, metrics=metrics,
                           lp_note=s.lp_note if recomputed else "")

    def _decision_reason(self, exact: bool, round_index: int | None = None):
        """(rule, score) of this round's placed or moved jobs for the decision log: the
        placement's own record when the placement was explained this round (every one
        with explanations on; the first new one of each round otherwise), else its name."""
        s = self.state
        if exact:
            return lambda j: ("gavel: last round's GPUs if free, else the next free GPUs in server order", None)
        placer = s.placer
        name, records = placer.placement, placer.records   # (this round's: explained ones)
        now = s.num_steps if round_index is None else round_index

        def why(j: int) -> tuple[str, float | None]:
            rec = records.get(j)
            if rec is not None and rec.round == now:
                return rec.rule, rec.score
            return name, None
        return why

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


def _micro_tasks(s: SimState, new: dict[int, tuple[int, ...]], round_seconds: float, gpu_type_of: list[str],
                 slowdown: dict[int, float]) -> list[tuple]:
    """Each placed job's micro-task (finish time, job, GPUs, steps): the steps one round
    at its throughput on its GPU type allows (``int()``, as Gavel), at most the steps it
    has left, and when they end.

    Computed for all jobs at once from the array mirror (state.JobArrays, synced this
    round; its values are copies of the dicts').  The same IEEE operations as per-job
    Python: steps per round are far below 2**53, so int64/float64 hold them exactly; a
    job's steps keep the type of its remaining steps (int for trace jobs, float for
    generated ones) when those are the fewer, as with ``min()``."""
    arrays = s.job_arrays
    ids = list(new)
    gpus = list(new.values())
    n = len(ids)
    rows = arrays.rows_of(ids)
    if (rows < 0).any():
        raise SimulationError("internal: a placed job has no row in the job arrays")
    col = arrays.col
    cols = np.fromiter((col[gpu_type_of[g[0]]] for g in gpus), np.intp, n)
    tput = arrays.tput[rows, cols]
    if slowdown:
        tput = tput * np.fromiter(map(slowdown.get, ids, repeat(1.0, n)), np.float64, n)   # (x * 1.0 == x)
    if not (tput > 0).all():
        raise SimulationError("a job was placed on a GPU type where its throughput is 0")
    rem = arrays.total_steps[rows] - arrays.steps_run[rows]   # (the dicts' values, exactly)
    whole = (tput * round_seconds).astype(np.int64)          # int(tput * round_seconds)
    fewer = rem < whole                                       # min(whole, remaining) is remaining
    steps = whole.tolist()
    jobs, steps_run = s.jobs, s.steps_run
    for i in np.flatnonzero(fewer).tolist():
        j = ids[i]
        steps[i] = jobs[j].total_steps - steps_run[j]         # (its own type: int or float)
    now = s.now
    finish = now + np.where(fewer, rem, whole) / tput
    finish = np.where(finish > now, finish, now)
    return list(zip(finish.tolist(), ids, gpus, steps))
