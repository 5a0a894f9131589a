"""Read-only views of a running simulation, for the UI and other observers.

Views are plain frozen dataclasses and numpy arrays built from the engine state on
request, so a caller can never mutate the simulation through them.  The per-GPU
fill array is vectorised because the UI redraws thousands of GPUs per frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


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


class ServerViewCache:
    """Builds :class:`ServerView` lists from GPU holdings, reusing the views of servers whose
    GPUs hold the same jobs as at the previous call.

    A 6 000-GPU cluster then costs O(changed servers) per call, not one GpuView per GPU.
    The skeleton is static (server id, GPU type, GPU ids, CPU and memory capacity), so any
    process that has it can rebuild the views from a holdings dict alone; the UI's engine
    processes send holdings, not views, for that reason.
    """

    def __init__(self, servers: Iterable[ServerView]) -> None:
        self._skeleton = [(s.server_id, s.gpu_type, tuple(g.gpu_id for g in s.gpus), s.cpu_milli, s.memory_mib)
                          for s in servers]
        self._server_of = {g: i for i, sk in enumerate(self._skeleton) for g in sk[2]}
        self._held: dict[int, list[tuple[int, int]]] | None = None
        self._views: list[ServerView] = []

    @classmethod
    def from_cluster(cls, servers: Iterable) -> "ServerViewCache":
        """From engine servers (``server_id``, ``gpu_type``, ``gpu_ids``, ``cpu_milli``, ``memory_mib``)."""
        return cls(ServerView(s.server_id, s.gpu_type, tuple(GpuView(g, s.server_id, s.gpu_type, ()) for g in s.gpu_ids),
                              s.cpu_milli, s.memory_mib) for s in servers)

    def copy(self) -> "ServerViewCache":
        """An independent cache starting from this one's views (the skeleton is shared)."""
        out = object.__new__(ServerViewCache)
        out._skeleton, out._server_of = self._skeleton, self._server_of
        out._held, out._views = self._held, list(self._views)
        return out

    def views(self, held: dict[int, list[tuple[int, int]]]) -> list[ServerView]:
        """Every server with the jobs ``held`` packs on each of its GPUs (a new list)."""
        if self._held is None:
            self._views = [self._view(i, held) for i in range(len(self._skeleton))]
        else:
            old = self._held
            changed = {self._server_of[g] for g in old.keys() | held.keys() if old.get(g) != held.get(g)}
            for i in changed:
                self._views[i] = self._view(i, held)
        self._held = held
        return list(self._views)

    def _view(self, i: int, held: dict[int, list[tuple[int, int]]]) -> ServerView:
        server_id, gpu_type, gpu_ids, cpu, mem = self._skeleton[i]
        return ServerView(server_id, gpu_type,
                          tuple(GpuView(g, server_id, gpu_type, tuple(held.get(g, ()))) for g in gpu_ids),
                          cpu, mem)
