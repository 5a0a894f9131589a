"""Round-mode placement: where each selected job's GPUs are, decided job by job.

Used whenever GPU sharing is on or the placement is not Gavel's exclusive
first-fit.  Selection and placement are one decision (the fork's "pure counting"
bug, sharing.md §6): jobs are walked in Gavel's priority order and a job is
selected for a round only if a server can host it right now.  A job that ran last
round on the same GPU type keeps its exact GPUs when they still have room (lease
extension); otherwise the placement picks a server and GPUs among the
servers of that type.  Jobs never span servers on this path.

Occupancy is the fill-up engine's :class:`ClusterState` (integer milli-GPU, CPU and
memory per server, incremental F_n(M)), reset at the start of every round, so after
scheduling it *is* the round's occupancy and yields the fragmentation metrics.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.alibaba import NodeList
from ..model.cluster import Cluster
from ..model.units import MILLI
from .blocking import Blocked, blocked
from .contract import TaskView
from .cluster_state import ClusterState
from .fragmentation import Task, TargetWorkload, TaskType
from ..plugins import PluginRef
from .decision import Decision
from .registry import REGISTRY
from .placer import Placer, node_tie_rank

UNLIMITED = 1 << 40  # CPU / memory of servers that do not model them (Gavel clusters)


@dataclass(frozen=True)
class PlacementRecord:
    """The latest placement decision of a job, for the UI's inspector and ``fragscope why``:
    ``candidates`` (server, GPU it would get, score, FGD Δ) highest score first with the
    winner first of all, at most 200; ``rejected`` counts the servers of ``gpu_type``
    that failed a hard check (placement/blocking.py's names)."""

    job_id: int
    round: int
    gpu_type: str
    server_id: int
    gpus: tuple[int, ...]
    rule: str
    placement: str
    candidates: tuple[tuple[int, int, float, float | None], ...]  # (server, gpu, score, delta)
    extra_columns: tuple[str, ...] = ()        # the placement's own ``explain`` columns ...
    extra: tuple[tuple[float, ...], ...] = ()  # ... their values, one tuple per candidate
    score: float | None = None                 # the winner's score as the inspector shows it
    feasible: int = 0                          # servers that could take it (candidates beyond 200 not kept)
    rejected: tuple[tuple[str, int], ...] = () # servers of the type that could not, by first failing check

    def __deepcopy__(self, memo: dict) -> "PlacementRecord":
        return self  # immutable (tuples of numbers): forks share records


class RoundPlacer:
    """Occupancy of the round being scheduled plus one placement."""

    def __init__(self, cluster: Cluster, placement: Any, workload: TargetWorkload, seed: int,
                 fgd_scoring: str = "integer", params: dict | None = None) -> None:
        """``placement``: a registered name or a resolved plug-in reference, built with
        ``params`` (see :class:`~fragscope.placement.placer.Placer`)."""
        self.cluster = cluster
        servers = cluster.servers
        nodes = NodeList(
            source="cluster",
            names=tuple(s.name for s in servers),
            cpu_milli=np.array([UNLIMITED if s.cpu_milli is None else s.cpu_milli for s in servers], np.int64),
            memory_mib=np.array([UNLIMITED if s.memory_mib is None else s.memory_mib for s in servers], np.int64),
            gpu_count=np.array([s.num_gpus for s in servers], np.int64),
            model=tuple(s.gpu_type for s in servers))
        self.state = ClusterState(nodes, workload)
        self._initial = {k: copy.copy(v) for k, v in vars(self.state).items()
                         if isinstance(v, (np.ndarray, int, float)) and not isinstance(v, bool)}
        rng = np.random.default_rng(seed + 11)
        ref = placement if isinstance(placement, PluginRef) else REGISTRY.resolve(placement, where="placement")
        self.placer = Placer(self.state, REGISTRY.create(ref, params), node_tie_rank(len(servers), rng), rng=rng,
                             fgd_scoring=fgd_scoring, ref=ref)
        self.placement = self.placer.name
        self.first_gpu = [s.gpu_ids[0] for s in servers]   # plain lists: read per placement
        self.server_of = cluster.server_of
        self.types_of_server = [s.gpu_type for s in servers]
        self.records: dict[int, PlacementRecord] = {}
        self.blocked: dict[int, Blocked] = {}   # explaining: this round's jobs no server took
        # Demands that failed on a type this round, per type: occupancy only grows
        # within a round, so any demand at least as large fails too.
        self._failed: dict[str, list[tuple[int, int, int, int]]] = {}
        self._tasks: dict[tuple, Task] = {}   # (CPU, milli, GPUs, type, memory) -> Task
        self._types: dict[TaskType, TaskType] = {}           # each task type's one object

    def __deepcopy__(self, memo: dict) -> "RoundPlacer":
        # The topology and the compiled F model are immutable: share them between forks.
        new = object.__new__(RoundPlacer)
        memo[id(self)] = new
        for shared in (self.state.frag, self.state.nodes, self.state.workload):
            memo[id(shared)] = shared
        for k, v in vars(self).items():
            if k in ("cluster", "first_gpu", "server_of", "types_of_server", "_initial", "_tasks", "_types"):
                setattr(new, k, v)
            else:
                setattr(new, k, copy.deepcopy(v, memo))
        return new

    # ---------------------------------------------------------------- round
    def reset(self) -> None:
        """Every GPU free again: the previous round's micro-tasks have all ended."""
        st = self.state
        for k, v in self._initial.items():
            cur = getattr(st, k)
            if isinstance(v, np.ndarray):
                cur[...] = v
            else:
                setattr(st, k, v)
        st._dirty = set()
        st.change_log = []  # every node may have changed: scorers re-check all versions
        self._failed.clear()
        self.blocked = {}

    def load(self, assignments: dict[int, tuple[int, ...]], jobs: dict) -> None:
        """Occupancy from Gavel's exclusive placement (whole GPUs, possibly spanning
        servers; a spanning job's CPU and memory are charged to its first server —
        an approximation, used only for the metrics of such runs)."""
        self.reset()
        st = self.state
        for j, gpus in sorted(assignments.items()):
            job = jobs[j]
            by_server: dict[int, list[int]] = {}
            for g in gpus:
                by_server.setdefault(int(self.server_of[g]), []).append(int(g - self.first_gpu[self.server_of[g]]))
            for i, (server, slots) in enumerate(by_server.items()):
                t = TaskType(job.cpu_milli if i == 0 else 0, MILLI, len(slots), self.types_of_server[server])
                st.allocate_deferred(server, Task(t, job.memory_mib if i == 0 else 0), slots)

    def _task(self, job, milli: int, gpu_type: str) -> Task:
        """The job's task on ``gpu_type``: one object per demand (jobs with equal demands
        share it; a placement sees only the demand, and its job ID separately)."""
        key = (job.cpu_milli, milli, job.scale_factor, gpu_type, job.memory_mib)
        task = self._tasks.get(key)
        if task is None:
            if len(self._tasks) > 200_000:
                self._tasks.clear()
            t = TaskType(job.cpu_milli, milli, job.scale_factor, gpu_type)
            # one object per task type: the placer's per-type dicts then match on identity
            # (a dataclass __eq__ is a Python call per look-up otherwise)
            t = self._types.setdefault(t, t)
            task = self._tasks[key] = Task(t, job.memory_mib)
        return task

    def keep(self, job, gpus: tuple[int, ...], milli: int) -> bool:
        """Lease extension: allocate exactly ``gpus`` again if they still have room.
        (~10³ calls a round at full scale: a one-GPU job, the common case, reads its
        one slot instead of the server's row.)"""
        server_of = self.server_of
        g0 = gpus[0]
        server = server_of[g0]
        st = self.state
        first = self.first_gpu[server]
        if len(gpus) == 1:
            slots: tuple[int, ...] = (g0 - first,)
            if st.free_gpu[server, g0 - first] < milli:
                return False
        else:
            if any(server_of[g] != server for g in gpus):
                return False  # spanned servers under Gavel's exclusive placement
            slots = tuple([g - first for g in gpus])
            row = st.free_gpu[server].tolist()
            if any(row[i] < milli for i in slots):
                return False
        if st.free_cpu[server] < job.cpu_milli or st.free_mem[server] < job.memory_mib:
            return False
        st.allocate_deferred(server, self._task(job, milli, self.types_of_server[server]), slots)
        return True

    def metrics(self):
        self.state.refresh()
        return self.state.metrics()

    def _dominated(self, gpu_type: str, demand: tuple[int, int, int, int]) -> bool:
        k, g, c, m = demand
        for fk, fg, fc, fm in self._failed.get(gpu_type, ()):
            if k >= fk and g >= fg and c >= fc and m >= fm and (g >= MILLI) == (fg >= MILLI):
                return True
        return False

    def _add_failed(self, gpu_type: str, demand: tuple[int, int, int, int]) -> None:
        """Remember a failed demand, keeping only the minimal ones (a demand that an
        older failure dominates never gets here; older ones it dominates are dropped).
        Not when the placement may veto nodes: its refusal of one job says nothing of
        another's (an anti-affinity, a reservation)."""
        if self.placer.has_filter:
            return
        k, g, c, m = demand
        whole = g >= MILLI
        kept = [f for f in self._failed.get(gpu_type, ())
                if not (f[0] >= k and f[1] >= g and f[2] >= c and f[3] >= m and (f[1] >= MILLI) == whole)]
        kept.append(demand)
        self._failed[gpu_type] = kept

    def _ready(self, job, gpu_type: str, milli: int) -> tuple[int, int, int, int] | None:
        """The job's demand (GPUs, milli per GPU, CPU, memory) with the occupancy brought
        up to date for a placement; None when a demand that failed on the type this
        round is no larger (it cannot fit either)."""
        demand = (job.scale_factor, milli, job.cpu_milli, job.memory_mib)
        if gpu_type in self._failed and self._dominated(gpu_type, demand):   # (never with a veto: _add_failed)
            return None
        if self.state._dirty:
            self.state.refresh()
        return demand

    def place(self, job, gpu_type: str, milli: int, round_index: int, explain: bool) -> tuple[int, ...] | None:
        """Choose a server of ``gpu_type`` and GPUs for ``job``; allocate; or None.

        Runs ~10³ times a round at full scale, so the common case (no failure recorded
        on the type, no decision record) takes no detours."""
        demand = self._ready(job, gpu_type, milli)
        if demand is None:
            if explain:
                self._note_blocked(job.job_id, self._task(job, milli, gpu_type), gpu_type)
            return None
        task = self._task(job, milli, gpu_type)
        if not explain:
            node, slots = self.placer.place_fast(task, job.job_id)
            if node < 0:
                self._add_failed(gpu_type, demand)
                return None
            first = self.first_gpu[node]
            return tuple([first + i for i in slots])
        rejected = self._blocked(task, gpu_type, job.job_id).counts   # (before the job takes its place)
        d = self.placer.place(task, explain=True, job_id=job.job_id)
        if d.node < 0:
            self._add_failed(gpu_type, demand)
            self._note_blocked(job.job_id, task, gpu_type)
            return None
        gpus = tuple(self.first_gpu[d.node] + int(i) for i in d.gpus)
        self.records[job.job_id] = _record(job.job_id, round_index, gpu_type, d, gpus, self.first_gpu, rejected)
        return gpus

    def _blocked(self, task: Task, gpu_type: str, job_id: int = -1) -> Blocked:
        """The servers of ``gpu_type`` that cannot take ``task`` now, by the first check each
        fails — the placement's own veto (``filter``) last."""
        st = self.state
        if st._dirty:
            st.refresh()
        nodes = np.flatnonzero(np.array([t == gpu_type for t in self.types_of_server], bool))
        model_ok = self.placer.model_mask(task.type.models)
        veto = None
        if self.placer.has_filter:
            view = TaskView.of(task, job_id)
            veto = lambda idx: self.placer.vetoes(view, idx)  # noqa: E731
        return blocked(st, model_ok, task, self.placer.memory_filter, nodes, [s.name for s in self.cluster.servers],
                       veto)

    def _note_blocked(self, job_id: int, task: Task, gpu_type: str) -> None:
        """Explaining: why no server of ``gpu_type`` took the job (``blocked[job]``)."""
        self.blocked[job_id] = self._blocked(task, gpu_type, job_id)

    @property
    def batches(self) -> bool:
        """True when :meth:`place_run` places a run in one go: the placement has the fast
        hook ``place_many`` and says ``independent_gpu_types`` (FGD).  Runs on different
        GPU types then touch disjoint servers and no shared random draw, so a caller may
        group a round's jobs by type; any other placement is placed in order."""
        return self.placer.batches

    def place_run(self, jobs: list, gpu_type: str, milli: int, round_index: int) -> list[tuple[int, ...] | None]:
        """:meth:`place` (without decision records) for jobs with identical demands, one
        after the other: their GPUs, None from the first that does not fit on."""
        if not self.batches:
            return [self.place(job, gpu_type, milli, round_index, False) for job in jobs]
        job = jobs[0]
        demand = self._ready(job, gpu_type, milli)
        if demand is None:
            return [None] * len(jobs)
        got = self.placer.place_many(self._task(job, milli, gpu_type), len(jobs), job.job_id)
        first = self.first_gpu
        if job.scale_factor == 1:   # (the common case without a list per placement)
            out: list[tuple[int, ...] | None] = [(first[node] + slots[0],) for node, slots in got]
        else:
            out = [tuple([first[node] + i for i in slots]) for node, slots in got]
        if len(got) < len(jobs):
            self._add_failed(gpu_type, demand)
            out.extend([None] * (len(jobs) - len(got)))
        return out


def _record(job_id: int, round_index: int, gpu_type: str, d: Decision, gpus: tuple[int, ...],
            first_gpu: list[int], rejected: tuple[tuple[str, int], ...] = (), limit: int = 200) -> PlacementRecord:
    """The record: candidates by score, highest first, the winner first of all (a tie
    is decided by the run's node order, so it need not be the first of equal scores)."""
    cands: list[tuple[int, int, int, float | None]] = []
    extra_cols: tuple[str, ...] = tuple(d.extra) if d.extra else ()
    extra: list[tuple[float, ...]] = []
    if d.cand_nodes is not None:
        order = np.argsort(-np.asarray(d.cand_scores), kind="stable")
        win = np.flatnonzero(np.asarray(d.cand_nodes)[order] == d.node)
        if win.size:
            order = np.concatenate([order[win[:1]], np.delete(order, win[0])])
        order = order[:limit]
        extra = [tuple(d.extra[c][i].item() for c in extra_cols) for i in order] if extra_cols else []
        for i in order:
            n = int(d.cand_nodes[i])
            g = int(d.cand_gpus[i]) if d.cand_gpus is not None else -1
            delta = float(d.cand_deltas[i]) if d.cand_deltas is not None else None
            cands.append((n, int(first_gpu[n] + g) if g >= 0 else -1, d.cand_scores[i].item(), delta))
    score = None if d.score is None else float(d.score)
    return PlacementRecord(job_id, round_index, gpu_type, d.node, gpus, d.rule, d.placement, tuple(cands),
                           extra_cols, tuple(extra), score, len(d.cand_nodes) if d.cand_nodes is not None else 0,
                           rejected)
