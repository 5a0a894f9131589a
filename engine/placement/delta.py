"""Δ F_n(M) of placing one task type on many nodes at once, and FGD's integer score.

The fragmentation measure is the framework's (the cluster state keeps every node's
F_n(M) for the metrics); this module is its Δ, which the cluster view offers every
placement (``ClusterView.frag_delta`` / ``frag_gpus``) and FGD ranks by.  The FGD
simulator ranks by ⌊100·σ(−Δ/1000)⌋ (``fgd.md`` §2.2), so candidates within ~40
milli-GPU tie; ``exact`` scoring ranks by −Δ.  Δ is carried as an integer numerator over
the target workload's denominator, so equal fragmentation compares exactly equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .fragmentation import TaskType
from ..model.units import MILLI

NEG = np.iinfo(np.int64).min // 4     # the ranking value of a node that fails a filter


def fgd_score(delta_num: np.ndarray | int, denominator: int) -> np.ndarray:
    """The reference's integer FGD score ⌊100·σ(−Δ/1000)⌋ for Δ = delta_num/denominator."""
    x = -(np.asarray(delta_num, np.float64) / denominator) / 1000.0
    return ((1.0 / (1.0 + np.exp(-x))) * 100.0).astype(np.int64)


def node_deltas(cluster: Any, t: TaskType, nodes: np.ndarray, score_mode: bool,
                lower: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each of ``nodes`` (all passing the type's filters): (ranking value, GPU, integer
    score, Δ numerator) of the best placement of ``t`` there, read from the public
    fields of ``cluster`` (:class:`~.contract.ClusterView`).

    A fractional task tries every distinct free value once (GPUs with equal free milli give
    the same after-state) and keeps the lowest GPU index reaching the node's best value;
    a whole-GPU task takes the k lowest-index free GPUs; a CPU-only task only uses CPU.
    ``lower`` is ``np.tri(slots, k=-1, dtype=bool)``.
    """
    fm = cluster.fragmentation
    rows = cluster.free_gpu_milli[nodes]
    cpu_after = cluster.free_cpu_milli[nodes] - t.cpu_milli
    mid = cluster.model_index[nodes]
    before = cluster.frag_numerator[nodes]
    shape = t.shape
    if shape == "fractional":
        g = t.gpu_milli
        fits = rows >= g
        dup = ((rows[:, :, None] == rows[:, None, :]) & lower).any(axis=2)
        si, gi = np.nonzero(fits & ~dup)             # one candidate per distinct free value
        after = rows[si]
        after[np.arange(si.size), gi] -= g
        dn = fm.frag_int(after, cpu_after[si], mid[si]) - before[si]
        val = fgd_score(dn, fm.denominator) if score_mode else -dn
        table = np.full(rows.shape, NEG, np.int64)
        table[si, gi] = val
        best = table.max(axis=1)
        gpu = (table == best[:, None]).argmax(axis=1)  # lowest index reaching the best
        dtab = np.zeros(rows.shape, np.int64)
        dtab[si, gi] = dn
        dnum = dtab[np.arange(nodes.size), gpu]
        # (every node here has a candidate; in score mode the winner's value is its score)
        score = best if score_mode else fgd_score(dnum, fm.denominator)
    else:
        gpu = np.full(nodes.size, -1, np.int64)
        if shape == "whole":
            free = rows == MILLI
            take = free & (np.cumsum(free, axis=1) <= t.num_gpu)
            rows = np.where(take, 0, rows)
        dnum = fm.frag_int(rows, cpu_after, mid) - before
        score = fgd_score(dnum, fm.denominator)
    rank_val = score if score_mode else -dnum
    return rank_val, gpu, score, dnum
