"""FGD's fragmentation measure: task types, the target workload M and F_n(M).

The per-node state F is evaluated on lives in :mod:`.cluster_state`.

Definitions follow ``fgd.md`` §1–§2.4 exactly.  Two implementations of F live here on
purpose:

* :func:`task_frag` / :func:`node_frag` — the §1.2 table written out literally, one
  node and one task type at a time.  Slow, obvious, used by tests and the UI.
* :class:`FragModel` — the same function compiled into lookup tables and evaluated
  with numpy over many node shapes at once.  The fill-up experiment evaluates ~10⁶
  shapes per run, so this is where the time goes (``fgd.md`` §8).

Weights are *integers* (task counts): ``F_n(M) = Σ_m w_m·F_n(m) / D``.  We carry the
integer numerator ``Σ_m w_m·F_n(m)`` everywhere and divide only for display, so two
placements with the same fragmentation compare exactly equal — float noise in Δ turns
FGD into a worse BestFit (``fgd.md`` §7).

The compiled form rests on one rewrite of the §1.2 table: a GPU task type m either
*fits* (model allowed, C ≥ c_m, #{r_i ≥ g_m} ≥ k_m) and leaves Σ_{r_i<g_m} r_i as
fragment, or does not and leaves all of U.  Hence
``Σ_m w_m F_n(m) = W·U − Σ_{m fits} w_m · S(g_m)`` with ``S(g) = Σ_{r_i ≥ g} r_i``.
Types share few distinct g values, so per shape we need #{r ≥ g} and S(g) for each
distinct g, plus a table lookup of the weight of the fitting types.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np

from ..model.alibaba import PodList
from ..model.errors import InputError
from ..model.units import MILLI

_MEMO_LIMIT = 1 << 21   # FragModel's per-shape memo is cleared past this many entries

# §1.2 class names, as in the reference code's logs.
XL_SATISFIED = "xl_satisfied"
XR_LACK_CPU = "xr_lack_cpu"
NO_ACCESS = "no_access"
Q1_LACK_BOTH = "q1_lack_both"
Q2_LACK_GPU = "q2_lack_gpu"
Q3_SATISFIED = "q3_satisfied"
Q4_LACK_CPU = "q4_lack_cpu"


# --------------------------------------------------------------------------- task types

@dataclass(frozen=True, order=True)
class TaskType:
    """A task's resource shape: the exact type key of M (``fgd.md`` §2.4).

    ``gpu_milli`` is per GPU; ``models`` is the normalised ``|``-list ("" = any).
    """

    cpu_milli: int
    gpu_milli: int
    num_gpu: int
    models: str = ""
    # "cpu" (k=0), "fractional" (k=1, g<1000) or "whole" (g=1000).  Derived, stored
    # once: placement reads it several times per decision.
    shape: str = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.num_gpu == 0 or self.gpu_milli == 0:
            shape = "cpu"
        else:
            shape = "whole" if self.gpu_milli >= MILLI else "fractional"
        object.__setattr__(self, "shape", shape)
        # the value the generated __hash__ would compute, computed once (every FGD
        # decision looks its type up in a dict)
        object.__setattr__(self, "_hash", hash((self.cpu_milli, self.gpu_milli, self.num_gpu, self.models)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        # rebuilt through __init__: string hashes differ between processes
        return TaskType, (self.cpu_milli, self.gpu_milli, self.num_gpu, self.models)

    @property
    def model_set(self) -> frozenset[str]:
        return frozenset(m for m in self.models.split("|") if m)

    def allows(self, node_model: str) -> bool:
        """GPU-model constraint (exact name match; "" = any)."""
        ms = self.model_set
        return not ms or (bool(node_model) and node_model in ms)

    @property
    def total_gpu_milli(self) -> int:
        return self.num_gpu * self.gpu_milli

    def label(self) -> str:
        cores = f"{self.cpu_milli / 1000:g}c"
        if self.shape == "cpu":
            body = f"{cores} CPU-only"
        elif self.shape == "fractional":
            body = f"{cores} 1x{self.gpu_milli}m"
        else:
            body = f"{cores} {self.num_gpu}xGPU"
        return body + (f" [{self.models}]" if self.models else "")


@dataclass(frozen=True)
class Task:
    """One arriving task: its type plus memory (a filter only, never part of F or M)."""

    type: TaskType
    memory_mib: int = 0
    name: str = ""

    @property
    def cpu_milli(self) -> int:
        return self.type.cpu_milli

    @property
    def gpu_milli(self) -> int:
        return self.type.gpu_milli

    @property
    def num_gpu(self) -> int:
        return self.type.num_gpu

    @property
    def models(self) -> str:
        return self.type.models


def tasks_from_pods(pods: PodList) -> list[Task]:
    """One :class:`Task` per pod, sharing TaskType objects between equal types."""
    cache: dict[tuple, TaskType] = {}
    out = []
    for i in range(len(pods)):
        key = (int(pods.cpu_milli[i]), int(pods.gpu_milli[i]), int(pods.num_gpu[i]), pods.gpu_spec[i])
        tt = cache.get(key)
        if tt is None:
            tt = cache[key] = TaskType(*key)
        out.append(Task(tt, int(pods.memory_mib[i]), pods.names[i]))
    return out


# --------------------------------------------------------------------------- §1.2 literally

def frag_class(task: TaskType, free_gpu: Sequence[int], free_cpu: int, node_model: str) -> str:
    """The §1.2 class of (node, task type), checked in the table's order."""
    if task.gpu_milli == 0 or task.num_gpu == 0:
        return XL_SATISFIED if free_cpu >= task.cpu_milli else XR_LACK_CPU
    if not task.allows(node_model):
        return NO_ACCESS
    gpu_ok = sum(1 for r in free_gpu if r >= task.gpu_milli) >= task.num_gpu
    cpu_ok = free_cpu >= task.cpu_milli
    if gpu_ok:
        return Q3_SATISFIED if cpu_ok else Q4_LACK_CPU
    return Q2_LACK_GPU if cpu_ok else Q1_LACK_BOTH


def task_frag(task: TaskType, free_gpu: Sequence[int], free_cpu: int, node_model: str) -> int:
    """F_n(m) in milli-GPU: the idle GPU on the node that task type m could not use."""
    if frag_class(task, free_gpu, free_cpu, node_model) == Q3_SATISFIED:
        return int(sum(r for r in free_gpu if r < task.gpu_milli))
    return int(sum(free_gpu))


# --------------------------------------------------------------------------- target workload M

@dataclass(frozen=True)
class TargetWorkload:
    """M: task types with integer weights; p_m = weights[m] / denominator.

    Built from a trace by :func:`build_target_workload` (then ``denominator`` is the
    kept weight, i.e. renormalised), or given explicitly — an explicit ``denominator``
    larger than Σ weights models an un-renormalised list such as the reference tests'.
    """

    types: tuple[TaskType, ...]
    weights: tuple[int, ...]
    denominator: int
    distinct_types: int = 0        # types before the popularity cut
    total_weight: int = 0          # weight of all tasks before the cut

    def __post_init__(self) -> None:
        if len(self.types) != len(self.weights):
            raise InputError("target workload", "types and weights differ in length")
        if not self.types:
            raise InputError("target workload", "M is empty; it needs at least one task type")
        if any(w < 0 for w in self.weights) or self.denominator <= 0:
            raise InputError("target workload", "weights must be >= 0 and the denominator > 0")

    @classmethod
    def explicit(cls, types: Iterable[TaskType], weights: Iterable[int],
                 denominator: int | None = None) -> "TargetWorkload":
        types, weights = tuple(types), tuple(int(w) for w in weights)
        den = int(sum(weights)) if denominator is None else int(denominator)
        return cls(types, weights, den, len(types), int(sum(weights)))

    @property
    def probabilities(self) -> np.ndarray:
        return np.asarray(self.weights, np.float64) / self.denominator

    @property
    def coverage(self) -> float:
        """Share of all (weighted) tasks that the kept types cover (0..1)."""
        return sum(self.weights) / self.total_weight if self.total_weight else 1.0

    def share(self, pred) -> float:
        return sum(w for t, w in zip(self.types, self.weights) if pred(t)) / self.denominator

    @property
    def cpu_only_share(self) -> float:
        return self.share(lambda t: t.shape == "cpu")

    @property
    def multi_gpu_share(self) -> float:
        return self.share(lambda t: t.num_gpu > 1)


def build_target_workload(types: Sequence[TaskType], *, threshold_pct: float = 95,
                          include_cpu_only: bool = True, gpu_res_weight: int | Fraction = 0,
                          increase_step: int = 1) -> TargetWorkload:
    """M from a list of task types, one entry per task (``fgd.md`` §2.4).

    Weight = 1 per task (``gpu_res_weight`` w > 0 makes whole-GPU tasks count 1 + k·w).
    Types are sorted by weight desc, ties by larger cpu, milli, count, model string;
    added ``increase_step`` at a time until the cumulative share reaches
    ``threshold_pct``; the kept weights are renormalised.  All arithmetic is exact.
    """
    try:
        thr = Fraction(str(threshold_pct)) if isinstance(threshold_pct, float) else Fraction(threshold_pct)
        w_gpu = Fraction(gpu_res_weight)
    except (TypeError, ValueError):
        raise InputError("target workload", "threshold_pct and gpu_res_weight must be numbers") from None
    if not 0 < thr <= 100:
        raise InputError("target workload", f"threshold_pct {threshold_pct} out of range; allowed: (0, 100]")
    if w_gpu < 0 or increase_step < 1:
        raise InputError("target workload", "gpu_res_weight must be >= 0 and increase_step >= 1")
    counts: Counter[TaskType] = Counter()
    for t in types:
        if t.shape == "cpu" and not include_cpu_only:
            continue
        counts[t] += 1 + (t.num_gpu * w_gpu if t.gpu_milli >= MILLI and w_gpu else 0)
    if not counts:
        raise InputError("target workload", "no task types to build M from"
                         + ("" if include_cpu_only else " (CPU-only tasks are excluded)"))
    scale = 1
    for v in counts.values():
        d = Fraction(v).denominator
        scale = scale * d // np.gcd(scale, d)
    weights = {t: int(Fraction(v) * scale) for t, v in counts.items()}
    order = sorted(weights, key=lambda t: (weights[t], t.cpu_milli, t.gpu_milli, t.num_gpu, t.models),
                   reverse=True)
    total = sum(weights.values())
    kept, cum, target = 0, 0, thr * total / 100
    while cum < target:
        stop = min(kept + increase_step, len(order))
        while kept < stop:
            cum += weights[order[kept]]
            kept += 1
    sel = order[:kept]
    return TargetWorkload(tuple(sel), tuple(weights[t] for t in sel), cum, len(order), total)


def target_workload_from_pods(pods: PodList, **kwargs) -> TargetWorkload:
    """M from a pod list (the *original* trace, before any resampling)."""
    types = [TaskType(int(pods.cpu_milli[i]), int(pods.gpu_milli[i]), int(pods.num_gpu[i]),
                      pods.gpu_spec[i]) for i in range(len(pods))]
    return build_target_workload(types, **kwargs)


def node_frag(workload: TargetWorkload, free_gpu: Sequence[int], free_cpu: int,
              node_model: str) -> float:
    """F_n(M) in milli-GPU, by the literal §1.3 sum (reference implementation)."""
    num = sum(w * task_frag(t, free_gpu, free_cpu, node_model)
              for t, w in zip(workload.types, workload.weights))
    return num / workload.denominator


# --------------------------------------------------------------------------- compiled F

class FragModel:
    """F_n(M) for many node shapes at once (see the module docstring for the algebra).

    ``frag_int`` returns the integer numerator ``D·F_n(M)``; divide by
    :attr:`denominator` for milli-GPU.
    """

    def __init__(self, workload: TargetWorkload, node_models: Sequence[str], slots: int) -> None:
        self.workload = workload
        self.denominator = int(workload.denominator)
        self.models = list(node_models)
        self.slots = int(slots)
        self.weight_sum = int(sum(workload.weights))
        gpu_types = [(t, w) for t, w in zip(workload.types, workload.weights)
                     if t.shape != "cpu" and w > 0]
        self.gvals = np.array(sorted({t.gpu_milli for t, _ in gpu_types}), np.int64)
        self.cthr = np.array(sorted({t.cpu_milli for t, _ in gpu_types}), np.int64)
        n_m, n_g, n_c = len(self.models), len(self.gvals), len(self.cthr)
        table = np.zeros((n_m, n_g, self.slots + 1, n_c + 1), np.int64)
        g_index = {int(g): i for i, g in enumerate(self.gvals)}
        c_index = {int(c): i for i, c in enumerate(self.cthr)}
        for t, w in gpu_types:
            if t.num_gpu > self.slots:
                continue                            # can never fit: always all of U
            for mi, name in enumerate(self.models):
                if t.allows(name):
                    table[mi, g_index[t.gpu_milli], t.num_gpu, c_index[t.cpu_milli] + 1] += w
        # fitting weight = Σ w over k_m ≤ cnt and rank(c_m) < pos: cumulative sums
        self.table = table.cumsum(axis=2).cumsum(axis=3)
        self._gidx = np.arange(n_g)
        self._flat_table = self.table.ravel()
        self._strides = tuple(x // self.table.itemsize for x in self.table.strides[:3])
        self._cthr_list = [int(c) for c in self.cthr]
        self._gvals_list = [int(g) for g in self.gvals]
        self._table_list = self.table.tolist()
        self._memo: dict[tuple, int] = {}

    def __deepcopy__(self, memo: dict) -> "FragModel":
        return self  # immutable but for the memo of a pure function: share it between forks

    def frag_one(self, free_gpu: list[int], free_cpu: int, model_id: int) -> int:
        """D·F_n(M) of one node shape (a Python list of free milli per slot), memoised.

        F depends on the free-GPU vector only as a multiset and on free CPU only
        through how many CPU thresholds it reaches, so the key is (model, that
        count, sorted vector): round mode revisits the same shapes all the time and
        a dict hit costs ~1 µs against ~40 µs for the numpy evaluation.
        """
        pos = bisect_right(self._cthr_list, free_cpu)
        sv = sorted(free_gpu)
        key = (model_id, pos, *sv)
        f = self._memo.get(key)
        if f is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            f = self._memo[key] = self._frag_sorted(sv, pos, model_id)
        return f

    def _frag_sorted(self, sv: list[int], pos: int, model_id: int) -> int:
        """:meth:`frag_int` of one shape given as an ascending list, in plain Python
        (same integer algebra): as g grows the GPUs with ≥ g free are a shrinking
        suffix of ``sv``, so each g costs a pointer move and one table look-up."""
        n = len(sv)
        suffix = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            suffix[i] = suffix[i + 1] + sv[i]
        tm = self._table_list[model_id]
        tot = 0
        i = 0
        for d, g in enumerate(self._gvals_list):
            while i < n and sv[i] < g:
                i += 1
            if i == n:
                break
            tot += suffix[i] * tm[d][n - i][pos]
        return self.weight_sum * suffix[0] - tot

    def model_index(self, name: str) -> int:
        return self.models.index(name)

    def frag_int(self, free_gpu: np.ndarray, free_cpu: np.ndarray, model_id: np.ndarray) -> np.ndarray:
        """D·F_n(M) (int64) for B shapes: free_gpu (B, slots), free_cpu (B,), model_id (B,)."""
        r = np.asarray(free_gpu, np.int64)
        u = r.sum(axis=1)
        d = len(self.gvals)
        if d == 0:
            return self.weight_sum * u
        # Per shape and per g in gvals: cnt = #GPUs with ≥ g free, s = their free sum.
        # Each free value falls in one bin between consecutive gvals (bin 0: below
        # them all, e.g. padding), so a (shape, bin) histogram — counts and sums —
        # summed from the top bin down gives both for every g in O(B·slots + B·D)
        # rather than a (B, slots, D) comparison.  Sums are ≤ 8 000: exact in float64.
        b = len(r)
        key = (np.searchsorted(self.gvals, r, side="right") + (np.arange(b) * (d + 1))[:, None]).ravel()
        counts = np.bincount(key, minlength=b * (d + 1)).reshape(b, d + 1)
        sums = np.bincount(key, weights=r.ravel(), minlength=b * (d + 1)).reshape(b, d + 1)
        cnt = np.cumsum(counts[:, :0:-1], axis=1)[:, ::-1]                   # (B, D)
        s = np.cumsum(sums[:, :0:-1], axis=1)[:, ::-1].astype(np.int64)     # (B, D)
        pos = np.searchsorted(self.cthr, free_cpu, side="right")
        # table[model, g, cnt, pos] through one flat index
        st0, st1, st2 = self._strides
        wfit = self._flat_table.take((np.asarray(model_id) * st0 + pos)[:, None] + self._gidx * st1 + cnt * st2)
        return self.weight_sum * u - (s * wfit).sum(axis=1)
