"""What a round's selection walk saw, kept when the round is explained.

Gavel's mechanism walks the active jobs in priority order per GPU type and takes each
whose demand still fits the type's budget (gavel.md §3; round mode counts milli-GPU,
Gavel's own mode whole GPUs).  "Why is this job waiting?" (debugger.md §3, step 3)
needs that walk: the job's priority, its rank, the budget left when the walk reached
it.  Recording it costs copies of the round's columns, so only explained rounds
(``Simulation(..., explain=True)``, a replay for ``fragscope why``) keep one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mechanism import JobColumns, walk_rows


@dataclass(frozen=True)
class TypeWalk:
    """One GPU type's walk as job ``j`` met it."""

    gpu_type: str
    share: float          # j's time share on the type (the LP's allocation)
    priority: float       # j's priority there this round
    rank: int             # j's 1-based position in the walk (0: not in it)
    length: int           # entries in the walk
    need: int             # j's demand, in ``unit``
    left: int             # budget left when the walk reached j
    budget: int           # the type's budget at the start of the walk
    unit: str
    ran_out_at: int = 0   # the first rank whose demand no longer fit what was left (0: none)


@dataclass(frozen=True)
class SelectionTrace:
    """The round's walk inputs (copies) and outcome: ``chosen`` (job, type) pairs,
    ``failed`` the chosen pairs no server took, ``strict`` when the round was placed
    strictly by priority (a starving job)."""

    round: int
    cols: JobColumns
    types: tuple[str, ...]       # walk order
    budget: dict[str, int]
    need: np.ndarray             # per row of ``cols``, in ``unit``
    unit: str                    # "milli-GPU" (round mode) or "GPUs" (Gavel's own)
    runnable_only: bool          # round mode's walk leaves out rows no walk takes
    fifo: bool
    chosen: tuple[tuple[int, str], ...]
    failed: tuple[tuple[int, str], ...] = ()
    strict: bool = False

    def __deepcopy__(self, memo: dict) -> "SelectionTrace":
        return self   # never changed once made

    def walks_of(self, job_id: int) -> list[TypeWalk]:
        """Job ``job_id``'s place in each type's walk where it has a share (in walk order)."""
        cols = self.cols
        rows = np.flatnonzero(cols.ids == job_id)
        if rows.size == 0:
            return []
        row = int(rows[0])
        col = {w: k for k, w in enumerate(cols.types)}
        out = []
        for w in self.types:
            k = col[w]
            share = float(cols.alloc[row, k])
            if share <= 0.0 or cols.tput[row, k] <= 0:
                continue
            walk = walk_rows(cols, k, self.runnable_only, self.fifo)
            pos = np.flatnonzero(walk == row)
            rank = int(pos[0]) + 1 if pos.size else 0
            mine = {j for j, t in self.chosen if t == w}
            left, left_at, ran_out = self.budget[w], None, 0
            for i, r in enumerate(walk.tolist(), 1):
                if i == rank:
                    left_at = left
                need = int(self.need[r])
                if int(cols.ids[r]) in mine:
                    left -= need
                elif not ran_out and need > left:
                    ran_out = i
            out.append(TypeWalk(w, share, float(cols.prio[row, k]), rank, int(walk.size), int(self.need[row]),
                                left if left_at is None else left_at, self.budget[w], self.unit, ran_out))
        return out


def copy_columns(cols: JobColumns) -> JobColumns:
    """The round's columns, copied: the job arrays behind them change next round."""
    return JobColumns(cols.ids.copy(), cols.types, cols.alloc.copy(), cols.has_alloc.copy(), cols.tput.copy(),
                      cols.prio.copy(), cols.deficit.copy(),
                      None if cols.scale is None else cols.scale.copy(),
                      None if cols.gpu_milli is None else cols.gpu_milli.copy())


__all__ = ["SelectionTrace", "TypeWalk", "copy_columns"]
