"""The inspector's data: one job's and/or one GPU's details in one arm, read in one go.

Why one value: the inspector opens on the UI thread while the engine may be stepping, so
everything it shows (the GPU's holders, the job, its priority history, its placement
decision record) is gathered under the session lock into an :class:`Inspection` and the
screen draws only that.  An arm in another process answers with the same value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from fragscope import JobView, Simulation, explain_job

if TYPE_CHECKING:
    from fragscope import PlacementRecord, WhyAnswer


@dataclass(frozen=True)
class Inspection:
    """What the inspector shows, gathered under the lock in one go."""

    arm: str
    step: int
    gpu_id: int | None
    gpu_type: str | None
    server_id: int | None
    gpu_jobs: tuple[tuple[int, int], ...]
    job: JobView | None
    priority_history: tuple[tuple[int, dict[str, float], dict[str, float]], ...]
    decision: PlacementRecord | None  # None: not round mode, or the job was never placed
    why: WhyAnswer | None = None      # the job's state and, when it waits, why (fragscope.explain_job)


def inspect_sim(label: str, sim: Simulation,
                priority_track: Mapping[int, Iterable[tuple[int, dict[str, float], dict[str, float]]]],
                job_id: int | None = None, gpu_id: int | None = None) -> Inspection:
    """A job's and/or a GPU's details in arm ``label`` now (``sim`` and its priority track);
    given only a GPU, the job is the first one on it."""
    gpu_type = server_id = None
    gpu_jobs: tuple[tuple[int, int], ...] = ()
    if gpu_id is not None:
        for srv in sim.servers():
            for g in srv.gpus:
                if g.gpu_id == gpu_id:
                    gpu_type, server_id, gpu_jobs = g.gpu_type, srv.server_id, g.jobs
        if job_id is None and gpu_jobs:
            job_id = gpu_jobs[0][0]
    job = sim.job(job_id) if job_id is not None else None
    decision = sim.placement_decision(job_id) if job_id is not None else None
    track = tuple(priority_track.get(job_id, ())) if job_id is not None else ()
    # why it waits (no stepping ahead here: the inspector opens at once, so the next LP
    # recompute is given by the time it is due)
    why = explain_job(sim, job_id, lookahead=0) if job_id is not None and sim.step_index else None
    return Inspection(label, sim.step_index, gpu_id, gpu_type, server_id, tuple(gpu_jobs),
                      job, track, decision, why)
