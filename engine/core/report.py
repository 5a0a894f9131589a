"""What one ``step()`` tells its caller (the CLI, the UI, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RoundReport:
    """The round that starts at ``time``.

    ``completions`` are (job id, JCT) pairs for jobs that finished in the round that
    just ended (JCT ``None`` for a job dropped after repeated failures);
    ``allocation`` is the LP's new allocation when it was recomputed this round,
    else ``None``; ``placements`` maps every dispatched job to its GPU IDs.
    """

    index: int
    time: float
    arrivals: list[int]
    completions: list[tuple[int, float | None]]
    allocation_recomputed: bool
    allocation: dict[int, dict[str, float]] | None
    placements: dict[int, tuple[int, ...]]
    running: int
    queued: int
    completed_total: int
    busy_gpus: int      # distinct GPUs holding at least one job (a shared GPU counts once)
    total_gpus: int
    metrics: dict[str, float] = field(default_factory=dict)
    # When the LP recomputed this round and its answer was not a plain optimal solve: how it
    # was found, e.g. "ECOS optimal_inaccurate -> CLARABEL optimal" (policies/solve.py)
    lp_note: str = ""

    @property
    def utilization(self) -> float:
        """Share of the cluster's GPUs busy in this round (each GPU counted once)."""
        return self.busy_gpus / self.total_gpus if self.total_gpus else 0.0
