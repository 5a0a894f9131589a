"""The simulation: Gavel's event loop (gavel.md §1.2), one iteration per ``step()``.

A step advances the clock to the end of the round dispatched last step (or to the
next arrival when nothing ran), processes completions, admits arrivals and
dispatches the next round.  The returned :class:`RoundReport` describes the round
that starts at the new clock.

:class:`Simulation` is put together from one module per concern, all working on one
:class:`~.state.SimState` (``self.state``: everything that changes while it runs) next
to the scenario (``config``) and Gavel's mechanism settings (``mech``):

* ``simulation``  construction, clone / snapshot / restore, mode switches, run (here)
* ``sim_loop``    the step: the clock, the round's selection and dispatch, the end
* ``sim_jobs``    the job book: arrivals, admission and rejection, completions, per-job rows
* ``sim_round``   round mode: the placer, FGD's target workload, fragmentation figures
* ``sim_views``   read-only views and accessors; callers outside the core read
                  results through these, never through ``state``
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, replace
from typing import Iterator

from .decisions import DecisionRow, decision_rows, round_decisions
from .mechanism import MechanismConfig
from ..model.errors import InputError
from ..policies import make_policy
from .report import RoundReport
from .mode import LP_CAPACITIES, Mode, same_class
from .scenario import ScenarioConfig, TraceWorkload
from .sim_jobs import JobBook
from .sim_loop import StepLoop
from .sim_round import RoundMode
from .sim_views import SimViews
from .state import SimState


def _mean_speed(table, gpu_type: str) -> float:
    rows = table.table.get(gpu_type, {})
    return sum(rows.values()) / len(rows) if rows else 0.0


@dataclass(frozen=True)
class Snapshot:
    """An opaque saved state; restore it with :meth:`Simulation.restore`."""

    state: SimState
    step_index: int


class Simulation(StepLoop, JobBook, RoundMode, SimViews):
    """A steppable, cloneable simulation of one scenario."""

    def __init__(self, config: ScenarioConfig, explain: bool = False, decisions: bool = False) -> None:
        """``explain``: keep every placement's full explanation (all candidates scored,
        the selection walk, why a job did not fit) — what the app's inspector shows; it
        costs up to ~5× a round, so it is off unless asked (``fragscope why`` replays a
        round with it instead).  ``decisions``: keep the decision log (core/decisions.py),
        ≤ 1.3× (bench/bench_decisions.py)."""
        self.config = config
        self.explain = explain
        self.record_decisions = decisions
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
        mode = s.mode = config.mode
        s.policy = make_policy(mode.policy, config.solver, seed, mode.policy_params)
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

    # -------------------------------------------------------- public API
    @classmethod
    def from_scenario(cls, scenario: "str | dict", overrides: list[str] | None = None, explain: bool = False,
                      decisions: bool = False) -> "Simulation":
        """Build from a scenario file path or dict, with ``dotted.key=value`` overrides."""
        from .scenario import load_scenario
        return cls(load_scenario(scenario, overrides or []), explain=explain, decisions=decisions)

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
        """An independent copy that continues exactly as this one would.

        Only ``state`` (everything that changes while it runs) is copied.  The rest is
        shared: the scenario, the mechanism settings, ``explain`` and the pure caches
        (the target workload, the GPU types a job shape fits), so a clone costs what its
        state costs; the frozen placement decision records inside the state are shared
        too (``PlacementRecord.__deepcopy__``), which on a large round-mode run is most
        of it.  The app's forks and its rewind checkpoints are clones."""
        other = object.__new__(type(self))
        other.__dict__.update((k, v) for k, v in vars(self).items() if k != "state")
        other.state = copy.deepcopy(self.state)
        return other

    def decisions(self) -> list[DecisionRow]:
        """The decision log so far (placed / moved / preempted / finished / failed, in
        order); empty unless the simulation was made with ``decisions=True``."""
        cluster = self.mech.cluster
        return decision_rows(self.state.decisions, cluster.gpu_type_of, cluster.server_of)

    def round_decisions(self) -> list[DecisionRow]:
        """The latest round's decisions (what :meth:`decisions` would add for it), kept
        whether or not the log is on: the app shows them beside the other arm's and in its
        exports.  ``rule``/``score`` come from the round's placement records (all of them
        with ``explain=True``)."""
        s = self.state
        if not s.rounds:
            return []
        cluster = self.mech.cluster
        last = s.rounds[-1]
        rows = round_decisions(last.index, last.time, s.last_changes, self._decision_reason(s.exact_round, last.index))
        return decision_rows(rows, cluster.gpu_type_of, cluster.server_of)

    def snapshot(self) -> Snapshot:
        return Snapshot(copy.deepcopy(self.state), self.state.num_steps)

    def restore(self, snap: Snapshot) -> None:
        self.state = copy.deepcopy(snap.state)

    def run(self, max_steps: int | None = None) -> Iterator[RoundReport]:
        """Step until done, or until the clock reaches the scenario's ``max_sim_time_s``
        (a capped run: its summary says so), or ``max_steps`` steps, yielding each
        round's report.  The commands add the default bound and the overload check
        (``fragscope.experiments.measure.run_bounded``)."""
        n, cap = 0, self.config.max_sim_time
        while not self.done and (max_steps is None or n < max_steps) and (cap is None or self.now < cap):
            yield self.step()
            n += 1

    def mark_saturated(self, reason: str, queue_growth_per_h: float | None = None) -> None:
        """The backlog monitor's verdict (core/backlog.py): the queue keeps growing, the
        cluster cannot serve this load.  The summary reports the run saturated with
        ``reason``, never an average JCT."""
        self.state.saturation = reason
        self.state.queue_growth_per_h = queue_growth_per_h

    def mark_capped(self, reason: str) -> None:
        """A driver stopped the run at a bound before its measured jobs were done (the
        default simulated-time bound; ``max_sim_time_s`` is seen without this).  Capped is
        not saturated: only the backlog says that.  Either way there is no average JCT."""
        self.state.capped = reason

    def mark_stopped(self, round_index: int, condition: str) -> None:
        """A driver stopped the run at ``round_index`` because ``condition`` held there
        (``fragscope run --until``): summary.json says so (``stopped_at``), and a run
        stopped before its measured jobs were done is capped — no average JCT."""
        self.state.stopped_at = {"round": round_index, "condition": condition}
        if not self.state.done:
            self.mark_capped(f"stopped at round {round_index}: {condition} holds")

    def run_to_end(self) -> None:
        for _ in self.run():
            pass

    # ------------------------------------------------------------- modes
    @property
    def mode(self) -> Mode:
        """The mode this simulation runs in now (sharing, placement, policy, LP capacity)."""
        return self.state.mode

    def set_mode(self, mode: Mode) -> None:
        """Replace the mode whole (e.g. on a fork); it takes effect from the next round.
        What each change implies is applied once: a new policy object, the LP recomputed
        at the next allowed reset, the placer rebuilt, every active job refitted."""
        s, old = self.state, self.state.mode
        changed = old.changed(mode)
        if not changed:
            return
        if mode.lp_capacity not in LP_CAPACITIES:
            raise InputError("lp_capacity", f"{mode.lp_capacity!r} is not allowed "
                             f"(allowed: {', '.join(LP_CAPACITIES)})")
        if "policy" in changed or "policy_params" in changed:
            s.policy = make_policy(mode.policy, self.config.solver, self.config.seed, mode.policy_params)
        s.mode = mode
        if s.num_steps:   # before the first step it is the mode the run starts in
            s.mode_changes.append((s.num_steps, changed))
        if "placement" in changed or "placement_params" in changed:
            s.placer = None  # rebuilt with the new placement on next use
        if {"sharing", "lp_capacity", "policy", "policy_params"} & set(changed):
            s.need_update = True
        if {"sharing", "placement", "placement_params"} & set(changed):
            self._refit_jobs()

    @property
    def sharing(self) -> bool:
        return self.state.mode.sharing

    def set_sharing(self, enabled: bool) -> None:
        """Toggle GPU sharing; takes effect from the next round."""
        self.set_mode(replace(self.mode, sharing=bool(enabled)))

    @property
    def lp_capacity(self) -> str:
        """What the LP's capacity constraint counts with sharing on: ``demand`` or ``scale_factor``."""
        return self.state.mode.lp_capacity

    def set_lp_capacity(self, value: str) -> None:
        """Switch the LP's capacity rule (e.g. on a fork: the Gavel fork's first attempt,
        ``scale_factor``, beside the fractional-aware ``demand``); the LP is recomputed at
        the next allowed reset."""
        self.set_mode(replace(self.mode, lp_capacity=value))

    @property
    def placement(self) -> str:
        return self.state.mode.placement_name

    def set_placement(self, name: str) -> None:
        """Switch the placement (e.g. on a fork); from the next round.  ``name`` is a
        registered placement or a plug-in (``file.py:Class`` relative to the current
        folder, ``module:Class``); the scenario's parameters go with its own plug-in."""
        from ..placement.registry import REGISTRY
        ref = REGISTRY.resolve(name, where="placement")
        REGISTRY.load(ref)
        ref = replace(ref, spec=ref.canonical)  # resolves the same from any folder
        own = self.config.mode
        params = own.placement_params if same_class(ref, own.placement) else {}
        if not same_class(ref, self.mode.placement):
            self.set_mode(replace(self.mode, placement=ref, placement_params=params))

    @property
    def policy_name(self) -> str:
        return self.state.mode.policy_name

    @property
    def placement_label(self) -> str:
        """What the UI calls the current placement: its class's ``name`` (``worst-fit``),
        else its registered or class name."""
        from ..placement.registry import REGISTRY
        return REGISTRY.display_name(self.mode.placement)

    @property
    def policy_label(self) -> str:
        """What the UI calls the current policy (its class's ``name``, else its name)."""
        from ..policies import REGISTRY
        ref = REGISTRY.ref_of(type(self.state.policy))
        return REGISTRY.display_name(ref, self.state.policy) if ref is not None else self.policy_name

    def set_policy(self, name: str) -> None:
        """Switch the allocation policy (e.g. on a fork); the LP is recomputed at the
        next allowed reset, as after any change."""
        from ..policies import REGISTRY
        ref = REGISTRY.resolve(name, where="policy")
        ref = replace(ref, spec=ref.canonical)
        own = self.config.mode
        params = own.policy_params if same_class(ref, own.policy) else {}
        if not same_class(ref, self.mode.policy):
            self.set_mode(replace(self.mode, policy=ref, policy_params=params))
