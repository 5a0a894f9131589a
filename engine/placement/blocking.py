"""Why no node can take a task: the nodes counted by the first check each fails, and the
nearest node with what it lacks (debugger.md §3, step 4 — Kubernetes' "0/5 nodes are
available: 3 Insufficient cpu, …" is the model).

Computed only when a decision is explained (``fragscope why``, the app's inspector), from
the occupancy at the moment the placement failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..model.units import MILLI
from .cluster_state import ClusterState
from .fragmentation import Task

# The checks in the order a node is charged to the first it fails (a public vocabulary:
# ``fragscope why --json`` keys).  Then the placement's own veto (its ``filter``): such a
# node's check is ``filter: <the plug-in's reason>``.
CHECKS = ("gpu_model", "gpu_total", "gpu_whole", "gpu_milli", "cpu", "memory")
FILTER = "filter: "
CHECK_WORDS = {
    "gpu_model": "GPU model not allowed",
    "gpu_total": "too few GPUs in total",
    "gpu_whole": "too few free whole GPUs",
    "gpu_milli": "too little free milli-GPU on any GPU",
    "cpu": "too little free CPU",
    "memory": "too little free memory",
}


@dataclass(frozen=True)
class Blocked:
    """The nodes that could not take a task: how many failed each check first
    (``counts``, in :data:`CHECKS` order, zeros left out), out of ``nodes``; and the
    nearest node (smallest shortfall: fewest missing GPUs, then milli-GPU, then CPU,
    then memory) with what it lacks, ``nearest_text`` in words."""

    nodes: int
    counts: tuple[tuple[str, int], ...]
    nearest: int              # node (server) index, -1 when there is none
    nearest_text: str
    shortfall: tuple[int, int, int, int]   # (GPUs, milli-GPU, milli-CPU, MiB) the nearest lacks

    def __deepcopy__(self, memo: dict) -> "Blocked":
        return self   # immutable

    def summary(self) -> str:
        """'0/12 nodes fit: 8 too few free whole GPUs, 4 too little free CPU'."""
        parts = ", ".join(f"{n} {check_words(k)}" for k, n in self.counts)
        return f"0/{self.nodes} nodes fit" + (f": {parts}" if parts else "")


def check_words(check: str) -> str:
    """A check's words: fragscope's own (:data:`CHECK_WORDS`), or a placement's veto reason."""
    if check.startswith(FILTER):
        return f"vetoed by the placement ({check[len(FILTER):]})"
    return CHECK_WORDS.get(check, check.replace("_", " "))


def blocked(st: ClusterState, model_ok: np.ndarray, task: Task, memory_filter: bool,
            nodes: np.ndarray, node_names: list[str] | None = None,
            veto: Callable[[np.ndarray], tuple[np.ndarray, tuple[str, ...]]] | None = None) -> Blocked:
    """The breakdown for ``task`` over ``nodes`` (indices into ``st``); ``model_ok`` is
    the model filter over all nodes (True where the task's GPU model is allowed);
    ``veto(nodes)`` is the placement's filter over the nodes that pass every check
    (a mask, True = may place, and a reason per node)."""
    t = task.type
    need_gpus = 0 if t.shape == "cpu" else t.num_gpu
    mem = task.memory_mib if memory_filter else 0
    free = st.free_gpu[nodes]
    full = st.n_full_free[nodes]
    top = st.max_free[nodes]
    checks = {
        "gpu_model": ~model_ok[nodes] if t.shape != "cpu" else np.zeros(nodes.size, bool),
        "gpu_total": st.gpu_count[nodes] < need_gpus,
        "gpu_whole": (full < need_gpus) if t.shape == "whole" else np.zeros(nodes.size, bool),
        "gpu_milli": (top < t.gpu_milli) if t.shape == "fractional" else np.zeros(nodes.size, bool),
        "cpu": st.free_cpu[nodes] < t.cpu_milli,
        "memory": st.free_mem[nodes] < mem,
    }
    charged = np.zeros(nodes.size, bool)
    counts = []
    for name in CHECKS:
        first = checks[name] & ~charged
        charged |= first
        if first.any():
            counts.append((name, int(first.sum())))
    vetoed = np.zeros(nodes.size, bool)
    if veto is not None and (~charged).any():
        rows = np.flatnonzero(~charged)
        mask, reasons = veto(nodes[rows])
        tally: dict[str, int] = {}
        for i in np.flatnonzero(~mask).tolist():
            vetoed[rows[i]] = True
            tally[reasons[i]] = tally.get(reasons[i], 0) + 1
        counts += [(FILTER + r, n) for r, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]
    # shortfalls per node, lexicographic (GPUs, milli, CPU, memory)
    if t.shape == "whole":
        miss_gpus = np.maximum(need_gpus - full, 0)
        best = -np.sort(-free, axis=1)[:, :need_gpus].sum(axis=1) if need_gpus else np.zeros(nodes.size, np.int64)
        miss_milli = np.maximum(need_gpus * MILLI - best, 0)
    elif t.shape == "fractional":
        miss_gpus = (top < t.gpu_milli).astype(np.int64)
        miss_milli = np.maximum(t.gpu_milli - top, 0)
    else:
        miss_gpus = miss_milli = np.zeros(nodes.size, np.int64)
    miss_cpu = np.maximum(t.cpu_milli - st.free_cpu[nodes], 0)
    miss_mem = np.maximum(mem - st.free_mem[nodes], 0)
    eligible = ~checks["gpu_model"] & ~checks["gpu_total"] & ~vetoed
    if not eligible.any():
        text = ("every node that could take it is vetoed by the placement" if vetoed.any() else
                "no node has this GPU model with enough GPUs")
        return Blocked(int(nodes.size), tuple(counts), -1, text, (need_gpus, 0, 0, 0))
    rows = np.flatnonzero(eligible)
    order = np.lexsort((miss_mem[rows], miss_cpu[rows], miss_milli[rows], miss_gpus[rows]))
    i = int(rows[order[0]])
    node = int(nodes[i])
    name = node_names[node] if node_names else f"server {node}"
    lacks = []
    if t.shape == "whole" and miss_gpus[i]:
        lacks.append(f"{int(full[i])} free whole GPU{'s' if full[i] != 1 else ''}, needs {need_gpus}")
    elif t.shape == "fractional" and miss_gpus[i]:
        lacks.append(f"its freest GPU has {int(top[i])} milli free, needs {t.gpu_milli}")
    if miss_cpu[i]:
        lacks.append(f"{int(st.free_cpu[node])} milli-CPU free, needs {t.cpu_milli}")
    if miss_mem[i]:
        lacks.append(f"{int(st.free_mem[node])} MiB free, needs {mem}")
    text = f"{name}: " + ("; ".join(lacks) if lacks else "fits now (the occupancy changed later in the round)")
    return Blocked(int(nodes.size), tuple(counts), node, text,
                   (int(miss_gpus[i]), int(miss_milli[i]), int(miss_cpu[i]), int(miss_mem[i])))


__all__ = ["Blocked", "CHECKS", "CHECK_WORDS", "FILTER", "blocked", "check_words"]
