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

A built-in is *trusted*: its class itself says ``_trusted = True`` (a subclass does not
inherit it — a user's subclass of a built-in is a plug-in like any other and is checked).
A trusted placement's answers are not re-checked, it gets a :class:`TaskShape` cached per
task type instead of a :class:`TaskView` per decision, and its private shortcuts are used
(``_choose``: Random's draw; ``_fast_path``: FGD's caches).  Same rules, same results:
only the per-decision overhead differs, which the fill-up experiment's ~10⁴ decisions a
run make visible.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np

from .cluster_state import ClusterState
from .fragmentation import Task, TaskType
from ..model.units import MILLI
from ..model.errors import InputError
from ..plugins import PluginError, PluginRef, failure
from .contract import ClusterView, TaskShape, TaskView, checked_columns, checked_gpus, checked_scores
from .decision import Decision
from .fgd.delta import node_deltas
from .registry import REGISTRY

FGD_SCORINGS = {"integer": "integer", "score": "integer", "exact": "exact"}
_INT_KEY_LIMIT = 1 << 62
_INT64 = np.dtype(np.int64)
_SHAPES_LIMIT = 1 << 14     # task types whose TaskShape a placer keeps (a run has a few hundred)


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
        self._width = n + 1                                 # integer key = score * width + tie bonus
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self._model_masks: dict[str, np.ndarray] = {}
        self.lower = np.tri(state.slots, k=-1, dtype=bool)  # [i, j] = j < i
        self._view: ClusterView | None = None
        self._shapes: dict[TaskType, TaskShape] = {}
        self.rule = getattr(placement, "rule", None)
        # trust is declared by the placement's own class, never inherited (module docstring)
        self._trusted = vars(type(placement)).get("_trusted", False) is True
        setup = getattr(placement, "setup", None)
        if callable(setup):
            self._call(setup, "setup", SimpleNamespace(rng=self.rng, n_nodes=n))
        self._bind()

    def _bind(self, fast: Any = None) -> None:
        """The placement's methods, looked up once (after a copy or a pickle too: bound
        methods belong to one instance); FGD's caches, forked or new.  The private
        shortcuts only for a trusted placement."""
        obj = self.placement
        trusted = self._trusted
        self._score = obj.score
        self._choose = getattr(obj, "_choose", None) if trusted else None
        self._pick = getattr(obj, "pick_gpus", None)
        self._explain = getattr(obj, "explain", None)
        if fast is None and trusted:
            make = getattr(obj, "_fast_path", None)
            fast = make(self) if callable(make) else None
        self.fast = fast
        self._view = self._new_view()                     # on the current state (a copy's own)

    def __deepcopy__(self, memo: dict) -> "Placer":
        # The tie order, model masks and FGD's pure memos are shared; the cluster view
        # is rebuilt on the copy's state; FGD's per-type caches start empty.
        new = object.__new__(Placer)
        memo[id(self)] = new
        for k, v in vars(self).items():
            if k in ("_view", "fast"):
                v = None
            elif k not in ("_model_masks", "_shapes", "lower", "tie_rank", "tie_bonus", "tie_bonus_list", "rule",
                           "ref"):
                v = copy.deepcopy(v, memo)
            setattr(new, k, v)
        new._bind(self.fast.fork(new) if self.fast is not None else None)
        return new

    def __getstate__(self) -> dict:
        state = dict(vars(self))   # bound methods and the live view are rebuilt on arrival
        for k in ("_view", "fast", "_score", "_pick", "_explain", "_choose"):
            state[k] = None
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
        """The read-only view plug-ins receive (views of the live arrays)."""
        return self._view

    def _new_view(self) -> ClusterView:
        view = ClusterView(self.state, self._frag_delta)
        view._state = self.state                           # built-ins' private fast paths
        view._default_fgd_scoring = self.fgd_scoring
        view._fgd_gpus = self._fgd_gpus
        return view

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

    def _gpus(self, task: Task, view: TaskView | TaskShape, node: int) -> tuple[int, ...]:
        if self._pick is None:
            return self.default_gpus(node, task.type)
        if self._trusted:
            return self._pick(view, self.cluster, node)
        got = self._call(self._pick, "pick_gpus", view, self.cluster, node)
        return checked_gpus(self, task, node, got)

    # ------------------------------------------------------------------ decide
    def _shape(self, t: TaskType) -> TaskShape:
        """The type's :class:`TaskShape`, made once per type (cache bounded)."""
        shape = self._shapes.get(t)
        if shape is None:
            if len(self._shapes) >= _SHAPES_LIMIT:
                self._shapes.clear()
            shape = self._shapes[t] = TaskShape.of(t)
        return shape

    def _task_view(self, task: Task, job_id: int) -> TaskView | TaskShape:
        """What the placement is shown: a trusted built-in its type's cached
        :class:`TaskShape`, a plug-in a :class:`TaskView` of this task."""
        shape = self._shape(task.type)
        return shape if self._trusted else TaskView.of(task, job_id, shape)

    def _scores(self, view: TaskView | TaskShape, idx: np.ndarray) -> np.ndarray:
        if self._trusted:
            return self._score(view, self.cluster, idx)
        return checked_scores(self, self._call(self._score, "score", view, self.cluster, idx), idx.size)

    def _winner(self, scores: np.ndarray, idx: np.ndarray, count_ties: bool) -> tuple[int, int | float, int]:
        """The tie rule: (position in ``idx`` of the highest score, earliest in the run's
        node order among equals; that score as a Python number; how many tied — counted
        for integer scores only when asked)."""
        if scores.dtype.kind == "i" and (self._trusted or int(np.abs(scores).max()) < _INT_KEY_LIMIT // self._width):
            # integer scores: one argmax over (score, tie order) packed into one key
            keys = (scores if scores.dtype is _INT64 else scores.astype(np.int64)) * self._width + self.tie_bonus[idx]
            w = int(keys.argmax())
            best = scores[w]
            return w, best.item(), (int((scores == best).sum()) if count_ties else 0)
        bonus = self.tie_bonus[idx]                       # larger = earlier in the run's node order
        best = scores.max()
        tied = np.flatnonzero(scores == best)
        w = int(tied[bonus[tied].argmax()]) if tied.size > 1 else int(tied[0])
        return w, best.item(), int(tied.size)

    def _choice(self, task: Task, job_id: int) -> tuple[int, tuple[int, ...], int | float | None, int]:
        """The winner without a decision record: (node, GPU slots, its score — None for a
        drawn node —, number of feasible nodes); node -1 when none is feasible."""
        idx = np.flatnonzero(self.feasible(task))
        n = idx.size
        if n == 0:
            return -1, (), None, 0
        if not self._trusted:
            view = self._task_view(task, job_id)
            w, best, _ = self._winner(self._scores(view, idx), idx, False)
            node = int(idx[w])
            return node, self._gpus(task, view, node), best, n
        # A trusted built-in: the same steps written out (the fill-up experiment makes
        # ~10^4 of these a run and every call or temporary showed in its time).
        t = task.type
        shape = self._shape(t)
        if self._choose is not None:                      # a built-in's draw, no scores needed
            node, best = int(idx[self._choose(idx)]), None
        else:
            w, best, _ = self._winner(self._score(shape, self._view, idx), idx, False)
            node = int(idx[w])
        pick = self._pick
        return node, (self.default_gpus(node, t) if pick is None else pick(shape, self._view, node)), best, n

    def decide(self, task: Task, explain: bool = True, job_id: int = -1) -> Decision:
        """Score every feasible node for ``task`` and pick the winner (no mutation)."""
        if self.fast is not None:
            return self.fast.decide(task, explain, self.name)
        if not explain:
            node, gpus, best, n = self._choice(task, job_id)
            if node < 0:
                return Decision(self.name, task, -1, (), "no feasible node: task fails", n_feasible=0)
            return Decision(self.name, task, node, gpus, "", score=best, n_feasible=n)
        idx = np.flatnonzero(self.feasible(task))
        if idx.size == 0:
            return Decision(self.name, task, -1, (), "no feasible node: task fails", n_feasible=0)
        view = self._task_view(task, job_id)
        scores = self._scores(view, idx)
        w, best, n_tied = self._winner(scores, idx, True)
        node = int(idx[w])
        rule = self.rule or f"highest {self.name} score {_fmt(best)}"
        if n_tied > 1:
            rule += f"; {n_tied} nodes tied, the earliest in the run's node order wins"
        d = Decision(self.name, task, node, self._gpus(task, view, node), rule, score=best, n_feasible=int(idx.size))
        d.cand_nodes, d.cand_scores = idx, scores
        t = task.type
        if self._pick is None and t.shape == "fractional":
            rows = self.state.free_gpu[idx]
            d.cand_gpus = np.where(rows >= t.gpu_milli, rows, MILLI + 1).argmin(axis=1)
        else:
            d.cand_gpus = np.full(idx.size, -1, np.int64)
        if self._explain is not None:
            d.extra = checked_columns(self, self._call(self._explain, "explain", view, self.cluster,
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
        round at Alibaba scale, the fill-up experiment ~10⁴ pods a run): (node, GPU
        slots), node -1 when none is feasible."""
        if self.fast is not None:
            return self.fast.place(task)
        node, gpus, _, _ = self._choice(task, job_id)
        if node >= 0:
            self.state.allocate(node, task, gpus)
        return node, gpus


def _type_of(task: TaskView) -> TaskType:
    models = "|".join(task.allowed_models) if task.allowed_models else ""
    return TaskType(task.cpu_milli, task.gpu_milli, task.num_gpus, models)


def place_once(state: ClusterState, placement: Any, task: Task, tie_rank: Sequence[int] | None = None,
               rng: np.random.Generator | None = None, fgd_scoring: str = "integer",
               memory_filter: bool = True) -> Decision:
    """Decide one task on ``state`` without keeping a placer around (UI / tests)."""
    rank = np.arange(state.n_nodes) if tie_rank is None else np.asarray(tie_rank)
    return Placer(state, placement, rank, rng, fgd_scoring, memory_filter).decide(task, explain=True)
