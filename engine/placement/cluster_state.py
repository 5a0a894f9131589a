"""The cluster's free resources per node, with F_n(M) kept up to date incrementally.

:class:`ClusterState` is what every placement reads and writes: free milli-GPU per
device, free CPU and memory per node, and each node's fragmentation numerator under the
target workload M (:mod:`.fragmentation`), refreshed only for nodes that changed.
Each node also carries a content ``version`` (a hash of what scores depend on), so
scorers cache per node and re-score only what changed.  :class:`ClusterMetrics` is the
reported view (``fgd.md`` §1.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import mul
from typing import Sequence

import numpy as np

from ..model.alibaba import NodeList
from .fragmentation import FragModel, TargetWorkload, Task, TaskType
from ..model.units import MILLI


@dataclass(frozen=True)
class ClusterMetrics:
    """The reported metrics (``fgd.md`` §1.3), all derived from integer state."""

    frag_milli: float              # F = Σ_n F_n(M), milli-GPU
    idle_gpu_milli: int            # Σ_n U_n
    allocated_gpu_milli: int
    capacity_gpu_milli: int
    occupied_nodes: int
    partial_gpus: int              # GPUs with 0 < free < 1000

    @property
    def frag_rate_pct(self) -> float:
        return 100.0 * self.frag_milli / self.idle_gpu_milli if self.idle_gpu_milli else 0.0

    @property
    def frag_over_total_pct(self) -> float:
        return 100.0 * self.frag_milli / self.capacity_gpu_milli if self.capacity_gpu_milli else 0.0

    @property
    def unalloc_gpu_pct(self) -> float:
        if not self.capacity_gpu_milli:
            return 0.0
        return 100.0 - 100.0 * self.allocated_gpu_milli / self.capacity_gpu_milli


_HASH_RNG = np.random.default_rng(0x5EED)
_HASH_K = _HASH_RNG.integers(1, 2**63, size=66, dtype=np.uint64) | np.uint64(1)
_HASH_K_LIST = [int(k) for k in _HASH_K]
_MASK64 = (1 << 64) - 1


def content_version(free_gpu: np.ndarray, free_cpu: np.ndarray, free_mem: np.ndarray) -> np.ndarray:
    """A 64-bit hash of what a node's F, placement scores and hard filters depend
    on (free GPU vector, free CPU, free memory): scorers cache per node under this
    key, so a node that returns to an earlier state (round mode re-binds jobs every
    round) hits the cache.  A random-multiplier linear hash mod 2^64, forced odd so
    it is never 0 (caches use 0 for "never scored"): two distinct states collide
    with probability ~2^-63."""
    rows = np.atleast_2d(free_gpu).astype(np.uint64)
    k = _HASH_K[:rows.shape[1]]
    with np.errstate(over="ignore"):
        return ((rows * k).sum(axis=1, dtype=np.uint64)
                + np.asarray(free_cpu).astype(np.uint64) * _HASH_K[64]
                + np.asarray(free_mem).astype(np.uint64) * _HASH_K[65]) | np.uint64(1)


def content_version_one(free_gpu: list[int], free_cpu: int, free_mem: int) -> int:
    """:func:`content_version` of one node from Python ints (same value)."""
    h = free_cpu * _HASH_K_LIST[64] + free_mem * _HASH_K_LIST[65] + sum(map(mul, free_gpu, _HASH_K_LIST))
    return (h & _MASK64) | 1


@dataclass(eq=False)
class ClusterState:
    """Free resources of every node plus incrementally maintained F_n(M).

    Arrays are indexed by node (file order).  ``free_gpu`` is (nodes × slots) with
    missing devices padded as 0 free — harmless for F (0 ≥ g never holds for g > 0,
    and 0 adds nothing to U).  ``version[n]`` increments whenever node n changes, so
    scorers can cache per-node results and re-score only changed nodes (it is a
    content hash, see :func:`content_version`).
    """

    nodes: NodeList
    workload: TargetWorkload
    frag: FragModel = field(init=False)

    def __post_init__(self) -> None:
        nodes = self.nodes
        n = len(nodes)
        self.n_nodes = n
        self.slots = max(1, int(nodes.gpu_count.max()) if n else 1)
        self.model_names = sorted(set(nodes.model))
        self.model_id = np.array([self.model_names.index(m) for m in nodes.model], np.int64)
        self.frag = FragModel(self.workload, self.model_names, self.slots)
        self.gpu_count = nodes.gpu_count.astype(np.int64).copy()
        self.cap_cpu = nodes.cpu_milli.astype(np.int64).copy()
        self.cap_mem = nodes.memory_mib.astype(np.int64).copy()
        self.free_cpu = self.cap_cpu.copy()
        self.free_mem = self.cap_mem.copy()
        self.free_gpu = np.where(np.arange(self.slots)[None, :] < self.gpu_count[:, None], MILLI, 0).astype(np.int64)
        self.n_full_free = self.gpu_count.copy()
        self.max_free = np.where(self.gpu_count > 0, MILLI, 0).astype(np.int64)
        self.idle = self.free_gpu.sum(axis=1)
        self.partial = np.zeros(n, np.int64)
        self.touched = np.zeros(n, bool)
        self.version = (content_version(self.free_gpu, self.free_cpu, self.free_mem) if n
                        else np.zeros(0, np.uint64))
        # Python mirrors of the fixed per-node facts, for the scalar fast paths
        self.gpu_count_list = self.gpu_count.tolist()
        self.model_id_list = self.model_id.tolist()
        self.cap_cpu_list = self.cap_cpu.tolist()
        self.classes = np.zeros((n, self.slots + 1), np.int64)   # col 0 share-gpu, col k k-gpu
        self.n_classes = np.zeros(n, np.int64)
        self.frag_int = self.frag.frag_int(self.free_gpu, self.free_cpu, self.model_id) if n else np.zeros(0, np.int64)
        self.capacity_gpu_milli = MILLI * int(self.gpu_count.sum())
        self.frag_sum = int(self.frag_int.sum())
        self.idle_sum = int(self.idle.sum())
        self.partial_sum = 0
        self.occupied = 0
        self._dirty: set[int] = set()
        # Nodes changed since this list was created, in order (with repeats).  Scorers
        # remember (list, position) to find the few nodes changed since their last
        # look without comparing every version; a new list (round reset) means "all".
        self.change_log: list[int] = []

    # ---------------------------------------------------------------- queries
    def node_frag_milli(self, node: int) -> float:
        return self.frag_int[node] / self.frag.denominator

    def metrics(self) -> ClusterMetrics:
        return ClusterMetrics(self.frag_sum / self.frag.denominator, self.idle_sum,
                              self.capacity_gpu_milli - self.idle_sum, self.capacity_gpu_milli,
                              self.occupied, self.partial_sum)

    # ---------------------------------------------------------------- mutation
    def allocate(self, node: int, task: Task, gpus: Sequence[int], check: bool | None = None) -> None:
        """Bind ``task`` to ``node`` on devices ``gpus``; re-score only this node's F.

        ``check`` (a placement's answer, not the framework's own choice): also refuse GPU
        indices off the node or repeated, and a node without the task's CPU — or memory,
        when ``check`` is True — with a ValueError, before anything changes.

        Scalar Python on one node's ≤ 8 slots: numpy's per-call overhead would cost
        ten times more here, and this runs once per placement."""
        t = task.type
        if len(gpus) != (t.num_gpu if t.shape != "cpu" else 0):
            raise ValueError(f"task needs {t.num_gpu} GPU ids, got {list(gpus)}")
        row = self.free_gpu[node]
        vals = row.tolist()
        gm = t.gpu_milli
        cpu = int(self.free_cpu[node])
        mem = int(self.free_mem[node])
        if check is None:
            for i in gpus:
                if vals[i] < gm:
                    raise ValueError(f"GPU {i} of node {node} has {vals[i]} milli free < {gm}")
        else:
            g = self.gpu_count_list[node]
            for i in gpus:
                if not 0 <= i < g or vals[i] < gm:
                    raise ValueError(f"GPU {i} of node {node}: not one with {gm} milli free")
            if len(gpus) > 1 and len(set(gpus)) != len(gpus):
                raise ValueError(f"GPUs {list(gpus)} repeat one")
            if cpu < t.cpu_milli or (check and mem < task.memory_mib):
                raise ValueError(f"node {node} lacks the task's CPU or memory")
        for i in gpus:
            vals[i] -= gm
            row[i] = vals[i]
        # (numpy scalar reads and writes cost ~0.1 µs each: those that change nothing
        # — a task without CPU or memory, an unchanged count — are skipped)
        if t.cpu_milli:
            cpu -= t.cpu_milli
            self.free_cpu[node] = cpu
        if task.memory_mib:
            mem -= task.memory_mib
            self.free_mem[node] = mem
        g = self.gpu_count_list[node]
        real = vals[:g] if g < len(vals) else vals
        n_full = real.count(MILLI)
        self.n_full_free[node] = n_full
        self.max_free[node] = max(real) if g else 0
        new_idle = sum(real)
        self.idle_sum += new_idle - int(self.idle[node])
        self.idle[node] = new_idle
        new_partial = g - n_full - real.count(0)
        old_partial = int(self.partial[node])
        if new_partial != old_partial:
            self.partial_sum += new_partial - old_partial
            self.partial[node] = new_partial
        f = self.frag.frag_one(vals, cpu, self.model_id_list[node])
        self.frag_sum += f - int(self.frag_int[node])
        self.frag_int[node] = f
        self._add_classes(node, t, 1)
        if not self.touched[node] and (cpu < self.cap_cpu_list[node] or n_full < g):
            self.touched[node] = True
            self.occupied += 1
        self.version[node] = content_version_one(vals, cpu, mem)
        self.change_log.append(node)

    # ---------------------------------------------------------------- batched mutation
    def allocate_deferred(self, node: int, task: Task, slots: Sequence[int]) -> None:
        """Bind like :meth:`allocate` but defer the derived per-node fields (F, idle,
        counts) to :meth:`refresh`: round mode re-binds hundreds of continuing jobs
        per round, and one vectorised refresh of the changed nodes is far cheaper."""
        t = task.type
        row = self.free_gpu[node]
        for i in slots:
            row[i] -= t.gpu_milli
        self._charge_deferred(node, task, 1)

    def allocate_run(self, node: int, task: Task, count: int, free_gpu_after: Sequence[int]) -> None:
        """Bind ``count`` copies of ``task`` on ``node`` at once, the node's free GPU
        values after them given (the caller chose the GPUs); derived fields deferred
        to :meth:`refresh` as in :meth:`allocate_deferred`."""
        self.free_gpu[node] = free_gpu_after
        self._charge_deferred(node, task, count)

    def _charge_deferred(self, node: int, task: Task, count: int) -> None:
        """``count`` copies of ``task``'s CPU, memory and GPUClustering class on
        ``node``; the node's derived fields wait for :meth:`refresh`."""
        t = task.type
        self.free_cpu[node] -= t.cpu_milli * count
        self.free_mem[node] -= task.memory_mib * count
        self._add_classes(node, t, count)
        self._dirty.add(node)

    def _add_classes(self, node: int, t: TaskType, count: int) -> None:
        """GpuClustering's per-node count of tasks by class (share-GPU, k GPUs)."""
        if t.shape != "cpu":
            cls = 0 if t.shape == "fractional" else t.num_gpu
            classes = self.classes[node]
            if classes[cls] == 0:
                self.n_classes[node] += 1
            classes[cls] += count

    def refresh(self) -> None:
        """Bring the derived fields of every node changed by ``allocate_deferred`` up to date."""
        dirty = self._dirty
        if not dirty:
            return
        d = np.fromiter(dirty, np.int64, len(dirty))
        dirty.clear()
        rows = self.free_gpu[d]      # padding slots hold 0 free: no mask needed below
        g = self.gpu_count[d]
        full = np.count_nonzero(rows == MILLI, axis=1)
        self.n_full_free[d] = full
        self.max_free[d] = rows.max(axis=1)
        idle = rows.sum(axis=1)
        self.idle_sum += int(idle.sum() - self.idle[d].sum())
        self.idle[d] = idle
        partial = np.count_nonzero(rows, axis=1) - full
        self.partial_sum += int(partial.sum() - self.partial[d].sum())
        self.partial[d] = partial
        f = self.frag.frag_int(rows, self.free_cpu[d], self.model_id[d])
        self.frag_sum += int(f.sum() - self.frag_int[d].sum())
        self.frag_int[d] = f
        touched = (self.free_cpu[d] < self.cap_cpu[d]) | (full < g)
        self.occupied += int(touched.sum() - self.touched[d].sum())
        self.touched[d] = touched
        self.version[d] = content_version(rows, self.free_cpu[d], self.free_mem[d])
        self.change_log.extend(d.tolist())


def task_class(task: TaskType) -> int:
    """GpuClustering's class column: -1 CPU-only, 0 share-gpu, k for k whole GPUs."""
    if task.shape == "cpu":
        return -1
    return 0 if task.shape == "fractional" else task.num_gpu
