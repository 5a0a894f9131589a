"""The UI's model: the running simulation(s), rewind checkpoints, the A/B fork and histories.

No Textual imports here, so every behaviour the app shows (stepping in lock-step,
rewinding, forking, the series the plots draw) is unit-testable without a terminal.

Threading contract: the app steps the engine in a worker thread.  Every method that
touches a :class:`Simulation` takes ``Session.lock``; the UI thread never reads a
simulation directly, it reads immutable :class:`ArmFrame` values built under the lock.

Rewind: a bounded ring of checkpoints per arm, each an independent copy of the
simulation (:func:`copy_sim`: ``Simulation.clone()`` semantics, but sharing the frozen
placement decision records, which are most of a large round-mode state: ~0.1 s instead of
~0.8 s for 6 212 GPUs and 1 700 jobs).  While playing, a checkpoint is taken every K
rounds, K chosen so checkpoints cost about CHECKPOINT_BUDGET of the stepping time; when
the engine goes idle (after single steps, on pause) the current round is checkpointed
too, so step-through debugging rewinds instantly.  Rewinding copies the nearest
checkpoint at or before the target round and replays forward.  The engine is
deterministic, so the replayed state equals the state the run had — the test suite
checks this.  The ring is bounded in count and, on Linux, in estimated memory.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from fragscope import RoundReport, Simulation
from fragscope.core.views import JobView, ServerView

#: Metric keys the metrics panel shows, in order; the engine may not provide all.
METRIC_KEYS: tuple[str, ...] = (
    "frag_rate", "frag_amount", "frag_over_total", "utilization", "busy_milli_pct",
    "unalloc_gpu_pct", "partial_gpus", "occupied_nodes", "running", "queued", "completed", "avg_jct_s",
)

#: Keys that are fractions in [0, 1] (shown as %, plotted on a fixed 0..1 scale).
FRACTION_KEYS = frozenset({"utilization"})
#: Keys the engine reports in percent (plotted on a fixed 0..100 scale).
PERCENT_KEYS = frozenset({"frag_rate", "frag_over_total", "unalloc_gpu_pct", "busy_milli_pct"})


def metric_scale(key: str) -> tuple[float, float] | None:
    """Fixed plot range for a metric, or None to scale to the data (0..max of A and B).

    Only 0..1 fractions get a fixed range; percentages such as a 10 % frag rate would be a
    flat line on 0..100, so they scale to the data like counts (shared by A and B).
    """
    return (0.0, 1.0) if key in FRACTION_KEYS else None

#: Share of stepping time spent taking checkpoints while playing (sets the interval K).
CHECKPOINT_BUDGET = 0.10
MAX_CHECKPOINT_EVERY = 32
#: Estimated memory the checkpoints of one arm may use (the ring shrinks to fit, ≥ 4).
CHECKPOINT_MEMORY_MB = 1024

#: While playing, clusters with more GPUs than this keep no placement decision records
#: (``Simulation.explain`` off: FGD's scored candidates cost ~35 % of a 6 212-GPU round);
#: single steps always record them, so the inspector has them when stepping.
PLAY_RECORDS_MAX_GPUS = 512

TRACK_JOBS_PER_ROUND = 500   # above this many active jobs, priorities are sampled sparser
_PRIORITY_TRACK_LEN = 400     # rounds of per-job priority history kept for the inspector
_EVENT_PLACEMENTS_SHOWN = 6   # placements listed per round in the event log


@dataclass(frozen=True)
class RoundSummary:
    """What the UI keeps of one round: small, immutable, safe to share between arms."""

    step: int                      # Simulation.step_index after the step (0 = initial state)
    time: float
    arrivals: tuple[int, ...] = ()
    completions: tuple[tuple[int, float | None], ...] = ()
    recomputed: bool = False
    placements: int = 0
    moved: tuple[tuple[int, tuple[int, ...]], ...] = ()  # newly placed or moved jobs
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ArmFrame:
    """Everything one pane draws, captured at one instant (built under the lock)."""

    label: str
    version: int
    step: int
    now: float
    done: bool
    sharing: bool
    name: str
    description: str
    policy: str
    placement: str
    gpu_types: tuple[str, ...]
    servers: tuple[ServerView, ...]
    fill: np.ndarray
    jobs: tuple[JobView, ...]
    allocation: dict[int, dict[str, float]]
    metrics: dict[str, float]
    summary: RoundSummary
    fork_step: int | None
    history: tuple[RoundSummary, ...] = ()

    def series(self, key: str) -> list[float]:
        """One metric over every round of this arm's history (NaN where absent)."""
        return series(self.history, key)


def series(history: "Iterable[RoundSummary]", key: str) -> list[float]:
    return [s.metrics.get(key, math.nan) for s in history]


def _metrics(sim: Simulation, report: RoundReport | None) -> dict[str, float]:
    """live_metrics() merged with the report's metrics (fragmentation keys when present)."""
    out = {k: float(v) for k, v in sim.live_metrics().items()}
    if report is not None:
        out.update({k: float(v) for k, v in (report.metrics or {}).items()})
        out.setdefault("utilization", report.utilization)
    return out


def sim_label(sim: Simulation) -> tuple[str, str, str, str]:
    """(name, description, policy, placement) of a simulation's scenario, defensively."""
    cfg = getattr(sim, "config", None)
    name = str(getattr(cfg, "name", "") or "scenario")
    desc = " ".join(str(getattr(cfg, "description", "") or "").split())
    policy = getattr(sim, "policy_name", None)
    policy = str(policy if isinstance(policy, str) else getattr(cfg, "policy", "?"))
    placement = getattr(sim, "placement", None)
    placement = str(placement if isinstance(placement, str) else getattr(cfg, "placement", "?"))
    return name, desc, policy, placement


def copy_sim(sim: Simulation, job_ids: Iterable[int] = ()) -> Simulation:
    """An independent copy of ``sim`` that continues exactly as ``sim`` would.

    ``Simulation.clone()`` semantics (only the state is copied; scenario, mechanism and
    caches are shared), but the latest placement decision records of ``job_ids`` are
    shared too: they are frozen values, and with FGD's candidate lists they are most of a
    large state (deep-copying them took ~85 % of a checkpoint on the Alibaba cluster).
    """
    memo: dict[int, Any] = {id(v): v for k, v in vars(sim).items() if k != "state"}
    getter = getattr(sim, "placement_decision", None)
    if getter is not None:
        for j in job_ids:
            rec = getter(j)
            if rec is not None and _frozen(rec):
                memo[id(rec)] = rec
    return copy.deepcopy(sim, memo)


def _frozen(obj: Any) -> bool:
    params = getattr(type(obj), "__dataclass_params__", None)
    return dataclasses.is_dataclass(obj) and params is not None and params.frozen


@dataclass(frozen=True)
class Checkpoint:
    """A saved copy of an arm's simulation (never stepped: rewinding steps a copy of it)."""

    sim: Simulation
    job_ids: tuple[int, ...]   # active jobs at that round (whose decision records are shared)


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


@dataclass(frozen=True)
class FrameWire:
    """An :class:`ArmFrame` as sent between processes (see :meth:`Arm.frame_wire`)."""

    frame: ArmFrame                                # servers and history empty
    holdings: dict[int, list[tuple[int, int]]]     # GPU id -> [(job id, milli)]
    fresh: bool                                    # jobs/allocation rebuilt (else empty)


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    except (OSError, ValueError, IndexError):
        return None


class Arm:
    """One simulation (A, or the fork B) plus what the UI remembers about its past."""

    def __init__(self, label: str, sim: Simulation, ring: int,
                 history: list[RoundSummary] | None = None, fork_step: int | None = None,
                 checkpoint_every: int | None = None,
                 costs: tuple[float, float, int] | None = None) -> None:
        self.label = label
        self.sim = sim
        self.fork_step = fork_step
        self.history: list[RoundSummary] = history if history is not None else [
            RoundSummary(step=sim.step_index, time=sim.now, metrics=_metrics(sim, None))]
        self.ring = max(2, ring)
        self.checkpoints: deque[tuple[int, Checkpoint]] = deque(maxlen=self.ring)
        self.fixed_every = checkpoint_every
        self.checkpoint_every = checkpoint_every or 1
        self.priority_track: dict[int, deque[tuple[int, dict[str, float], dict[str, float]]]] = {}
        self.last_placements: dict[int, tuple[int, ...]] = {}
        self.track_every = 1
        self._step_cost = 0.0
        self._snap_cost = 0.0
        self._snap_bytes = 0
        self._version = 0           # bumped whenever the simulation changes (views cache key)
        self._views_at = -1
        self._views: tuple[JobView, ...] = ()
        self._frame_jobs: tuple[JobView, ...] | None = None
        self._frame_alloc: dict[int, dict[str, float]] = {}
        self.num_gpus = int(sim.gpu_fill().size)
        if costs is not None:  # a fork starts from its parent's estimates
            self._step_cost, self._snap_cost, self._snap_bytes = costs
        self._take_checkpoint()
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
        report = self.sim.step()
        self._step_cost = _ewma(self._step_cost, time.perf_counter() - t0)
        self._version += 1
        summary = self._summarise(report)
        self.history.append(summary)
        self._track_jobs()
        if self.sim.step_index - self.checkpoints[-1][0] >= self.checkpoint_every:
            self._take_checkpoint()
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
                            placements=len(placements), moved=moved,
                            metrics=_metrics(self.sim, report))

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
        return self._step_cost, self._snap_cost, self._snap_bytes

    # -------------------------------------------------------------- the arm interface
    # Session uses only these methods and properties (plus label, fork_step, num_gpus and
    # history), so an arm can live in another process (fragscope.tui.arm_process.RemoteArm).
    @property
    def sharing(self) -> bool:
        return bool(self.sim.sharing)

    def close(self) -> None:
        """Nothing to release (an arm in a process ends its process here)."""

    def capabilities(self) -> set[str]:
        """The engine setters a fork may use (``set_placement``, ``set_policy``)."""
        return {name for name in ("set_placement", "set_policy") if callable(getattr(self.sim, name, None))}

    def set_explain(self, explain: bool) -> None:
        """Keep placement decision records or not (play mode on large clusters: not)."""
        if hasattr(self.sim, "explain"):
            self.sim.explain = explain

    def job(self, job_id: int) -> JobView | None:
        return self.sim.job(job_id)

    def fork_seed(self, label: str, ring: int, checkpoint_every: int | None, sharing: bool | None = None,
                  placement: str | None = None, policy: str | None = None) -> "ArmSeed":
        """What a fork of this arm starts from: a copy of the simulation with sharing flipped
        (unless told otherwise) and the placement/policy changed when asked, plus this arm's
        history and inspector tracks.  ``NotImplementedError`` when the engine lacks a setter."""
        sim_b = copy_sim(self.sim, self.sim.active_job_ids())
        sim_b.set_sharing((not self.sim.sharing) if sharing is None else sharing)
        for attr, value in (("set_placement", placement), ("set_policy", policy)):
            if value is None:
                continue
            setter = getattr(sim_b, attr, None)
            if setter is None:
                raise NotImplementedError(f"the engine has no Simulation.{attr}()")
            setter(value)
        return ArmSeed(label, sim_b, ring, history=list(self.history), fork_step=self.step_index,
                       checkpoint_every=checkpoint_every, costs=self.costs(),
                       last_placements=dict(self.last_placements),
                       priority_track={j: tuple(t) for j, t in self.priority_track.items()})

    def fork(self, label: str, ring: int, checkpoint_every: int | None, **kw: Any) -> "Arm":
        return Arm.from_seed(self.fork_seed(label, ring, checkpoint_every, **kw))

    @classmethod
    def from_seed(cls, seed: "ArmSeed") -> "Arm":
        arm = cls(seed.label, seed.sim, seed.ring, history=seed.history, fork_step=seed.fork_step,
                  checkpoint_every=seed.checkpoint_every, costs=seed.costs)
        if seed.last_placements is not None:
            arm.last_placements = dict(seed.last_placements)
        if seed.priority_track is not None:
            arm.priority_track = {j: deque(t, maxlen=_PRIORITY_TRACK_LEN) for j, t in seed.priority_track.items()}
        return arm

    def inspect(self, job_id: int | None = None, gpu_id: int | None = None) -> "Inspection":
        """A job's and/or a GPU's details in this arm now."""
        sim = self.sim
        gpu_type = server_id = None
        gpu_jobs: tuple[tuple[int, int], ...] = ()
        if gpu_id is not None:
            for srv in sim.servers():
                for g in srv.gpus:
                    if g.gpu_id == gpu_id:
                        gpu_type, server_id, gpu_jobs = g.gpu_type, srv.server_id, g.jobs
            if job_id is None and gpu_jobs:
                job_id = gpu_jobs[0][0]
        job = sim.job(job_id) if job_id is not None else None
        decision = None
        getter = getattr(sim, "placement_decision", None)
        if getter is not None and job_id is not None:
            try:
                decision = getter(job_id)
            except Exception:  # an engine without a record for this job
                decision = None
        track = tuple(self.priority_track.get(job_id, ())) if job_id is not None else ()
        return Inspection(self.label, sim.step_index, gpu_id, gpu_type, server_id, tuple(gpu_jobs),
                          job, track, decision)

    def job_views(self) -> tuple[JobView, ...]:
        """``sim.jobs()``, computed once per round (tracking and frames share it)."""
        if self._views_at != self._version:
            self._views = tuple(self.sim.jobs())
            self._views_at = self._version
        return self._views

    def checkpoint_now(self) -> bool:
        """Checkpoint the current round unless it already is (the engine is idle)."""
        if self.checkpoints and self.checkpoints[-1][0] == self.sim.step_index:
            return False
        self._take_checkpoint()
        return True

    def _take_checkpoint(self) -> None:
        ids = tuple(self.sim.active_job_ids())
        rss0 = _rss_bytes()
        t0 = time.perf_counter()
        saved = copy_sim(self.sim, ids)
        cost = time.perf_counter() - t0
        rss1 = _rss_bytes()
        self.checkpoints.append((self.sim.step_index, Checkpoint(saved, ids)))
        self._snap_cost = _ewma(self._snap_cost, cost)
        if rss0 is not None and rss1 is not None and rss1 - rss0 > 1 << 20:
            self._fit_ring(rss1 - rss0)
        # Keep checkpoint overhead near CHECKPOINT_BUDGET of the stepping time: cheap
        # sims checkpoint every round, a 6 000-GPU cluster every few rounds.
        if self.fixed_every is not None:
            self.checkpoint_every = self.fixed_every
        elif self._snap_cost < 0.002:
            self.checkpoint_every = 1
        elif self._step_cost > 0:
            every = math.ceil(self._snap_cost / (CHECKPOINT_BUDGET * self._step_cost))
            self.checkpoint_every = int(min(MAX_CHECKPOINT_EVERY, max(1, every)))

    def _fit_ring(self, size: int) -> None:
        """Shrink the ring so the checkpoints fit CHECKPOINT_MEMORY_MB (size: RSS growth of one)."""
        self._snap_bytes = max(self._snap_bytes, size)
        fit = max(4, (CHECKPOINT_MEMORY_MB << 20) // self._snap_bytes)
        maxlen = int(min(self.ring, fit))
        if maxlen != self.checkpoints.maxlen:
            self.checkpoints = deque(self.checkpoints, maxlen=maxlen)

    # -------------------------------------------------------------- rewind
    @property
    def earliest_step(self) -> int:
        """The oldest round this arm can rewind to."""
        lo = self.checkpoints[0][0]
        return max(lo, self.fork_step) if self.fork_step is not None else lo

    def rewind_to(self, target: int) -> int:
        """Restore the state at ``target`` (clamped to what the ring holds); returns the step reached."""
        target = max(target, self.earliest_step)
        if target >= self.step_index:
            return self.step_index
        while len(self.checkpoints) > 1 and self.checkpoints[-1][0] > target:
            self.checkpoints.pop()
        base, saved = self.checkpoints[-1]
        explain = getattr(self.sim, "explain", None)
        self.sim = copy_sim(saved.sim, saved.job_ids)  # the checkpoint itself stays untouched
        if explain is not None:  # a checkpoint taken while playing has records off
            self.sim.explain = explain
        self._version += 1
        del self.history[target + 1 - self._history_offset():]
        while self.sim.step_index < target:
            self.sim.step()  # deterministic replay; history for these rounds is kept
            self._version += 1
        self._truncate_tracks(target)
        self.last_placements = self._placements_now()
        return self.sim.step_index

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
                        summary=self.history[-1], fork_step=self.fork_step, history=history)

    def frame_wire(self, version: int, full: bool = True) -> "FrameWire":
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


def _ewma(old: float, new: float) -> float:
    """Cost estimate: follows increases at once (a state only grows more expensive to step
    and copy as jobs arrive; a lagging estimate would checkpoint far too often), decays slowly."""
    return new if new >= old else 0.7 * old + 0.3 * new


class Session:
    """The app's model: arm A, optionally the fork B, stepped in lock-step.

    ``ring`` bounds the number of checkpoints kept per arm (memory ∝ ring × state size).
    ``processes``: run each arm in its own process (:mod:`fragscope.tui.arm_process`); None decides
    by cluster size and cores (and the ``FRAGSCOPE_ARM_PROCESSES`` variable).  Call
    :meth:`close` when done with a session that may use processes.
    """

    def __init__(self, sim: Simulation, ring: int = 64, checkpoint_every: int | None = None,
                 processes: bool | None = None) -> None:
        from .arm_process import RemoteArm, use_processes  # arm_process imports this module

        self.lock = threading.RLock()
        self.ring = ring
        self.checkpoint_every = checkpoint_every
        self.processes = use_processes(int(sim.gpu_fill().size), processes)
        seed = ArmSeed("A", sim, ring, checkpoint_every=checkpoint_every)
        self.arms: list[Any] = [RemoteArm.start(seed) if self.processes else Arm.from_seed(seed)]
        self.version = 0

    # -------------------------------------------------------------- properties
    @property
    def a(self) -> Any:
        return self.arms[0]

    @property
    def b(self) -> Any | None:
        return self.arms[1] if len(self.arms) > 1 else None

    @property
    def forked(self) -> bool:
        return len(self.arms) > 1

    @property
    def done(self) -> bool:
        return all(arm.done for arm in self.arms)

    @property
    def step_index(self) -> int:
        return max(arm.step_index for arm in self.arms)

    @property
    def fork_step(self) -> int | None:
        b = self.b
        return b.fork_step if b is not None else None

    # -------------------------------------------------------------- actions
    def step(self) -> list[RoundSummary]:
        """One round on every arm that is not finished (lock-step; arms in processes step
        at the same time)."""
        with self.lock:
            out = call_each([arm for arm in self.arms if not arm.done], "step")
            self.version += 1
            return out

    def rewind(self, rounds: int = 1) -> int:
        """Step every arm back ``rounds`` rounds (bounded by the ring and the fork point)."""
        with self.lock:
            target = self.step_index - rounds
            floor = max(arm.earliest_step for arm in self.arms)
            target = max(target, floor)
            before = self.step_index
            call_each(self.arms, "rewind_to", target)
            self.version += 1
            return before - self.step_index

    def set_playing(self, playing: bool) -> None:
        """Play mode on a large cluster skips decision records (see PLAY_RECORDS_MAX_GPUS).
        Leaving it stops any stepping ahead (:meth:`set_ahead`)."""
        with self.lock:
            if not playing:
                self.set_ahead(0)
            for arm in self.arms:
                arm.set_explain(not (playing and arm.num_gpus > PLAY_RECORDS_MAX_GPUS))

    def set_ahead(self, rounds: int) -> None:
        """Let arms in processes run up to ``rounds`` steps ahead of :meth:`step` calls
        (play at maximum speed).  Any other call first waits for those steps, so it sees
        the round the arm reached; lowering it leaves the arms that many rounds further."""
        with self.lock:
            for arm in self.arms:
                if hasattr(arm, "set_prefetch"):
                    arm.set_prefetch(rounds)

    def run_ahead(self) -> None:
        """Start the steps :meth:`set_ahead` allows now, e.g. while the screen draws a frame
        (otherwise they start with the next :meth:`step`)."""
        with self.lock:
            for arm in self.arms:
                if hasattr(arm, "run_ahead"):
                    arm.run_ahead()

    def settle(self) -> None:
        """Wait for steps run ahead (see :meth:`set_ahead`); a no-op for local arms."""
        with self.lock:
            for arm in self.arms:
                if hasattr(arm, "settle"):
                    arm.settle()

    def checkpoint_idle(self) -> bool:
        """Checkpoint every arm's current round (call when the engine has nothing to do)."""
        with self.lock:
            return any(call_each(self.arms, "checkpoint_now"))

    def can_rewind(self) -> bool:
        with self.lock:
            return self.step_index > max(arm.earliest_step for arm in self.arms)

    def fork(self, sharing: bool | None = None, placement: str | None = None,
             policy: str | None = None) -> Any:
        """Clone A into B; B flips sharing (unless told otherwise) from the next round.

        ``placement``/``policy`` use the engine's ``set_placement``/``set_policy`` when the
        engine provides them; otherwise :class:`NotImplementedError`.
        """
        with self.lock:
            if self.forked:
                raise RuntimeError("a fork is already open; close it first")
            b = self.a.fork("B", self.ring, self.checkpoint_every, sharing=sharing,
                            placement=placement, policy=policy)
            self.arms.append(b)
            self.version += 1
            return b

    def close_fork(self) -> bool:
        with self.lock:
            if not self.forked:
                return False
            for arm in self.arms[1:]:
                arm.close()
            del self.arms[1:]
            self.version += 1
            return True

    def close(self) -> None:
        """End the arms' processes, if any (a local session has nothing to release)."""
        with self.lock:
            for arm in self.arms:
                arm.close()

    # -------------------------------------------------------------- reading
    def frames(self, full: bool = True) -> list[ArmFrame]:
        with self.lock:
            return call_each(self.arms, "frame", self.version, full)

    def read(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` under the lock (for one-off reads such as the inspector's)."""
        with self.lock:
            return fn(*args)

    def events(self, arm: Any, after_step: int = -1, limit: int = 400) -> list[tuple[int, str, str]]:
        """Event-log lines (round, kind, text) for rounds after ``after_step``, newest last."""
        with self.lock:
            chunks: list[list[tuple[int, str, str]]] = []
            count = 0
            hist = arm.history
            for i in range(len(hist) - 1, -1, -1):
                s = hist[i]
                if s.step <= after_step or s.step == 0 or count >= limit:
                    break
                lines = list(describe_round(s, hist[i - 1] if i else None))
                chunks.append(lines)
                count += len(lines)
            out = [line for chunk in reversed(chunks) for line in chunk]
            return out[-limit:]


def call_each(arms: list[Any], method: str, *args: Any, **kwargs: Any) -> list[Any]:
    """``[getattr(arm, method)(*args, **kwargs) for arm in arms]``, with every arm that runs
    in a process (it has ``submit``) working at the same time, local arms meanwhile."""
    remote = {i: arm.submit(method, *args, **kwargs) for i, arm in enumerate(arms) if hasattr(arm, "submit")}
    out: list[Any] = [None if i in remote else getattr(arm, method)(*args, **kwargs)
                      for i, arm in enumerate(arms)]
    errors = []
    for i, arm in remote.items():
        try:
            out[i] = arm.result()
        except Exception as exc:  # collect every reply first: each pipe must be drained
            errors.append(exc)
    if errors:
        raise errors[0]
    return out


def tune_gc() -> None:
    """Fewer garbage collections for a process holding a large simulation.

    A 6 000-GPU simulation keeps ~10⁶ live objects (jobs, histories, snapshots); with
    CPython's default thresholds a full collection scans them every few frames and shows up
    as 50–100 ms stutters.  The engine makes no reference cycles worth collecting promptly.
    """
    import gc
    gc.set_threshold(50_000, 20, 100)


@dataclass(frozen=True)
class Inspection:
    """What the inspector shows, gathered under the lock in one go."""

    arm: str
    step: int
    gpu_id: int | None
    gpu_type: str | None
    server_id: int | None
    gpu_jobs: tuple[tuple[int, int], ...]
    job: JobView | None
    priority_history: tuple[tuple[int, dict[str, float], dict[str, float]], ...]
    decision: Any  # engine placement decision record, or None when the engine has none


def inspect(session: Session, arm_label: str, job_id: int | None = None,
            gpu_id: int | None = None) -> Inspection:
    """Collect a job's and/or a GPU's details from one arm."""
    with session.lock:
        arm = next((a for a in session.arms if a.label == arm_label), session.a)
        return arm.inspect(job_id, gpu_id)


def describe_round(s: RoundSummary, prev: RoundSummary | None = None) -> Iterable[tuple[int, str, str]]:
    """Event-log lines for one round: LP recomputes, arrivals, completions, placements,
    and jobs rejected since ``prev`` (e.g. by a fork that turned sharing on, where a
    job must fit on one server)."""
    r = s.step
    lost = int(s.metrics.get("rejected", 0) - (prev.metrics.get("rejected", 0) if prev else 0))
    if lost > 0:
        yield r, "rejected", f"{lost} job(s) rejected: they can never run in this mode"
    if s.arrivals:
        ids = ", ".join(str(j) for j in s.arrivals[:8]) + (" …" if len(s.arrivals) > 8 else "")
        yield r, "arrival", f"{len(s.arrivals)} arrived: {ids}"
    for j, jct in s.completions:
        yield r, "completion", (f"job {j} done, JCT {fmt_duration(jct)}" if jct is not None
                                else f"job {j} dropped (failed)")
    if s.recomputed:
        yield r, "lp", "LP allocation recomputed"
    if s.moved:
        shown = s.moved[:_EVENT_PLACEMENTS_SHOWN]
        text = "; ".join(f"{j}→{_gpus(g)}" for j, g in shown)
        more = f" (+{len(s.moved) - len(shown)} more)" if len(s.moved) > len(shown) else ""
        yield r, "placement", f"placed {text}{more}"


def _gpus(gpus: tuple[int, ...]) -> str:
    if len(gpus) > 2 and list(gpus) == list(range(gpus[0], gpus[0] + len(gpus))):
        return f"g{gpus[0]}-{gpus[-1]}"
    return ",".join(f"g{g}" for g in gpus)


def fmt_duration(seconds: float | None) -> str:
    """Compact human duration: 45 s, 12.5 m, 3.20 h."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} m"
    return f"{seconds / 3600:.2f} h"
