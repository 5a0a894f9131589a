"""Read-only views of a running simulation, for the UI and other observers.

Views are plain frozen dataclasses and numpy arrays built from the engine state on
request, so a caller can never mutate the simulation through them.  The per-GPU
fill array is vectorised because the UI redraws thousands of GPUs per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .state import SimState


@dataclass(frozen=True)
class GpuView:
    gpu_id: int
    server_id: int
    gpu_type: str
    jobs: tuple[tuple[int, int], ...]  # (job id, milli-GPU it holds on this GPU)

    @property
    def used_milli(self) -> int:
        return min(1000, sum(m for _, m in self.jobs))


@dataclass(frozen=True)
class ServerView:
    server_id: int
    gpu_type: str
    gpus: tuple[GpuView, ...]
    cpu_milli: int | None
    memory_mib: int | None


@dataclass(frozen=True)
class JobView:
    job_id: int
    job_type: str
    num_gpus: int
    gpu_milli: int
    cpu_milli: int
    memory_mib: int
    priority_weight: float
    arrival_s: float
    status: str  # "running", "queued" or "completed"
    steps_done: float
    total_steps: float
    gpus: tuple[int, ...]
    jct_s: float | None  # final JCT when completed, time in system so far otherwise
    allocation: dict[str, float]
    priority: dict[str, float]
    deficit: dict[str, float]

    @property
    def progress(self) -> float:
        return min(1.0, self.steps_done / self.total_steps) if self.total_steps else 1.0


def gpu_holdings(state: SimState) -> dict[int, list[tuple[int, int]]]:
    """GPU id -> [(job id, milli)] for the round that starts now.

    With sharing off a job holds its GPUs whole (1000), whatever its demand.
    """
    out: dict[int, list[tuple[int, int]]] = {}
    for j, gpus in state.assignments.items():
        milli = state.assignment_milli.get(j, 1000)
        for g in gpus:
            out.setdefault(g, []).append((j, milli))
    return out
