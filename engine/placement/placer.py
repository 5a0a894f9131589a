"""The placement framework: filter, score, break ties, pick GPUs — the same for every placement.

A placement (built-in or a user's plug-in, docs/plugins.md) only ranks nodes.  The
framework does the rest, exactly as the FGD simulator does (``fgd.md`` §2.2–§2.3):

* **filters** — GPU model, CPU, memory and GPU capacity (one GPU with ≥ g free for a
  fractional task, k fully free GPUs for a whole-GPU task); the placement sees only
  nodes that pass;
* **tie rule** — the highest score wins; ties go to the node that comes first in a
  per-run seeded random order (``tie_rank``), like the reference's "smallest random
  name prefix";
* **GPU pick** — the placement's ``pick_gpus`` if it has one, else the best-fit GPU
  (least free milli that fits) for a fractional task and the lowest-index fully free
  GPUs for a whole-GPU task.

Every call into a plug-in is checked: a score array of the wrong length, NaN or inf, a
GPU pick of a full or missing GPU, or an exception inside the plug-in is a
:class:`~fragscope.plugins.PluginError` naming it (exit 2), never a silent fix-up.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np

from ..core.cluster_state import ClusterState
from ..core.fragmentation import MILLI, Task, TaskType
from ..errors import InputError
from ..plugins import PluginError, PluginRef, failure
from .contract import ClusterView, TaskView
from .decision import Decision
from .fgd.delta import node_deltas
from .registry import REGISTRY

FGD_SCORINGS = {"integer": "integer", "score": "integer", "exact": "exact"}
_INT_KEY_LIMIT = 1 << 62


def node_tie_rank(n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """rank[n] = position of node n in a seeded random permutation (0 wins ties)."""
    rank = np.empty(n_nodes, np.int64)
    rank[rng.permutation(n_nodes)] = np.arange(n_nodes)
    return rank


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{float(x):.6g}"


class Placer:
    """One placement bound to one :class:`ClusterState` for a whole run.

    ``placement`` is a placement object, a :class:`PluginRef`, or a registered name
    (built with default parameters).  ``decide(task)`` never mutates the cluster;
    ``place(task)`` decides and allocates.
    """

    def __init__(self, state: ClusterState, placement: Any, tie_rank: np.ndarray,
                 rng: np.random.Generator | None = None, fgd_scoring: str = "integer",
                 memory_filter: bool = True, ref: PluginRef | None = None) -> None:
        self.state = state
        if isinstance(placement, str):
            ref = REGISTRY.resolve(placement, where="placement")
            placement = REGISTRY.create(ref)
        elif isinstance(placement, PluginRef):
            ref, placement = placement, REGISTRY.create(placement)
        self.ref = ref
        self.placement = placement
        self.name = REGISTRY.display_name(ref, placement) if ref is not None else \
            str(getattr(placement, "name", type(placement).__name__))
        if fgd_scoring not in FGD_SCORINGS:
            raise InputError("fgd.scoring", f"unknown FGD scoring {fgd_scoring!r}; allowed: integer, exact")
        self.fgd_scoring = FGD_SCORINGS[fgd_scoring]
        self.memory_filter = bool(memory_filter)
        n = state.n_nodes
        self.tie_rank = np.asarray(tie_rank, np.int64)
        if self.tie_rank.shape != (n,) or sorted(self.tie_rank.tolist()) != list(range(n)):
            raise InputError("tie_rank", f"must be a permutation rank of the {n} nodes")
        self.tie_bonus = n - self.tie_rank                  # larger = earlier in the order
        self.tie_bonus_list = self.tie_bonus.tolist()
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self._model_masks: dict[str, np.ndarray] = {}
        self.lower = np.tri(state.slots, k=-1, dtype=bool)  # [i, j] = j < i
        self._view: ClusterView | None = None
        self.rule = getattr(placement, "rule", None)
        # built-ins are trusted (their results are not re-checked) and may pick the winner
        # directly (``_choose``: Random's draw) when no decision record is asked for
        self._trusted = bool(getattr(placement, "_trusted", False))
        setup = getattr(placement, "setup", None)
        if callable(setup):
            self._call(setup, "setup", SimpleNamespace(rng=self.rng, n_nodes=n))
        self._bind()

    def _bind(self, fast: Any = None) -> None:
        """The placement's optional methods, looked up once (after a copy or a pickle
        too: bound methods belong to one instance); FGD's caches, forked or new."""
        obj = self.placement
        self._choose = getattr(obj, "_choose", None)
        self._pick = getattr(obj, "pick_gpus", None)
        self._explain = getattr(obj, "explain", None)
        if fast is None:
            make = getattr(obj, "_fast_path", None)
            fast = make(self) if callable(make) else None
        self.fast = fast

    def __deepcopy__(self, memo: dict) -> "Placer":
        # The tie order, model masks and FGD's pure memos are shared; the cluster view
        # is rebuilt on the copy's state; FGD's per-type caches start empty.
        new = object.__new__(Placer)
        memo[id(self)] = new
        for k, v in vars(self).items():
            if k in ("_view", "fast"):
                v = None
            elif k not in ("_model_masks", "lower", "tie_rank", "tie_bonus", "tie_bonus_list", "rule", "ref"):
                v = copy.deepcopy(v, memo)
            setattr(new, k, v)
        new._bind(self.fast.fork(new) if self.fast is not None else None)
        return new

    def __getstate__(self) -> dict:
        state = dict(vars(self))   # bound methods and the live view are rebuilt on arrival
        state["_view"], state["fast"], state["_pick"], state["_explain"], state["_choose"] = (None,) * 5
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind()

    # ------------------------------------------------------------------ plug-in calls
    def _ref(self) -> PluginRef:
        return self.ref if self.ref is not None else REGISTRY.ref_for(self.placement)

    def _call(self, fn: Any, what: str, *args: Any) -> Any:
        try:
            return fn(*args)
        except PluginError:
            raise
        except Exception as exc:  # noqa: BLE001 - the plug-in's failure is bad input, shown with its lines
            raise failure(self._ref(), f"{what}() raised", exc) from None

    @property
    def cluster(self) -> ClusterView:
        """The read-only view plug-ins receive (views of the live arrays, built once)."""
        if self._view is None:
            view = ClusterView(self.state, self._frag_delta)
            view._state = self.state                       # built-ins' private fast paths
            view._default_fgd_scoring = self.fgd_scoring
            view._fgd_gpus = self._fgd_gpus
            self._view = view
        return self._view

    def _frag_delta(self, task: TaskView, nodes: np.ndarray) -> np.ndarray:
        t = _type_of(task)
        if nodes.size == 0:
            return np.zeros(0)
        _, _, _, dnum = node_deltas(self.state, t, nodes, True, self.lower)
        return dnum / self.state.frag.denominator

    def _fgd_gpus(self, task: TaskView, node: int, score_mode: bool) -> tuple[int, ...]:
        t = _type_of(task)
        if t.shape != "fractional":
            return self.default_gpus(node, t)
        _, gpu, _, _ = node_deltas(self.state, t, np.array([node], np.int64), score_mode, self.lower)
        return (int(gpu[0]),)

    # ------------------------------------------------------------------ filters
    def model_mask(self, models: str) -> np.ndarray:
        m = self._model_masks.get(models)
        if m is None:
            tt = TaskType(0, 1, 1, models)
            ok = np.array([tt.allows(name) for name in self.state.model_names], bool)
            m = self._model_masks[models] = ok[self.state.model_id]
        return m

    def feasible(self, task: Task, nodes: np.ndarray | None = None, memory: bool = True) -> np.ndarray:
        """Boolean mask of nodes (all, or ``nodes``) passing every hard filter of §2.3
        (the memory filter only when ``memory`` is true too)."""
        st, t = self.state, task.type
        sel = slice(None) if nodes is None else nodes
        ok = st.free_cpu[sel] >= t.cpu_milli
        if self.memory_filter and memory:
            ok &= st.free_mem[sel] >= task.memory_mib
        shape = t.shape
        if shape != "cpu":
            if t.models:
                ok &= self.model_mask(t.models)[sel]
            if shape == "fractional":
                ok &= st.max_free[sel] >= t.gpu_milli
            else:
                ok &= st.n_full_free[sel] >= t.num_gpu
        return ok

    # ------------------------------------------------------------------ GPU choice
    def default_gpus(self, node: int, t: TaskType) -> tuple[int, ...]:
        """No ``pick_gpus``: best-fit GPU for a fractional task, the k lowest-index fully
        free GPUs for a whole-GPU task, none for a CPU-only task."""
        shape = t.shape
        if shape == "cpu":
            return ()
        row = self.state.free_gpu[node]
        if shape == "whole":
            return tuple([i for i, v in enumerate(row.tolist()) if v == MILLI][:t.num_gpu])
        return (int(np.where(row >= t.gpu_milli, row, MILLI + 1).argmin()),)

    def _gpus(self, task: Task, view: TaskView | None, node: int) -> tuple[int, ...]:
        if self._pick is None:
            return self.default_gpus(node, task.type)
        if self._trusted:
            return self._pick(view, self.cluster, node)
        got = self._call(self._pick, "pick_gpus", view, self.cluster, node)
        return _checked_gpus(self, task, node, got)

    # ------------------------------------------------------------------ decide
    def decide(self, task: Task, explain: bool = True, job_id: int = -1) -> Decision:
        """Score every feasible node for ``task`` and pick the winner (no mutation)."""
        if self.fast is not None:
            return self.fast.decide(task, explain, self.name)
        idx = np.flatnonzero(self.feasible(task))
        if idx.size == 0:
            return Decision(self.name, task, -1, (), "no feasible node: task fails", n_feasible=0)
        view = TaskView.of(task, job_id)
        if self._choose is not None and not explain:   # a built-in's draw, no scores needed
            node = int(idx[self._choose(idx)])
            return Decision(self.name, task, node, self._gpus(task, view, node), "", n_feasible=int(idx.size))
        if self._trusted:
            scores = self.placement.score(view, self.cluster, idx)
        else:
            scores = _checked_scores(self, self._call(self.placement.score, "score", view, self.cluster, idx),
                                     idx.size)
        bonus = self.tie_bonus[idx]                       # larger = earlier in the run's node order
        width = self.state.n_nodes + 1
        if scores.dtype.kind == "i" and (self._trusted or int(np.abs(scores).max()) < _INT_KEY_LIMIT // width):
            # integer scores: one argmax over (score, tie order) packed into one key
            keys = (scores if scores.dtype == np.int64 else scores.astype(np.int64)) * width + bonus
            w = int(keys.argmax())
            best = scores[w]
            n_tied = int((scores == best).sum()) if explain else 0
        else:
            best = scores.max()
            tied = np.flatnonzero(scores == best)
            w = int(tied[bonus[tied].argmax()]) if tied.size > 1 else int(tied[0])
            n_tied = int(tied.size)
        node = int(idx[w])
        rule = ""
        if explain:
            rule = self.rule or f"highest {self.name} score {_fmt(best)}"
            if n_tied > 1:
                rule += f"; {n_tied} nodes tied, the earliest in the run's node order wins"
        d = Decision(self.name, task, node, self._gpus(task, view, node), rule, score=best.item(),
                     n_feasible=int(idx.size))
        if explain:
            d.cand_nodes, d.cand_scores = idx, scores
            t = task.type
            if self._pick is None and t.shape == "fractional":
                rows = self.state.free_gpu[idx]
                d.cand_gpus = np.where(rows >= t.gpu_milli, rows, MILLI + 1).argmin(axis=1)
            else:
                d.cand_gpus = np.full(idx.size, -1, np.int64)
            if self._explain is not None:
                d.extra = _checked_columns(self, self._call(self._explain, "explain", view, self.cluster,
                                                            idx, scores), idx.size)
        return d

    def place(self, task: Task, explain: bool = False, job_id: int = -1) -> Decision:
        """Decide, then bind the task in the cluster state (if some node was feasible)."""
        d = self.decide(task, explain, job_id)
        if d.node >= 0:
            self.state.allocate(d.node, task, d.gpus)
        return d

    def place_fast(self, task: Task, job_id: int = -1) -> tuple[int, tuple[int, ...]]:
        """:meth:`place` without a decision record (round mode re-places ~900 jobs a
        round at Alibaba scale): (node, GPU slots), node -1 when none is feasible."""
        if self.fast is not None:
            return self.fast.place(task)
        d = self.place(task, False, job_id)
        return d.node, d.gpus


def _type_of(task: TaskView) -> TaskType:
    models = "|".join(task.allowed_models) if task.allowed_models else ""
    return TaskType(task.cpu_milli, task.gpu_milli, task.num_gpus, models)


def _checked_scores(p: Placer, scores: Any, n: int) -> np.ndarray:
    if type(scores) is np.ndarray:
        arr = scores
    else:
        try:
            arr = np.asarray(scores)
        except Exception:  # noqa: BLE001
            arr = np.asarray(None)
    kind = arr.dtype.kind
    if arr.shape != (n,) or kind not in "iufb":
        what = f"shape {arr.shape}, dtype {arr.dtype}" if kind != "O" else repr(scores)[:80]
        raise failure(p._ref(), f"score() must return one number per candidate node ({n}), got {what}")
    if kind == "b":
        arr = arr.astype(np.int64)
    if kind == "f" and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise failure(p._ref(), f"score() returned {arr[bad]} for candidate {bad}: scores must be finite")
    return arr


def _checked_gpus(p: Placer, task: Task, node: int, got: Any) -> tuple[int, ...]:
    t = task.type
    want = 0 if t.shape == "cpu" else t.num_gpu
    try:
        gpus = tuple(int(g) for g in got)
    except Exception:  # noqa: BLE001
        raise failure(p._ref(), f"pick_gpus() must return a sequence of GPU indices, got {got!r}") from None
    count = int(p.state.gpu_count[node])
    row = p.state.free_gpu[node].tolist()
    need = min(t.gpu_milli, MILLI)
    if len(gpus) != want or len(set(gpus)) != len(gpus):
        raise failure(p._ref(), f"pick_gpus() returned {list(gpus)} for node {node}: the task needs "
                                f"{want} distinct GPU(s)")
    for g in gpus:
        if not 0 <= g < count:
            raise failure(p._ref(), f"pick_gpus() returned GPU {g} on node {node}, which has GPUs 0..{count - 1}")
        if row[g] < need:
            raise failure(p._ref(), f"pick_gpus() returned GPU {g} on node {node} with {int(row[g])} free "
                                    f"milli-GPU; the task needs {need}")
    return gpus


def _checked_columns(p: Placer, cols: Any, n: int) -> dict[str, np.ndarray]:
    if not isinstance(cols, dict):
        raise failure(p._ref(), f"explain() must return a dict of column name -> array, got {type(cols).__name__}")
    out = {}
    for k, v in cols.items():
        arr = np.asarray(v)
        if arr.shape != (n,):
            raise failure(p._ref(), f"explain() column {k!r} has shape {arr.shape}, expected ({n},)")
        out[str(k)] = arr
    return out


def place_once(state: ClusterState, placement: Any, task: Task, tie_rank: Sequence[int] | None = None,
               rng: np.random.Generator | None = None, fgd_scoring: str = "integer",
               memory_filter: bool = True) -> Decision:
    """Decide one task on ``state`` without keeping a placer around (UI / tests)."""
    rank = np.arange(state.n_nodes) if tie_rank is None else np.asarray(tie_rank)
    return Placer(state, placement, rank, rng, fgd_scoring, memory_filter).decide(task, explain=True)
