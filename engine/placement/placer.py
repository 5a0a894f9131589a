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

There is one road for every placement, built-in or not: the same :class:`TaskView`, the
same :class:`ClusterView`, and every answer checked — a score array of the wrong length,
NaN or inf, a GPU pick of a full or missing GPU, a ``place_many`` answer on a node that
fails a filter, or an exception inside the placement is a
:class:`~fragscope.plugins.PluginError` naming it (exit 2), never a silent fix-up.

The optional fast hook ``place_many(task, cluster, count)`` answers whole decisions
(node and GPUs, filters included) for the decisions nobody records: the fill-up
experiment's arrivals and round mode's headless placements.  Decisions with a record
(the app's inspector, ``snapshot``) always take score → tie rule → GPU pick → explain.
The hook counts only when it answers for the placement's own ``score`` and
``pick_gpus`` (:func:`~fragscope.plugins.own_hook`: a subclass overriding ``score`` has its
``score`` decide).
"""

from __future__ import annotations

import copy
from collections import Counter
from types import SimpleNamespace
from typing import Any, Sequence

import numpy as np

from .cluster_state import ClusterState
from .contract import (ClusterView, TaskView, _new_tuple, allowed_models, checked_answer, checked_columns,
                       checked_filter,
                       checked_gpus, checked_scores, default_gpus, filter_mask, gpus_problem, node_problem,
                       type_fields)
from .decision import Decision
from .fgd import SCORINGS, canonical_scoring
from .fragmentation import Task, TaskType
from .registry import REGISTRY
from ..model.errors import InputError
from ..model.units import MILLI
from ..plugin_rng import call_plugin
from ..plugins import PluginError, PluginRef, failure, own_hook, owns

_INT64 = np.dtype(np.int64)
_TALLY_MIN = 8       # answers from which tallying a run beats checking its answers one by one
_RESERVED = ("gpu", "score", "delta")   # explain() columns that are the inspector's own
#: What _bind makes from the placement (bound methods, the owner test): rebuilt, never copied.
_REBOUND = ("_score", "_pick", "_explain", "_filter", "_hook", "rule", "_owner")


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
    ``place(task)``, ``place_fast`` and ``place_many`` decide and allocate.
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
        self._who = ref if ref is not None else REGISTRY.ref_for(placement)   # how errors name it
        self._owner = owns(self._who)   # (set again by _bind; setup runs before it)
        scoring = canonical_scoring(fgd_scoring) if isinstance(fgd_scoring, str) else None
        if scoring is None:
            raise InputError("fgd.scoring", f"unknown FGD scoring {fgd_scoring!r}; allowed: {', '.join(SCORINGS)}")
        self.fgd_scoring = scoring
        self.memory_filter = bool(memory_filter)
        n = state.n_nodes
        self.tie_rank = np.asarray(tie_rank, np.int64)
        if self.tie_rank.shape != (n,) or sorted(self.tie_rank.tolist()) != list(range(n)):
            raise InputError("tie_rank", f"must be a permutation rank of the {n} nodes")
        self.tie_bonus = n - self.tie_rank                  # larger = earlier in the order
        self.rng = rng if rng is not None else np.random.default_rng(0)
        setup = getattr(placement, "setup", None)
        if callable(setup):
            self._call(setup, "setup", SimpleNamespace(rng=self.rng, n_nodes=n))
        self._bind()

    def _bind(self) -> None:
        """The placement's methods, looked up once (after a copy or a pickle too: bound
        methods belong to one instance), and the cluster view on the current state."""
        obj = self.placement
        self._owner = owns(self._who)   # which files are the plug-in's own (fragscope.plugin_rng)
        self._score = obj.score
        self._pick = self._optional(obj, "pick_gpus")
        self._explain = self._optional(obj, "explain")
        rule = getattr(obj, "rule", None)
        if rule is not None and not isinstance(rule, str) and not callable(rule):
            raise failure(self._who, f"rule must be a string or a method, got {type(rule).__name__}")
        self.rule = rule
        self._filter = self._optional(obj, "filter")
        # a fast hook answers for score, pick_gpus and filter alike: one inherited from a
        # class below a subclass's own filter does not (it would ignore the veto)
        self._hook = own_hook(obj, "place_many", "score", "pick_gpus", "filter")
        if self._hook is not None and not callable(self._hook):
            raise failure(self._who, f"place_many must be a method, got {type(self._hook).__name__}")
        #: True when round mode may hand :meth:`place_many` whole runs, GPU type by GPU type
        self.batches = self._hook is not None and getattr(obj, "independent_gpu_types", False) is True
        view = ClusterView(self.state, self.tie_rank, self.memory_filter, self.fgd_scoring)
        old = getattr(self, "_view", None)
        if old is not None:
            view._masks = old._masks                      # model masks: fixed facts of the nodes
        self._view = view

    def _optional(self, obj: Any, name: str) -> Any:
        fn = getattr(obj, name, None)
        if fn is not None and not callable(fn):
            raise failure(self._who, f"{name} must be a method, got {type(fn).__name__}")
        return fn

    def __deepcopy__(self, memo: dict) -> "Placer":
        # The tie order and the cluster view's model masks are shared; the view is
        # rebuilt on the copy's state and the placement's methods are re-bound.
        new = object.__new__(Placer)
        memo[id(self)] = new
        for k, v in vars(self).items():
            if k in _REBOUND:
                v = None
            elif k not in ("tie_rank", "tie_bonus", "ref", "_who", "_view"):
                v = copy.deepcopy(v, memo)
            setattr(new, k, v)
        new._bind()
        return new

    def __getstate__(self) -> dict:
        state = dict(vars(self))   # bound methods and the live view are rebuilt on arrival
        for k in ("_view",) + _REBOUND:
            state[k] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind()

    # ------------------------------------------------------------------ plug-in calls
    def _call(self, fn: Any, what: str, *args: Any) -> Any:
        """A call of the plug-in's code (plug-in code: no global random state, see
        fragscope.plugin_rng); its failure — an exception, or exiting — names the job."""
        try:
            return call_plugin(self._owner, fn, *args)
        except PluginError:
            raise
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the plug-in's failure is bad input, with its lines
            job = getattr(args[0], "job_id", -1) if args else -1   # (a TaskView: the job being placed)
            raise failure(self._who, f"{what}() raised" + (f" placing job {job}" if job >= 0 else ""), exc) from None

    @property
    def cluster(self) -> ClusterView:
        """The read-only view placements receive (views of the live arrays)."""
        return self._view

    # ------------------------------------------------------------------ filters
    def model_mask(self, models: str) -> np.ndarray:
        return self._view.model_mask(models)

    def feasible(self, task: Task, nodes: np.ndarray | None = None, memory: bool = True) -> np.ndarray:
        """Boolean mask of nodes (all, or ``nodes``) passing every hard filter of §2.3
        (the memory filter only when ``memory`` is true too)."""
        t = task.type
        mem = task.memory_mib if self.memory_filter and memory else 0
        return filter_mask(self.state, self._view, t.cpu_milli, mem, t.models, t.shape, t.gpu_milli, t.num_gpu,
                           nodes)

    # ------------------------------------------------------------------ GPU choice
    def default_gpus(self, node: int, t: TaskType) -> tuple[int, ...]:
        """No ``pick_gpus``: best-fit GPU for a fractional task, the k lowest-index fully
        free GPUs for a whole-GPU task, none for a CPU-only task."""
        if t.shape == "cpu":
            return ()
        return default_gpus(self.state, node, t.gpu_milli, t.num_gpu)

    def _gpus(self, task: Task, view: TaskView, node: int) -> tuple[int, ...]:
        if self._pick is None:
            return self.default_gpus(node, task.type)
        got = self._call(self._pick, "pick_gpus", view, self._view, node)
        return checked_gpus(self._who, self.state, task, node, got)

    # ------------------------------------------------------------------ decide
    def _task_view(self, task: Task, job_id: int) -> TaskView:
        """The :class:`TaskView` the placement is shown for this decision."""
        t = task.type
        try:
            f = t._view_fields               # the type's numbers, made once per type object
        except AttributeError:
            f = type_fields(t) + (allowed_models(t.models),)
            object.__setattr__(t, "_view_fields", f)
        return _new_tuple(TaskView, (f[0], f[1], f[2], task.memory_mib, f[3], job_id))

    def _scores(self, view: TaskView, idx: np.ndarray) -> np.ndarray:
        got = self._call(self._score, "score", view, self._view, idx)
        if type(got) is np.ndarray and got.dtype is _INT64 and got.ndim == 1 and got.shape[0] == idx.size:
            return got                                    # the common answer, checked in 4 reads
        return checked_scores(self._who, got, idx.size)

    def _winner(self, scores: np.ndarray, idx: np.ndarray, count_ties: bool) -> tuple[int, int | float, int]:
        """The tie rule: (position in ``idx`` of the highest score, earliest in the run's
        node order among equals; that score as a Python number; how many tied — counted
        only when asked).  No arithmetic on the scores, so any finite numbers will do."""
        best = scores[scores.argmax()]
        bonus = self.tie_bonus.take(idx)                  # larger = earlier in the run's node order
        other = scores != best
        bonus[other] = 0                                  # (every bonus is >= 1)
        w = int(bonus.argmax())
        return w, best.item(), (idx.size - int(np.count_nonzero(other)) if count_ties else 0)

    # ------------------------------------------------------------------ the plug-in's veto
    @property
    def has_filter(self) -> bool:
        """Whether the placement may veto nodes (``filter``): its refusals may depend on
        the job, so no failure of one job says another cannot fit."""
        return self._filter is not None

    def vetoes(self, view: TaskView, idx: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
        """The placement's ``filter`` over candidates ``idx``: (mask, True = may place;
        a reason per candidate).  Without a filter every candidate may."""
        if self._filter is None or idx.size == 0:
            return np.ones(idx.size, bool), ("",) * idx.size
        got = self._call(self._filter, "filter", view, self._view, idx)
        return checked_filter(self._who, got, idx.size, f"vetoed by {self.name}")

    def _allowed(self, view: TaskView, idx: np.ndarray) -> np.ndarray:
        """Candidates ``idx`` less the ones the placement vetoes (their reasons are counted
        where a decision is explained: :func:`~fragscope.placement.blocking.blocked`)."""
        if self._filter is None or idx.size == 0:
            return idx
        mask, _ = self.vetoes(view, idx)
        return idx if mask.all() else idx[mask]

    def _node(self, task: Task, job_id: int) -> tuple[int, TaskView | None, int | float | None, int]:
        """The road's winning node (filters → the placement's veto → score → tie rule):
        (node, the TaskView it was scored with, its score, number of feasible nodes); node
        -1 when none is feasible."""
        t = task.type
        idx = np.flatnonzero(filter_mask(self.state, self._view, t.cpu_milli,
                                         task.memory_mib if self.memory_filter else 0, t.models, t.shape,
                                         t.gpu_milli, t.num_gpu, None))
        if idx.size == 0:
            return -1, None, None, 0
        view = self._task_view(task, job_id)
        idx = self._allowed(view, idx)
        n = idx.size
        if n == 0:
            return -1, None, None, 0
        w, best, _ = self._winner(self._scores(view, idx), idx, False)
        return int(idx[w]), view, best, n

    def _choice(self, task: Task, job_id: int) -> tuple[int, tuple[int, ...], int | float | None, int]:
        """The winner without a decision record, through score → tie rule → GPU pick:
        (node, GPU slots, its score, number of feasible nodes); node -1 when none is feasible."""
        node, view, best, n = self._node(task, job_id)
        if node < 0:
            return -1, (), None, 0
        return node, self._gpus(task, view, node), best, n

    def _ask(self, task: Task, view: TaskView, count: int) -> list:
        """The fast hook's answers for ``count`` copies of ``task``: a list of 1..count."""
        return self._answers(self._call(self._hook, "place_many", view, self._view, count), count)

    def _answers(self, got: Any, count: int) -> list:
        if type(got) is not list:
            if not isinstance(got, (list, tuple)):
                raise failure(self._who, f"place_many() must return a list of (node, GPUs) pairs, "
                                         f"got {type(got).__name__}")
            got = list(got)
        if not 1 <= len(got) <= count:
            raise failure(self._who, f"place_many() returned {len(got)} answers when asked for {count} task(s): "
                                     f"give 1 to {count}")
        return got

    def decide(self, task: Task, explain: bool = True, job_id: int = -1) -> Decision:
        """Pick the winner for ``task`` (no mutation); with ``explain``, every feasible
        node's score, GPU and the placement's ``explain`` columns are recorded too."""
        if not explain:
            if self._hook is not None:
                got = self._ask(task, self._task_view(task, job_id), 1)
                node, gpus = checked_answer(self._who, self.state, self._view, task, got[0], self.memory_filter)
                if node < 0:
                    return Decision(self.name, task, -1, (), "no feasible node: task fails", n_feasible=0)
                return Decision(self.name, task, node, gpus, "", n_feasible=-1)
            node, gpus, best, n = self._choice(task, job_id)
            if node < 0:
                return Decision(self.name, task, -1, (), "no feasible node: task fails", n_feasible=0)
            return Decision(self.name, task, node, gpus, "", score=best, n_feasible=n)
        idx = np.flatnonzero(self.feasible(task))
        if idx.size == 0:
            return Decision(self.name, task, -1, (), "no feasible node: task fails", n_feasible=0)
        view = self._task_view(task, job_id)
        idx = self._allowed(view, idx)
        if idx.size == 0:
            return Decision(self.name, task, -1, (), f"every feasible node vetoed by {self.name}", n_feasible=0)
        scores = self._scores(view, idx)
        w, best, n_tied = self._winner(scores, idx, True)
        node = int(idx[w])
        gpus = self._gpus(task, view, node)
        cols = None
        if self._explain is not None:
            cols = checked_columns(self._who, self._call(self._explain, "explain", view, self._view, idx, scores),
                                   idx.size)
        shown, delta, cand_gpus, cand_deltas = best, None, None, None
        if cols and any(k in cols for k in _RESERVED):
            # the inspector's own columns, given by the placement (FGD: its GPU, score and Δ)
            if "score" in cols:
                scores = cols.pop("score")
                shown = scores[w].item()
            if "delta" in cols:
                cand_deltas = cols.pop("delta")
                delta = cand_deltas[w].item()
            cand_gpus = cols.pop("gpu", None)
            cols = cols or None
        rule = self.rule
        if rule is None:
            rule = f"highest {self.name} score {_fmt(best)}"
        elif not isinstance(rule, str):
            rule = self._call(rule, "rule", view, self._view, node)
            if not isinstance(rule, str):
                raise failure(self._who, f"rule() must return a string, got {type(rule).__name__}")
        if n_tied > 1:
            rule += f"; {n_tied} nodes tied, the earliest in the run's node order wins"
        d = Decision(self.name, task, node, gpus, rule, score=shown, delta=delta, n_feasible=int(idx.size))
        d.cand_nodes, d.cand_scores, d.cand_deltas = idx, scores, cand_deltas
        t = task.type
        if cand_gpus is not None:
            d.cand_gpus = cand_gpus
        elif self._pick is None and t.shape == "fractional":
            rows = self.state.free_gpu[idx]
            d.cand_gpus = np.where(rows >= t.gpu_milli, rows, MILLI + 1).argmin(axis=1)
        else:
            d.cand_gpus = np.full(idx.size, -1, np.int64)
        d.extra = cols
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
        slots), node -1 when none is feasible.  The fast hook answers when there is one."""
        hook = self._hook
        t = task.type
        if hook is None:
            node, view, _, _ = self._node(task, job_id)
            if node < 0:
                return -1, ()
            if self._pick is None:
                gpus = self.default_gpus(node, t)
                self.state.allocate(node, task, gpus)
                return node, gpus
            got = self._call(self._pick, "pick_gpus", view, self._view, node)
            if type(got) is tuple and len(got) <= 1 and (not got or type(got[0]) is int):
                try:                  # the common answer, checked by the binding itself (see below)
                    self.state.allocate(node, task, got, False)
                    return node, got
                except (ValueError, TypeError, IndexError):
                    pass
            gpus = checked_gpus(self._who, self.state, task, node, got)
            self.state.allocate(node, task, gpus)
            return node, gpus
        got = self._call(hook, "place_many", self._task_view(task, job_id), self._view, 1)
        # The common answer — [(node, GPUs)] with Python ints — is checked by the binding
        # itself (allocate(check=...) refuses GPUs off the node, repeated or full, and a
        # node short of CPU or memory before changing anything); anything else, or a
        # refusal, goes through the full check, which says what is wrong.
        st = self.state
        if type(got) is list and len(got) == 1:
            a = got[0]
            if type(a) is tuple and len(a) == 2:
                node, gpus = a
                if type(node) is int and type(gpus) is tuple and (len(gpus) <= 1 and (not gpus or type(gpus[0]) is int)
                                                                  or all(type(g) is int for g in gpus)):
                    if node == -1:
                        return -1, ()
                    if 0 <= node < st.n_nodes and (not t.models or t.shape == "cpu"
                                                   or self._view.model_mask(t.models)[node]):
                        try:
                            st.allocate(node, task, gpus, self.memory_filter)
                            return node, gpus
                        except (ValueError, TypeError, IndexError):
                            pass
        got = self._answers(got, 1)
        node, gpus = checked_answer(self._who, st, self._view, task, got[0], self.memory_filter)
        if node >= 0:
            st.allocate(node, task, gpus)
        return node, gpus

    def place_many(self, task: Task, count: int, job_id: int = -1) -> list[tuple[int, tuple[int, ...]]]:
        """``count`` calls of :meth:`place_fast` for one task in one go: the (node, GPU
        slots) of each, in order, cut short at the first that finds no node.  The fast
        hook answers as many as it likes per call; several answers are checked one after
        the other against the cluster as the earlier ones leave it, then bound together
        (one vectorised refresh of the nodes they touched)."""
        if count <= 0:
            return []
        if self._hook is None:
            out = []
            for _ in range(count):
                node, gpus = self.place_fast(task, job_id)
                if node < 0:
                    break
                out.append((node, gpus))
            return out
        view = self._task_view(task, job_id)
        out: list[tuple[int, tuple[int, ...]]] = []
        while len(out) < count:
            got = self._ask(task, view, count - len(out))
            if len(got) == 1:
                node, gpus = checked_answer(self._who, self.state, self._view, task, got[0], self.memory_filter)
                if node < 0:
                    break
                self.state.allocate(node, task, gpus)
                out.append((node, gpus))
                continue
            placed, stopped = self._bind_run(task, got)
            out.extend(placed)
            if stopped:
                break
        return out

    def _bind_run(self, task: Task, answers: list) -> tuple[list[tuple[int, tuple[int, ...]]], bool]:
        """Check several ``place_many`` answers, each against the nodes as the answers
        before it leave them, and bind them all (``allocate_run`` per node, one refresh).
        Returns the placements and whether the answers ended with node -1 (no node)."""
        t = task.type
        if len(answers) >= _TALLY_MIN and t.shape != "cpu" and t.num_gpu == 1 and t.gpu_milli <= MILLI:
            done = self._bind_run_at_once(task, answers)
            if done is not None:
                return done
        return self._bind_run_one_by_one(task, answers)

    def _bind_run_at_once(self, task: Task, answers: list) -> tuple[list, bool] | None:
        """:meth:`_bind_run` for the common run — a one-GPU task, answers ``(node, (gpu,))``
        of plain ints — with the answers tallied per (node, GPU) and checked per node;
        None for anything else or any answer that fails: the one-by-one check then names
        it.  Equivalent to checking answer by answer because a run only takes from a
        node — its free CPU, memory and each GPU's free milli-GPU fall with every answer
        on it — so the run fits iff what all its answers take fits what was free."""
        st, t = self.state, task.type
        stopped = False
        last = answers[-1]
        if type(last) is tuple and len(last) == 2 and type(last[0]) is int and last[0] == -1:
            answers, stopped = answers[:-1], True
        try:
            tally = Counter(answers)
        except TypeError:                       # an unhashable answer
            return None
        c, mem, gm = t.cpu_milli, task.memory_mib if self.memory_filter else 0, t.gpu_milli
        mask = self._view.model_mask(t.models) if t.models else None
        n_nodes, counts, free_cpu, free_mem, free_gpu = st.n_nodes, st.gpu_count_list, st.free_cpu, st.free_mem, st.free_gpu
        rows: dict[int, list] = {}              # node -> [free GPU values after the run, copies]
        for a, k in tally.items():
            if type(a) is not tuple or len(a) != 2:
                return None
            node, gpus = a
            if type(node) is not int or type(gpus) is not tuple or len(gpus) != 1:
                return None
            g = gpus[0]
            r = rows.get(node)
            if r is None:
                if not 0 <= node < n_nodes or mask is not None and not mask[node]:
                    return None
                r = rows[node] = [free_gpu[node].tolist(), 0]
            if type(g) is not int or not 0 <= g < counts[node]:
                return None
            r[0][g] -= k * gm
            if r[0][g] < 0:
                return None
            r[1] += k
        for node, (vals, k) in rows.items():
            if free_cpu[node] < k * c or mem and free_mem[node] < k * mem:
                return None
        for node, (vals, k) in rows.items():
            st.allocate_run(node, task, k, vals)
        st.refresh()
        return list(answers), stopped

    def _bind_run_one_by_one(self, task: Task, answers: list) -> tuple[list, bool]:
        """:meth:`_bind_run` answer by answer, naming the first one that is wrong."""
        st, t = self.state, task.type
        gm = t.gpu_milli
        one = t.shape != "cpu" and t.num_gpu == 1
        need = gm if gm < MILLI else MILLI
        counts = st.gpu_count_list
        used: dict[int, list] = {}       # node -> [free GPU values, free CPU, free memory, tasks]
        placed: list[tuple[int, tuple[int, ...]]] = []
        last = len(answers) - 1
        stopped = False
        for i, a in enumerate(answers):
            try:
                node, got = a
            except (TypeError, ValueError):
                raise failure(self._who, f"place_many() must return (node, GPUs) pairs, got {a!r}") from None
            if type(node) is not int:
                node, problem = node_problem(st, self._view, task, node, False)
                if problem is not None:
                    raise failure(self._who, f"place_many() answer {i}: {problem}")
            if node == -1:
                if i != last:
                    raise failure(self._who, f"place_many() answer {i} is (-1, ...) — no node — but more "
                                             f"answers follow it: -1 ends the answers")
                stopped = True
                break
            u = used.get(node)
            if u is None:
                node, problem = node_problem(st, self._view, task, node, False)
                if problem is not None:
                    raise failure(self._who, f"place_many() answer {i}: {problem}")
                u = used[node] = [st.free_gpu[node].tolist(), int(st.free_cpu[node]), int(st.free_mem[node]), 0]
            vals, cpu, mem, _ = u
            problem = None
            if cpu < t.cpu_milli:
                problem = f"returned node {node} with {cpu} free milli-CPU; the task needs {t.cpu_milli}"
            elif self.memory_filter and task.memory_mib and mem < task.memory_mib:
                problem = f"returned node {node} with {mem} MiB free memory; the task needs {task.memory_mib}"
            elif (one and type(got) is tuple and len(got) == 1 and type(got[0]) is int
                  and 0 <= got[0] < counts[node] and vals[got[0]] >= need):
                gpus = got                       # the common answer: one GPU with room (what gpus_problem says)
            else:
                gpus, problem = gpus_problem(st, t, node, got, vals)
            if problem is not None:
                raise failure(self._who, f"place_many() answer {i}: {problem}")
            for g in gpus:
                vals[g] -= gm
            u[1] = cpu - t.cpu_milli
            u[2] = mem - task.memory_mib
            u[3] += 1
            placed.append((node, gpus))
        for node, u in used.items():
            st.allocate_run(node, task, u[3], u[0])
        st.refresh()
        return placed, stopped


def place_once(state: ClusterState, placement: Any, task: Task, tie_rank: Sequence[int] | None = None,
               rng: np.random.Generator | None = None, fgd_scoring: str = "integer",
               memory_filter: bool = True) -> Decision:
    """Decide one task on ``state`` without keeping a placer around (UI / tests)."""
    rank = np.arange(state.n_nodes) if tie_rank is None else np.asarray(tie_rank)
    return Placer(state, placement, rank, rng, fgd_scoring, memory_filter).decide(task, explain=True)


__all__ = ["Placer", "node_tie_rank", "place_once"]
