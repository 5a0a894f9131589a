"""Rewind: the ring of checkpoints each arm keeps, and the copies it is made of.

A bounded ring of checkpoints per arm, each an independent copy of the simulation
(``Simulation.clone()``: only the state is copied, and the frozen placement decision
records inside it, most of a large round-mode state, are shared: ~0.1 s instead of ~0.8 s
for 6 212 GPUs and 1 700 jobs).  While playing, a checkpoint is taken every K rounds, K chosen
so checkpoints cost about CHECKPOINT_BUDGET of the stepping time; when the engine goes idle
(after single steps, on pause) the current round is checkpointed too, so step-through
debugging rewinds instantly.  Rewinding copies the nearest checkpoint at or before the
target round and replays forward (:meth:`~fragscope.tui.arm.Arm.rewind_to`).  The engine is
deterministic, so the replayed state equals the state the run had — the test suite checks
this.  The ring is bounded in count and, on Linux, in estimated memory.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from fragscope import Simulation

#: Share of stepping time spent taking checkpoints while playing (sets the interval K).
CHECKPOINT_BUDGET = 0.10
MAX_CHECKPOINT_EVERY = 32
#: Estimated memory the checkpoints of one arm may use (the ring shrinks to fit, ≥ 4).
CHECKPOINT_MEMORY_MB = 1024


@dataclass(frozen=True)
class Checkpoint:
    """A saved copy of an arm's simulation (never stepped: rewinding steps a copy of it)."""

    sim: Simulation


class CheckpointRing:
    """One arm's checkpoints, oldest first, and the interval K they are taken at.

    ``size`` bounds their number (memory ∝ size × state size; fewer are kept when they
    would not fit CHECKPOINT_MEMORY_MB).  ``every`` fixes K; None lets it follow the
    measured costs (``costs``: a fork starts from its parent's estimates).
    """

    def __init__(self, size: int, every: int | None = None,
                 costs: tuple[float, float, int] | None = None) -> None:
        self.size = max(2, size)
        self.saved: deque[tuple[int, Checkpoint]] = deque(maxlen=self.size)
        self.fixed_every = every
        self.every = every or 1
        self._step_cost = 0.0
        self._snap_cost = 0.0
        self._snap_bytes = 0
        if costs is not None:
            self._step_cost, self._snap_cost, self._snap_bytes = costs

    @property
    def oldest(self) -> int:
        """The round of the oldest checkpoint."""
        return self.saved[0][0]

    def costs(self) -> tuple[float, float, int]:
        """(step seconds, checkpoint seconds, checkpoint bytes) as estimated so far."""
        return self._step_cost, self._snap_cost, self._snap_bytes

    def stepped(self, seconds: float) -> None:
        """Note what one round of stepping cost (K follows it)."""
        self._step_cost = _ewma(self._step_cost, seconds)

    def due(self, step: int) -> bool:
        """Whether round ``step`` is K rounds past the latest checkpoint."""
        return step - self.saved[-1][0] >= self.every

    def holds(self, step: int) -> bool:
        """Whether the latest checkpoint is of round ``step``."""
        return bool(self.saved) and self.saved[-1][0] == step

    def take(self, sim: Simulation) -> None:
        """Checkpoint ``sim`` at its current round, then re-fit the ring and K to the costs."""
        rss0 = _rss_bytes()
        t0 = time.perf_counter()
        saved = sim.clone()
        cost = time.perf_counter() - t0
        rss1 = _rss_bytes()
        self.saved.append((sim.step_index, Checkpoint(saved)))
        self._snap_cost = _ewma(self._snap_cost, cost)
        if rss0 is not None and rss1 is not None and rss1 - rss0 > 1 << 20:
            self._fit(rss1 - rss0)
        # Keep checkpoint overhead near CHECKPOINT_BUDGET of the stepping time: cheap
        # sims checkpoint every round, a 6 000-GPU cluster every few rounds.
        if self.fixed_every is not None:
            self.every = self.fixed_every
        elif self._snap_cost < 0.002:
            self.every = 1
        elif self._step_cost > 0:
            every = math.ceil(self._snap_cost / (CHECKPOINT_BUDGET * self._step_cost))
            self.every = int(min(MAX_CHECKPOINT_EVERY, max(1, every)))

    def _fit(self, size: int) -> None:
        """Shrink the ring so the checkpoints fit CHECKPOINT_MEMORY_MB (size: RSS growth of one)."""
        self._snap_bytes = max(self._snap_bytes, size)
        fit = max(4, (CHECKPOINT_MEMORY_MB << 20) // self._snap_bytes)
        maxlen = int(min(self.size, fit))
        if maxlen != self.saved.maxlen:
            self.saved = deque(self.saved, maxlen=maxlen)

    def copy_at(self, target: int) -> Simulation:
        """A copy of the nearest checkpoint at or before ``target`` (the oldest one when none
        is); unlike :meth:`restore` the later checkpoints stay (a look at the past — a
        watch's replay, a fork from the round before — does not rewind the arm)."""
        saved = next((c for step, c in reversed(self.saved) if step <= target), self.saved[0][1])
        return saved.sim.clone()

    def restore(self, target: int) -> Simulation:
        """A copy of the nearest checkpoint at or before ``target`` (the oldest one when none
        is), after dropping the later ones; the checkpoint itself stays untouched."""
        while len(self.saved) > 1 and self.saved[-1][0] > target:
            self.saved.pop()
        _, saved = self.saved[-1]
        return saved.sim.clone()


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    except (OSError, ValueError, IndexError):
        return None


def _ewma(old: float, new: float) -> float:
    """Cost estimate: follows increases at once (a state only grows more expensive to step
    and copy as jobs arrive; a lagging estimate would checkpoint far too often), decays slowly."""
    return new if new >= old else 0.7 * old + 0.3 * new
