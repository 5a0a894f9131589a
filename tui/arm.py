"""An arm: one simulation (A, or the fork B) plus what the UI remembers about its past.

What it remembers: the round summaries the plots and the event log read, the per-job
priority history the inspector shows, and the checkpoints it rewinds by
(:mod:`fragscope.tui.checkpoints`).  :class:`~fragscope.tui.session.Session` drives an arm
only through the arm protocol (:class:`~fragscope.tui.arm_protocol.ArmProtocol`), so an
arm can just as well live in another process (:class:`fragscope.tui.arm_process.RemoteArm`);
an :class:`ArmSeed` is what such an arm, or a fork, is built from.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from dataclasses import dataclass, replace

from fragscope import (ArmRound, BacklogMonitor, Condition, DecisionRow, InputError, JobView, RoundReport,
                       ServerView, Simulation, measured_job_ids, parse_condition)

from .arm_protocol import ArmProtocol, ForkChange, Ready
from .checkpoints import Checkpoint, CheckpointRing
from .frames import ArmFrame, FrameWire, RoundSummary, round_metrics, series, sim_label
from .inspection import Inspection, inspect_sim
from .watch import Watched, WatchRow, watch_row

TRACK_JOBS_PER_ROUND = 500   # above this many active jobs, priorities are sampled sparser
_PRIORITY_TRACK_LEN = 400     # rounds of per-job priority history kept for the inspector


@dataclass
class ArmSeed:
    """Everything an :class:`Arm` is built from (picklable: a fork sent to another process)."""

    label: str
    sim: Simulation
    ring: int
    history: list[RoundSummary] | None = None
    fork_step: int | None = None
    checkpoint_every: int | None = None
    costs: tuple[float, float, int] | None = None
    last_placements: dict[int, tuple[int, ...]] | None = None
    priority_track: dict[int, tuple[tuple[int, dict[str, float], dict[str, float]], ...]] | None = None
    watched: Watched | None = None


class ArmFailed(InputError):
    """A plug-in (or bad input) failed while arm ``label`` stepped to round ``round`` (the
    app's numbering): the message names the arm — the engine's names the round and seed —
    so the Events panel says which arm to close (the session can drop it, keep the other)."""

    def __init__(self, label: str, round: int, cause: InputError) -> None:
        self.label, self.round, self.cause = label, round, cause
        super().__init__(f"arm {label}", str(cause))

    def __reduce__(self):  # crosses from an arm's process
        return (type(self), (self.label, self.round, self.cause))


class Arm(ArmProtocol):
    """One simulation (A, or the fork B) plus what the UI remembers about its past.

    It lives in the process that asked for it, so every ``begin_*`` half of the arm
    protocol does its work at once and returns a :class:`~fragscope.tui.arm_protocol.Ready`.
    """

    def __init__(self, label: str, sim: Simulation, ring: int,
                 history: list[RoundSummary] | None = None, fork_step: int | None = None,
                 checkpoint_every: int | None = None,
                 costs: tuple[float, float, int] | None = None) -> None:
        self.label = label
        self.sim = sim
        self.fork_step = fork_step
        self.history: list[RoundSummary] = history if history is not None else [
            RoundSummary(step=sim.step_index, time=sim.now, metrics=round_metrics(sim, None))]
        self.ring = CheckpointRing(ring, checkpoint_every, costs)
        self.priority_track: dict[int, deque[tuple[int, dict[str, float], dict[str, float]]]] = {}
        self.last_placements: dict[int, tuple[int, ...]] = {}
        self.track_every = 1
        self._version = 0           # bumped whenever the simulation changes (views cache key)
        self._views_at = -1
        self._views: tuple[JobView, ...] = ()
        self._frame_jobs: tuple[JobView, ...] | None = None
        self._frame_alloc: dict[int, dict[str, float]] = {}
        self.num_gpus = int(sim.gpu_fill().size)
        self._checks: tuple[Condition, ...] = ()   # run until and breakpoints: checked after each step
        self.backlog = self._new_backlog()   # "overloaded: queue +N jobs/h" for the header
        self.watched: Watched | None = None   # the watched job or GPU (one row per round)
        self.watch_rows: list[WatchRow] = []
        self.ring.take(self.sim)
        self._track_jobs()

    # -------------------------------------------------------------- stepping
    @property
    def step_index(self) -> int:
        return self.sim.step_index

    @property
    def done(self) -> bool:
        return self.sim.done

    def step(self) -> RoundSummary:
        t0 = time.perf_counter()
        before = self.sim.step_index
        try:
            report = self.sim.step()
        except InputError as exc:
            # A plug-in failed part-way through the round: the engine's state is
            # half-stepped.  Put the arm back at the round it was at (its checkpoint and
            # a deterministic replay), so stepping on, rewinding or forking after the
            # message starts from a whole round.  The message says which arm and round.
            self._restore(before)
            raise ArmFailed(self.label, before + 1, exc) from None
        self.ring.stepped(time.perf_counter() - t0)
        self._version += 1
        summary = self._summarise(report)
        self.history.append(summary)
        status = self.backlog.observe(self.sim)
        last = self.sim.last_round()
        here = {self.label: ArmRound(self.sim, status.overloaded)}
        held = tuple(i for i, c in enumerate(self._checks) if c.holds(here, self.label))   # (each sees every round)
        summary = replace(summary, fingerprint=last.fingerprint if last else "", held=held)
        self.history[-1] = summary
        self._track_jobs()
        if self.watched is not None:
            self.watch_rows.append(watch_row(self.sim, self.watched))
        if self.ring.due(self.sim.step_index):
            self.ring.take(self.sim)
        return summary

    def _summarise(self, report: RoundReport) -> RoundSummary:
        placements = {j: tuple(g) for j, g in report.placements.items()}
        moved = tuple((j, g) for j, g in sorted(placements.items())
                      if self.last_placements.get(j) != g)
        self.last_placements = placements
        return RoundSummary(step=self.sim.step_index, time=report.time,
                            arrivals=tuple(report.arrivals),
                            completions=tuple(report.completions),
                            recomputed=bool(report.allocation_recomputed),
                            lp_note=report.lp_note,
                            placements=len(placements), moved=moved,
                            metrics=round_metrics(self.sim, report))

    def _track_jobs(self) -> None:
        """Record each active job's priorities and time shares for the inspector.

        Sampled every ``track_every`` rounds: every round up to 500 active jobs, then
        sparser (reading 3 000 jobs' shares costs ~10 ms).  The interval depends on the job
        count only, never on timing, so what the inspector shows is reproducible.
        """
        step = self.sim.step_index
        if step % self.track_every:
            return
        shares = self.sim.job_shares()
        self.track_every = max(1, math.ceil(len(shares) / TRACK_JOBS_PER_ROUND))
        for j, (priority, allocation) in shares.items():
            track = self.priority_track.get(j)
            if track is None:
                track = self.priority_track[j] = deque(maxlen=_PRIORITY_TRACK_LEN)
            track.append((step, priority, allocation))

    def costs(self) -> tuple[float, float, int]:
        """(step seconds, checkpoint seconds, checkpoint bytes) as estimated so far."""
        return self.ring.costs()

    # -------------------------------------------------------------- the arm protocol
    # Session uses only these methods and properties (plus label, fork_step, num_gpus and
    # history), so an arm can live in another process (fragscope.tui.arm_process.RemoteArm).
    @property
    def sharing(self) -> bool:
        return bool(self.sim.sharing)

    def close(self) -> None:
        """Nothing to release (an arm in a process ends its process here)."""

    def begin_step(self) -> Ready[RoundSummary]:
        return Ready(self.step())

    def begin_rewind(self, target: int) -> Ready[int]:
        return Ready(self.rewind_to(target))

    def begin_frame(self, version: int, full: bool = True) -> Ready[ArmFrame]:
        return Ready(self.frame(version, full))

    def begin_checkpoint(self) -> Ready[bool]:
        return Ready(self.checkpoint_now())

    def set_explain(self, explain: bool) -> None:
        """Keep placement decision records or not (play mode on large clusters: not)."""
        self.sim.explain = explain

    def set_checks(self, conditions: tuple[str, ...]) -> None:
        """Watch conditions (the debugger's language, fragscope.parse_condition) from the
        next step on: each step's summary says which held (``held``, their positions)."""
        self._checks = tuple(parse_condition(c, "condition") for c in conditions)

    def set_watched(self, target: Watched | None) -> None:
        """Watch a job or a GPU (None: stop): its history so far is rebuilt by replaying a
        copy from the oldest checkpoint (deterministic, so exact; this arm's state is not
        touched), then each step adds a row.  A fork holds rows from its fork point on."""
        if target == self.watched:
            return
        self.watched = target
        self.watch_rows = [] if target is None else self._replay_watch(target)

    def _state_at(self, target: int) -> Simulation:
        """A copy of the state at round ``target`` (the nearest checkpoint, then a
        deterministic replay), this arm untouched: a look at the past."""
        sim = self.ring.copy_at(target)
        sim.explain = self.sim.explain
        while sim.step_index < target:
            sim.step()
        return sim

    def _replay_watch(self, target: Watched) -> list[WatchRow]:
        sim = self._state_at(self.earliest_step)
        rows = [watch_row(sim, target)]
        while sim.step_index < self.step_index:
            sim.step()
            rows.append(watch_row(sim, target))
        return rows

    def watch_history(self) -> tuple[WatchRow, ...]:
        """The watched target's rows, oldest first, up to the current round."""
        return tuple(self.watch_rows)

    def round_decisions(self) -> tuple[DecisionRow, ...]:
        """The decisions of the round the arm stands at (fragscope.Simulation.round_decisions)."""
        return tuple(self.sim.round_decisions())

    def relabel(self, label: str) -> None:
        """Become arm ``label`` with no fork point (the fork kept when A is dropped)."""
        self.label, self.fork_step = label, None

    def set_prefetch(self, rounds: int) -> None:
        """Nothing to do: an arm in this process steps only when asked."""

    def run_ahead(self) -> None:
        """Nothing to do (see :meth:`set_prefetch`)."""

    def settle(self) -> None:
        """Nothing to wait for (see :meth:`set_prefetch`)."""

    def job(self, job_id: int) -> JobView | None:
        return self.sim.job(job_id)

    def fork_seed(self, label: str, ring: int, checkpoint_every: int | None, change: ForkChange,
                  redecide: bool = False) -> ArmSeed:
        """What a fork of this arm starts from: a clone of the simulation with sharing
        flipped (unless ``change`` says otherwise) and the placement, policy or LP capacity
        it names, plus this arm's history and inspector tracks.  ``redecide``: the clone is
        of the round before this one (restored from the checkpoints, exact), so the fork,
        stepped once, shows its own decisions for the round on screen — "SHARING OFF" with
        no job sharing a GPU from its first frame.  Its fork point is then that round."""
        at, base = self.step_index, self.sim
        history, last = list(self.history), dict(self.last_placements)
        track = {j: tuple(t) for j, t in self.priority_track.items()}
        if redecide and at > self.earliest_step:
            at -= 1
            base = self._state_at(at)
            history = [h for h in history if h.step <= at]
            last = {jv.job_id: tuple(jv.gpus) for jv in base.jobs() if jv.gpus}
            track = {j: kept for j, t in track.items() if (kept := tuple(e for e in t if e[0] <= at))}
        return ArmSeed(label, change.apply(base), ring, history=history, fork_step=at,
                       checkpoint_every=checkpoint_every, costs=self.costs(), last_placements=last,
                       priority_track=track, watched=self.watched)

    def fork(self, label: str, ring: int, checkpoint_every: int | None, change: ForkChange,
             redecide: bool = False) -> Arm:
        return Arm.from_seed(self.fork_seed(label, ring, checkpoint_every, change, redecide))

    @classmethod
    def from_seed(cls, seed: ArmSeed) -> Arm:
        arm = cls(seed.label, seed.sim, seed.ring, history=seed.history, fork_step=seed.fork_step,
                  checkpoint_every=seed.checkpoint_every, costs=seed.costs)
        if seed.last_placements is not None:
            arm.last_placements = dict(seed.last_placements)
        if seed.priority_track is not None:
            arm.priority_track = {j: deque(t, maxlen=_PRIORITY_TRACK_LEN) for j, t in seed.priority_track.items()}
        arm.set_watched(seed.watched)
        return arm

    def inspect(self, job_id: int | None = None, gpu_id: int | None = None) -> Inspection:
        """A job's and/or a GPU's details in this arm now."""
        return inspect_sim(self.label, self.sim, self.priority_track, job_id, gpu_id)

    def job_views(self) -> tuple[JobView, ...]:
        """``sim.jobs()``, computed once per round (tracking and frames share it)."""
        if self._views_at != self._version:
            self._views = tuple(self.sim.jobs())
            self._views_at = self._version
        return self._views

    def checkpoint_now(self) -> bool:
        """Checkpoint the current round unless it already is (the engine is idle)."""
        if self.ring.holds(self.sim.step_index):
            return False
        self.ring.take(self.sim)
        return True

    # -------------------------------------------------------------- rewind
    @property
    def checkpoints(self) -> deque[tuple[int, Checkpoint]]:
        """The saved (round, checkpoint) pairs, oldest first."""
        return self.ring.saved

    @property
    def earliest_step(self) -> int:
        """The oldest round this arm can rewind to."""
        lo = self.ring.oldest
        return max(lo, self.fork_step) if self.fork_step is not None else lo

    def rewind_to(self, target: int) -> int:
        """Restore the state at ``target`` (clamped to what the ring holds); returns the step reached."""
        target = max(target, self.earliest_step)
        if target >= self.step_index:
            return self.step_index
        return self._restore(target)

    def _restore(self, target: int) -> int:
        """The state at round ``target`` from the ring (the nearest checkpoint at or
        before it, then a replay), whatever the current state is."""
        explain = self.sim.explain
        self.sim = self.ring.restore(target)  # a copy: the checkpoint itself stays untouched
        self.sim.explain = explain  # a checkpoint taken while playing has records off
        self._version += 1
        del self.history[target + 1 - self._history_offset():]
        while self.sim.step_index < target:
            self.sim.step()  # deterministic replay; history for these rounds is kept
            self._version += 1
        self._truncate_tracks(target)
        self.watch_rows = [r for r in self.watch_rows if r.step <= target]
        self.last_placements = self._placements_now()
        self.backlog = self._new_backlog()   # its window restarts at the rewound round
        return self.sim.step_index

    def _new_backlog(self) -> BacklogMonitor:
        return BacklogMonitor(self.sim, measured_job_ids(self.sim))

    def _history_offset(self) -> int:
        return self.history[0].step

    def _placements_now(self) -> dict[int, tuple[int, ...]]:
        return {jv.job_id: tuple(jv.gpus) for jv in self.job_views() if jv.gpus}

    def _truncate_tracks(self, target: int) -> None:
        for j in list(self.priority_track):
            track = self.priority_track[j]
            while track and track[-1][0] > target:
                track.pop()
            if not track:
                del self.priority_track[j]

    # -------------------------------------------------------------- reading
    def series(self, key: str) -> list[float]:
        """One metric over every round of this arm's history (NaN where absent)."""
        return series(self.history, key)

    def frame(self, version: int, full: bool = True) -> ArmFrame:
        """This arm now; ``full=False`` reuses the job views and allocation of the last full
        frame (O(jobs) to build) — play mode draws those only when the table refreshes."""
        if full or self._frame_jobs is None:
            self._frame_jobs, self._frame_alloc = self.job_views(), self.sim.allocation()
        return self._frame(version, tuple(self.sim.servers()), tuple(self.history))

    def _frame(self, version: int, servers: tuple[ServerView, ...], history: tuple[RoundSummary, ...]) -> ArmFrame:
        sim = self.sim
        name, desc, policy, placement = sim_label(sim)
        return ArmFrame(label=self.label, version=version, step=sim.step_index, now=sim.now,
                        done=sim.done, sharing=bool(sim.sharing), name=name, description=desc,
                        policy=policy, placement=placement, gpu_types=tuple(sim.gpu_types),
                        servers=servers, fill=sim.gpu_fill(), jobs=self._frame_jobs,
                        allocation=self._frame_alloc, metrics=dict(self.history[-1].metrics),
                        summary=self.history[-1], fork_step=self.fork_step, history=history,
                        lp_note=next((h.lp_note for h in reversed(self.history) if h.recomputed), ""),
                        overload=self.backlog.status.label, lp_capacity=sim.lp_capacity)

    def frame_wire(self, version: int, full: bool = True) -> FrameWire:
        """:meth:`frame` for another process: GPU holdings instead of server views, the job
        views and allocation only when rebuilt, and no history (the receiver mirrors it)."""
        fresh = full or self._frame_jobs is None
        if fresh:
            self._frame_jobs, self._frame_alloc = self.job_views(), self.sim.allocation()
        frame = self._frame(version, (), ())
        if not fresh:
            frame = dataclasses.replace(frame, jobs=(), allocation={})
        return FrameWire(frame, self.sim.gpu_holdings(), fresh)

    def server_views(self) -> tuple[ServerView, ...]:
        return tuple(self.sim.servers())
