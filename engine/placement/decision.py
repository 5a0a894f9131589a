"""A placement decision: where a task went and why (the inspector shows it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fragmentation import Task


@dataclass(eq=False)
class Decision:
    """Why a task went where it went.

    ``node`` is -1 when no node passes the filters (the task fails); ``n_feasible``
    is -1 when FGD was asked without ``explain`` (not counted).  The candidate
    arrays (filled when ``explain=True``) list every feasible node with the GPU it
    would get (-1: CPU-only, or "the k lowest-index fully free GPUs", or picked by the
    placement's own ``pick_gpus``), its score, and for FGD its Δ in milli-GPU; a
    placement's ``explain`` columns are in ``extra``.  Scores: higher is better for
    every placement; for FGD ``exact`` the ranking value is -Δ and ``cand_scores``
    still shows the integer score.
    """

    placement: str
    task: Task
    node: int
    gpus: tuple[int, ...]
    rule: str
    score: float | None = None
    delta: float | None = None
    n_feasible: int = 0
    cand_nodes: np.ndarray | None = None
    cand_gpus: np.ndarray | None = None
    cand_scores: np.ndarray | None = None
    cand_deltas: np.ndarray | None = None
    extra: dict[str, np.ndarray] | None = None

    @property
    def placed(self) -> bool:
        return self.node >= 0
