"""FGD, Fragmentation Gradient Descent (``fgd.md`` §2): the node and GPU whose placement
increases the cluster's expected fragmentation F(M) the least.

:class:`FGD` is a placement like any other: :meth:`FGD.score` ranks the filtered nodes by
the FGD simulator's integer score of Δ (or by −Δ in ``exact`` mode).  Its private fast
path (:mod:`.index`) keeps per-type caches of every node's best placement and re-scores
only nodes that changed; it gives the same winners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...model.errors import InputError
from ..contract import ClusterView, TaskView
from .delta import fgd_score
from .index import FgdIndex

if TYPE_CHECKING:
    from ..placer import Placer

SCORINGS = ("integer", "exact")


class FGD:
    name = "fgd"
    _trusted = True   # a built-in: the framework does not re-check its answers

    def __init__(self, scoring: str | None = None) -> None:
        """``scoring``: ``integer`` (the FGD simulator's ⌊100·σ(−Δ/1000)⌋, ties to the
        run's node order) or ``exact`` (smallest Δ); None = the scenario's ``fgd.scoring``
        (``--fgd-scoring`` in ``fill``)."""
        if scoring is not None and scoring not in SCORINGS:
            raise InputError("placement_params.scoring", f"{scoring!r} is not allowed (allowed: {', '.join(SCORINGS)})")
        self.scoring = scoring

    def _exact(self, cluster: ClusterView) -> bool:
        mode = self.scoring or cluster._default_fgd_scoring
        return mode == "exact"

    def score(self, task: TaskView, cluster: ClusterView, nodes: np.ndarray) -> np.ndarray:
        delta = cluster.frag_delta(task, nodes)
        return -delta if self._exact(cluster) else fgd_score(delta, 1)

    def pick_gpus(self, task: TaskView, cluster: ClusterView, node: int) -> tuple[int, ...]:
        return cluster._fgd_gpus(task, node, not self._exact(cluster))

    def _fast_path(self, placer: "Placer") -> FgdIndex:
        """The cache-based decider the framework uses instead of score + tie rule."""
        mode = self.scoring or placer.fgd_scoring
        return FgdIndex(placer, score_mode=(mode != "exact"))
