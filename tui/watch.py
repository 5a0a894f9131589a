"""A watched job or GPU: its history round by round (where, what share, why waiting).

Why its own record: the arm's other tracks are sampled (priorities) or summarised (the
round summaries), but a debugger's watch must say, for every round, where the job ran,
what share the LP gave it and — when it waited — why, in the words of ``fragscope why``
(:func:`fragscope.explain_job`).  The arm appends one :class:`WatchRow` after each step
while a target is watched; the session fills the rounds before the watch began by a
deterministic replay from the oldest checkpoint (as run back until does), so the
history is exact, not reconstructed.  No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fragscope import Simulation, explain_job


@dataclass(frozen=True)
class Watched:
    """What is watched: a job or a GPU, by id."""

    kind: Literal["job", "gpu"]
    id: int

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


@dataclass(frozen=True)
class WatchRow:
    """One round of a watched target's history (the state after stepping ``step``)."""

    step: int
    time_s: float
    state: str     # a job: fragscope.JOB_STATES; a GPU: idle / busy / full
    where: str     # a job: server · type · GPUs; a GPU: the jobs on it
    share: str     # a job: the LP's time share per GPU type; a GPU: milli in use of 1000
    why: str       # a job: what happened or why it waits; a GPU: its decisions this round


def _shares(allocation: dict[str, float]) -> str:
    return " ".join(f"{w} {x:.2f}" for w, x in allocation.items() if x > 0) or "0"


def watch_row(sim: Simulation, target: Watched) -> WatchRow:
    """The watched target in ``sim`` now (after its latest step)."""
    step, now = sim.step_index, sim.now
    changes = sim.round_decisions()
    if target.kind == "job":
        j = target.id
        why = explain_job(sim, j, lookahead=0)
        view = sim.job(j)
        where = share = ""
        if view is not None:
            if view.gpus:
                server, gpu_type = sim.gpu_place(view.gpus[0])
                where = f"server {server} · {gpu_type} · GPUs {','.join(map(str, view.gpus))}"
            share = _shares(view.allocation)
        took = [d.action for d in changes if d.job_id == j and d.action not in ("placed",)]
        said = why.summary if not took else f"{', '.join(took)} this round; {why.summary}"
        return WatchRow(step, now, why.state, where, share, said)
    g = target.id
    holders = sim.gpu_holdings().get(g, [])
    used = sum(m for _, m in holders)
    state = "idle" if not holders else "full" if used >= 1000 else "busy"
    where = ", ".join(f"job {j} ({m}m)" for j, m in holders)
    why = "; ".join(f"job {d.job_id} {d.action}" for d in changes if g in d.gpus)
    return WatchRow(step, now, state, where, f"{used}/1000", why)
