"""FGD, Fragmentation Gradient Descent (``fgd.md`` §2): the node and GPU whose placement
increases the cluster's expected fragmentation F(M) the least.

:class:`FGD` is a placement like any other, through the same contract: :meth:`FGD.score`
ranks the filtered nodes by the FGD simulator's integer score of Δ (or by −Δ in
``exact`` scoring), ``pick_gpus`` gives the GPU of that Δ, ``explain`` the inspector's
GPU, score and Δ columns, and the optional fast hook ``place_many`` answers whole
decisions.  All of them read one index (:mod:`.index`) that keeps, per task type, every
node's best placement and re-scores only the nodes that changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...model.errors import InputError
from .index import FgdIndex

if TYPE_CHECKING:
    from ..contract import ClusterView, TaskView

#: FGD's scorings, the one list: ``integer`` — the FGD simulator's ⌊100·σ(−Δ/1000)⌋, ties
#: to the run's node order — and ``exact`` — the smallest Δ (scenario key ``fgd.scoring``,
#: ``fill --fgd-scoring``, ``FGD(scoring=...)``).
SCORINGS: tuple[str, ...] = ("integer", "exact")
#: The FGD paper's placements, FGD and its five baselines, in the paper's order: what
#: ``fragscope fill`` compares by default and what the shipped reference curves cover.
PAPER_PLACEMENTS: tuple[str, ...] = ("fgd", "bestfit", "packing", "clustering", "dotprod", "random")
#: Other spellings accepted for a scoring: the fill-up experiment's ``fgd_mode="score"``.
SCORING_ALIASES: dict[str, str] = {"score": "integer"}


def canonical_scoring(name: str) -> str | None:
    """The scoring ``name`` means (one of :data:`SCORINGS`), or None if it is none."""
    name = SCORING_ALIASES.get(name, name)
    return name if name in SCORINGS else None


class FGD:
    name = "fgd"
    # Its answer for a task reads only the nodes the task may use: round mode may hand
    # place_many a whole run of identical jobs, GPU type by GPU type (docs/plugins.md).
    independent_gpu_types = True

    def __init__(self, scoring: str | None = None) -> None:
        """``scoring``: ``integer`` (the FGD simulator's ⌊100·σ(−Δ/1000)⌋, ties to the
        run's node order) or ``exact`` (smallest Δ); None = the run's
        ``cluster.fgd_scoring`` (the scenario's ``fgd.scoring``, ``--fgd-scoring`` in ``fill``)."""
        if scoring is not None and scoring not in SCORINGS:
            raise InputError("placement_params.scoring", f"{scoring!r} is not allowed (allowed: {', '.join(SCORINGS)})")
        self.scoring = scoring
        self._index: FgdIndex | None = None

    def _on(self, cluster: ClusterView) -> FgdIndex:
        """The index over ``cluster`` (a new view — a new run, a copy — starts it afresh)."""
        ix = self._index
        if ix is None or ix.view is not cluster:
            score_mode = (self.scoring or cluster.fgd_scoring) != "exact"
            if ix is None or ix.score_mode != score_mode:
                ix = self._index = FgdIndex(score_mode)
            ix.bind(cluster)
        return ix

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        """The integer FGD score of each node's best GPU; in ``exact`` scoring −Δ (as the
        integer numerator over ``cluster.fragmentation.denominator``)."""
        ix = self._on(cluster)
        cache = ix.current(task)
        return cache.score[nodes] if ix.score_mode else -cache.dnum[nodes]

    def pick_gpus(self, task: TaskView, cluster: ClusterView, node: int) -> tuple[int, ...]:
        """The GPU of the node's best Δ (the lowest index among equals)."""
        ix = self._on(cluster)
        return ix.gpus(node, task, ix.current(task))

    def explain(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray, scores: np.ndarray) -> dict:
        """The inspector's own columns: each candidate's GPU, integer score and Δ."""
        ix = self._on(cluster)
        cache = ix.current(task)
        return {"gpu": cache.gpu[nodes].copy(), "score": cache.score[nodes].copy(),
                "delta": cache.dnum[nodes] / ix.frag.denominator}

    def rule(self, task: TaskView, cluster: ClusterView, node: int) -> str:
        ix = self._on(cluster)
        cache = ix.current(task)
        score, delta = int(cache.score[node]), int(cache.dnum[node]) / ix.frag.denominator
        if ix.score_mode:
            return f"highest FGD score {score} (Δ {delta:+.2f} milli-GPU)"
        return f"smallest Δ {delta:+.4f} milli-GPU (score {score})"

    def place_many(self, task: TaskView, cluster: ClusterView, count: int) -> list[tuple[int, tuple[int, ...]]]:
        """The fast hook: where the next ``count`` copies of ``task`` go (see :mod:`.index`)."""
        ix = self._index
        if ix is None or ix.view is not cluster:
            ix = self._on(cluster)
        return ix.place_many(task, count)
