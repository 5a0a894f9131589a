"""What the UI draws from: immutable values read off an arm under the session lock.

Why values: the engine steps in a worker thread while the UI thread draws, so the UI never
reads a simulation (see the threading contract in :mod:`fragscope.tui.session`).  It reads
an :class:`ArmFrame`, everything one pane shows captured in one go, and the arm's history
of :class:`RoundSummary` records: small and frozen, so a fork can start with its parent's
list and an arm in another process can send them through a pipe (:class:`FrameWire`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from fragscope import JobView, RoundReport, ServerView, Simulation


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
    lp_note: str = ""              # the LP's answer came from a fallback solver or is inaccurate
    metrics: dict[str, float] = field(default_factory=dict)
    fingerprint: str = ""          # the round's decisions (rounds.csv): two arms diverge where these differ
    held: tuple[int, ...] = ()     # which of the arm's watched conditions held after this round


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
    lp_note: str = ""    # the latest LP came from a fallback solver or is inaccurate (else "")
    lp_capacity: str = ""  # the LP's capacity rule (fragscope.LP_CAPACITIES): a fork may change only this
    overload: str = ""   # "overloaded: queue +N jobs/h" while the backlog keeps growing (core/backlog.py)

    def series(self, key: str) -> list[float]:
        """One metric over every round of this arm's history (NaN where absent)."""
        return series(self.history, key)


@dataclass(frozen=True)
class FrameWire:
    """An :class:`ArmFrame` as sent between processes (see :meth:`~fragscope.tui.arm.Arm.frame_wire`)."""

    frame: ArmFrame                                # servers and history empty
    holdings: dict[int, list[tuple[int, int]]]     # GPU id -> [(job id, milli)]
    fresh: bool                                    # jobs/allocation rebuilt (else empty)


def series(history: "Iterable[RoundSummary]", key: str) -> list[float]:
    """One metric over the rounds of ``history`` (NaN where a round lacks it)."""
    return [s.metrics.get(key, math.nan) for s in history]


def round_metrics(sim: Simulation, report: RoundReport | None) -> dict[str, float]:
    """live_metrics() merged with the report's metrics (fragmentation keys when present)."""
    out = {k: float(v) for k, v in sim.live_metrics().items()}
    if report is not None:
        out.update({k: float(v) for k, v in (report.metrics or {}).items()})
        out.setdefault("utilization", report.utilization)
    return out


def sim_label(sim: Simulation) -> tuple[str, str, str, str]:
    """(name, description, policy, placement) of a simulation's scenario, as the header
    shows them: the description on one line, a plug-in by its own name (e.g. worst-fit)."""
    cfg = sim.config
    name = cfg.name or "scenario"
    desc = " ".join((cfg.description or "").split())
    return name, desc, sim.policy_label, sim.placement_label
