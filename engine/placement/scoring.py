"""Node placement for one arriving task: the six policies of the FGD paper (``fgd.md`` §2–§3).

Every policy shares the hard filters of §2.3 (GPU model, CPU, memory, GPU capacity:
one GPU with ≥ g free for a fractional task, k fully free GPUs for a whole-GPU task)
and the node tie-break of §2.2: the highest score wins and ties go to the node that
comes first in a per-run random order (``tie_rank``), exactly like the reference's
"smallest random name prefix".  A consequence worth knowing: GpuPacking and
GpuClustering score CPU-only tasks 0 everywhere, so such a task goes to the first
feasible node of that random order — random per run, not per task, as in the reference.

Scores are the reference's *integer* scores, computed with the same float expressions,
because their coarseness decides ties and the tie order is part of the measured
behaviour (§2.2, §7).  FGD additionally has an ``exact`` mode (min integer Δ, same tie
order).

Speed: a fill-up run asks ~10⁴ times over ~1.2·10³ nodes.  Baselines are a handful of
numpy expressions over the feasible nodes.  FGD caches, per task type, each node's best
(score, GPU, Δ) together with the node's ``version``; only nodes that changed since the
type was last scored are re-scored, in one vectorised batch (candidate GPUs with equal
free milli are scored once — they give the same after-state).
"""

from __future__ import annotations

import copy
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..core.cluster_state import ClusterState, task_class
from ..core.fragmentation import MILLI, Task, TaskType

POLICIES = ("random", "dotprod", "bestfit", "packing", "clustering", "fgd")
_ALIASES = {
    "random": "random", "randomfit": "random", "random-fit": "random",
    "dotprod": "dotprod", "dotproduct": "dotprod", "dot-product": "dotprod",
    "bestfit": "bestfit", "best-fit": "bestfit",
    "packing": "packing", "gpupacking": "packing",
    "clustering": "clustering", "gpuclustering": "clustering",
    "fgd": "fgd",
}
FGD_MODES = ("score", "exact")
MAX_SPEC_CPU = 128000          # reference normalisation constants (milli-CPU, milli-GPU)
MAX_SPEC_GPU = 8000
_NEG = np.iinfo(np.int64).min // 4
_SCALAR_LIMIT = 24   # stale nodes up to which FGD re-scores in plain Python
_DELTA_MEMO_LIMIT = 1 << 20


def canonical_policy(name: str) -> str:
    """``"GpuPacking"`` → ``"packing"`` etc.; unknown names raise :class:`InputError`."""
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise InputError("placement", f"unknown placement {name!r}; allowed: {', '.join(POLICIES)}")
    return _ALIASES[key]


def node_tie_rank(n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """rank[n] = position of node n in a seeded random permutation (0 wins ties)."""
    rank = np.empty(n_nodes, np.int64)
    rank[rng.permutation(n_nodes)] = np.arange(n_nodes)
    return rank


def fgd_score(delta_num: np.ndarray | int, denominator: int) -> np.ndarray:
    """The reference's integer FGD score ⌊100·σ(−Δ/1000)⌋ for Δ = delta_num/denominator."""
    x = -(np.asarray(delta_num, np.float64) / denominator) / 1000.0
    return ((1.0 / (1.0 + np.exp(-x))) * 100.0).astype(np.int64)


@dataclass(eq=False)
class Decision:
    """Why a task went where it went.

    ``node`` is -1 when no node passes the filters (the task fails); ``n_feasible``
    is -1 when FGD was asked without ``explain`` (not counted).  The candidate
    arrays (filled when ``explain=True``) list every feasible node with the GPU it
    would get (-1: CPU-only, or "the k lowest-index fully free GPUs", or not decided
    because the policy picks it at random), its integer score, and for FGD its Δ in
    milli-GPU.  Scores: higher is better for every policy; for FGD ``exact`` the
    ranking value is -Δ and ``cand_scores`` still shows the integer score.
    """

    policy: str
    task: Task
    node: int
    gpus: tuple[int, ...]
    rule: str
    score: int | None = None
    delta: float | None = None
    n_feasible: int = 0
    cand_nodes: np.ndarray | None = None
    cand_gpus: np.ndarray | None = None
    cand_scores: np.ndarray | None = None
    cand_deltas: np.ndarray | None = None

    @property
    def placed(self) -> bool:
        return self.node >= 0


class _TypeCache:
    """FGD's per-task-type, per-node memory of the last scoring (valid while versions match)."""

    __slots__ = ("ver", "key", "gpu", "score", "dnum", "log", "log_pos", "allowed", "allowed_list")

    def __init__(self, n: int, allowed: np.ndarray | None = None) -> None:
        self.log: list[int] | None = None  # the state's change log when last brought up to date
        self.log_pos = 0                   # ... and its length then
        self.ver = np.zeros(n, np.uint64)  # content version the entry was scored at (0: never)
        self.key = np.zeros(n, np.int64)
        # Nodes of a GPU model the type allows (None: all).  The others fail the model
        # filter forever: their key is _NEG once and for all and they are never re-checked.
        self.allowed = allowed
        self.allowed_list = None if allowed is None else allowed.tolist()
        if allowed is not None:
            self.key[~allowed] = _NEG
        self.gpu = np.full(n, -1, np.int64)
        self.score = np.zeros(n, np.int64)
        self.dnum = np.zeros(n, np.int64)


class Placer:
    """One policy bound to one :class:`ClusterState` for a whole run.

    ``decide(task)`` never mutates the cluster; ``place(task)`` decides and allocates.
    """

    def __init__(self, state: ClusterState, policy: str, tie_rank: np.ndarray,
                 rng: np.random.Generator | None = None, fgd_mode: str = "score",
                 memory_filter: bool = True) -> None:
        self.state = state
        self.policy = canonical_policy(policy)
        if fgd_mode not in FGD_MODES:
            raise InputError("fgd_mode", f"unknown FGD mode {fgd_mode!r}; allowed: {', '.join(FGD_MODES)}")
        self.fgd_mode = fgd_mode
        self.memory_filter = bool(memory_filter)
        n = state.n_nodes
        self.tie_rank = np.asarray(tie_rank, np.int64)
        if self.tie_rank.shape != (n,) or sorted(self.tie_rank.tolist()) != list(range(n)):
            raise InputError("tie_rank", f"must be a permutation rank of the {n} nodes")
        self.tie_bonus = n - self.tie_rank                  # larger = earlier in the order
        self.tie_bonus_list = self.tie_bonus.tolist()
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self._model_masks: dict[str, np.ndarray] = {}
        self._fgd: dict[TaskType, _TypeCache] = {}
        self._score_memo: dict[int, int] = {}
        # (task shape, model, CPU positions before/after, sorted free vector) -> the
        # node's best Δ and the free values reaching it: Δ depends on nothing else.
        self._delta_memo: dict[tuple, tuple] = {}
        self._lower = np.tri(state.slots, k=-1, dtype=bool)  # [i, j] = j < i

    def __deepcopy__(self, memo: dict) -> "Placer":
        # FGD's caches are memos of a pure function of node content: a fork starts
        # with none (cheap snapshots for the UI's rewind ring) and rebuilds them.
        new = object.__new__(Placer)
        memo[id(self)] = new
        for k, v in vars(self).items():
            if k == "_fgd":
                v = {}
            elif k not in ("_model_masks", "_score_memo", "_delta_memo", "_lower", "tie_rank",
                           "tie_bonus", "tie_bonus_list"):
                v = copy.deepcopy(v, memo)
            setattr(new, k, v)
        return new

    # ------------------------------------------------------------------ filters
    def _model_mask(self, models: str) -> np.ndarray:
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
                ok &= self._model_mask(t.models)[sel]
            if shape == "fractional":
                ok &= st.max_free[sel] >= t.gpu_milli
            else:
                ok &= st.n_full_free[sel] >= t.num_gpu
        return ok

    # ------------------------------------------------------------------ GPU choice
    def _whole_gpus(self, node: int, k: int) -> tuple[int, ...]:
        """The k lowest-index fully free GPUs (plain Python: one node, ≤ 8 slots)."""
        return tuple([i for i, v in enumerate(self.state.free_gpu[node].tolist()) if v == MILLI][:k])

    def _best_fit_gpu(self, node: int, g: int) -> int:
        row = self.state.free_gpu[node]
        return int(np.where(row >= g, row, MILLI + 1).argmin())

    def _gpus_for(self, node: int, t: TaskType) -> tuple[int, ...]:
        shape = t.shape
        if shape == "cpu":
            return ()
        if shape == "whole":
            return self._whole_gpus(node, t.num_gpu)
        if self.policy == "random":
            fit = np.flatnonzero(self.state.free_gpu[node] >= t.gpu_milli)
            return (int(fit[self.rng.integers(len(fit))]),)
        return (self._best_fit_gpu(node, t.gpu_milli),)

    # ------------------------------------------------------------------ decide
    def decide(self, task: Task, explain: bool = True) -> Decision:
        """Score every feasible node for ``task`` and pick the winner (no mutation)."""
        if self.policy == "fgd":
            return self._decide_fgd(task, explain)
        idx = np.flatnonzero(self.feasible(task))
        if idx.size == 0:
            return Decision(self.policy, task, -1, (), "no feasible node: task fails", n_feasible=0)
        t = task.type
        if self.policy == "random":
            node = int(idx[self.rng.integers(idx.size)])
            d = Decision(self.policy, task, node, self._gpus_for(node, t),
                         f"uniformly random feasible node (1 of {idx.size})", n_feasible=int(idx.size))
            if explain:
                d.cand_nodes, d.cand_scores = idx, np.where(idx == node, 100, 0)
                d.cand_gpus = np.full(idx.size, -1, np.int64)
            return d
        scores = self._baseline_scores(t, idx)
        keys = scores * (self.state.n_nodes + 1) + self.tie_bonus[idx]
        w = int(keys.argmax())
        node, best = int(idx[w]), int(scores[w])
        ties = int((scores == best).sum()) if explain else 0
        rule = f"highest {self.policy} score {best}"
        if ties > 1:
            rule += f"; {ties} nodes tied, the earliest in the run's node order wins"
        if t.shape == "cpu" and self.policy in ("packing", "clustering"):
            rule = "CPU-only task: every node scores 0, the earliest feasible node in the run's node order wins"
        d = Decision(self.policy, task, node, self._gpus_for(node, t), rule, score=best,
                     n_feasible=int(idx.size))
        if explain:
            d.cand_nodes, d.cand_scores = idx, scores
            if t.shape == "fractional":
                rows = self.state.free_gpu[idx]
                d.cand_gpus = np.where(rows >= t.gpu_milli, rows, MILLI + 1).argmin(axis=1)
            else:
                d.cand_gpus = np.full(idx.size, -1, np.int64)
        return d

    def place(self, task: Task, explain: bool = False) -> Decision:
        """Decide, then bind the task in the cluster state (if some node was feasible)."""
        d = self.decide(task, explain)
        if d.node >= 0:
            self.state.allocate(d.node, task, d.gpus)
        return d

    # ------------------------------------------------------------------ baselines
    def _baseline_scores(self, t: TaskType, idx: np.ndarray) -> np.ndarray:
        st, p = self.state, self.policy
        c, g, k = t.cpu_milli, t.gpu_milli, t.num_gpu
        if p == "dotprod":
            # Tetris dot product of max-normalised (cpu, total gpu) vectors, merge/max (§3)
            a0 = st.free_cpu[idx] / float(MAX_SPEC_CPU)
            a1 = st.idle[idx] / float(MAX_SPEC_GPU)
            ip = a0 * (c / float(MAX_SPEC_CPU)) + a1 * ((k * g) / float(MAX_SPEC_GPU))
            return ((1.0 - ip / 2.0) * 100.0).astype(np.int64)
        if p == "bestfit":
            s = ((st.free_cpu[idx] - c) / float(MAX_SPEC_CPU)) * 0.5
            s = s + ((st.idle[idx] - k * g) / float(MAX_SPEC_GPU)) * 0.5
            raw = ((1.0 - s) * 100.0).astype(np.int64)
            lo, hi = int(raw.min()), int(raw.max())         # the reference min-max normalises
            if hi == lo:
                return np.zeros(idx.size, np.int64)
            return (raw - lo) * 100 // (hi - lo)
        shape = t.shape
        if shape == "cpu":
            return np.zeros(idx.size, np.int64)             # packing / clustering
        if p == "packing":
            nf, gc = st.n_full_free[idx], st.gpu_count[idx]
            if shape == "whole":
                used = np.full(idx.size, max(50 - k, 33), np.int64)
            else:
                rows = st.free_gpu[idx]
                bf = np.where(rows >= g, rows, MILLI + 1).min(axis=1)
                shared = np.maximum(100 - (bf * 100 // MILLI) // 10, 50)
                used = np.where(bf == MILLI, max(50 - 1, 33), shared)
            return np.where(nf == gc, np.maximum(100 // 3 - nf, nf), used)
        if p == "clustering":
            cls = task_class(t)
            base = 25 * (MAX_SPEC_GPU - st.idle[idx]) // MAX_SPEC_GPU
            has = st.classes[idx, cls] > 0 if cls < st.classes.shape[1] else np.zeros(idx.size, bool)
            ncls = st.n_classes[idx]
            return np.where(has, np.where(ncls == 1, base + 75, base + 50),
                            np.where(ncls == 0, base + 25, base))
        raise AssertionError(p)

    # ------------------------------------------------------------------ FGD
    def _fgd_winner(self, task: Task, explain: bool) -> tuple[int, np.ndarray, _TypeCache]:
        """FGD's winning node for ``task`` (-1: none feasible), the ranking keys it won
        on (nodes failing a filter at _NEG) and the type's cache."""
        st, t = self.state, task.type
        # One cache per task type: every node's ranking key with nodes failing the
        # type's filters (CPU, model, GPU) at _NEG, valid while the node's content
        # version is unchanged.  Memory is per task, so its filter is applied here.
        cache = self._fgd.get(t)
        if cache is None:
            allowed = self._model_mask(t.models) if (t.models and t.shape != "cpu") else None
            cache = self._fgd[t] = _TypeCache(st.n_nodes, allowed)
        stale = self._stale(cache)
        if stale is None or len(stale) > _SCALAR_LIMIT:
            if stale is None:
                changed = cache.ver != st.version
                stale = np.flatnonzero(changed if cache.allowed is None else changed & cache.allowed)
            else:
                stale = np.array(sorted(stale), np.int64)
            ok = self.feasible(task, stale, memory=False)
            bad = stale[~ok]
            cache.key[bad] = _NEG
            cache.ver[bad] = st.version[bad]
            if ok.any():
                self._fgd_rescore(t, stale[ok], cache)
        elif stale:
            self._fgd_rescore_scalar(task, stale, cache)
        keys = cache.key
        node = int(keys.argmax())
        if self.memory_filter and task.memory_mib > 0 and (explain or st.free_mem[node] < task.memory_mib):
            # (when the overall best passes the memory filter it is also the filtered best;
            # the inspector's candidate list needs the filtered keys anyway)
            keys = np.where(st.free_mem >= task.memory_mib, keys, _NEG)
            node = int(keys.argmax())
        if keys[node] == _NEG:
            node = -1
        return node, keys, cache

    def _fgd_gpus(self, node: int, t: TaskType, cache: _TypeCache) -> tuple[int, ...]:
        return (int(cache.gpu[node]),) if t.shape == "fractional" else self._gpus_for(node, t)

    def place_fgd(self, task: Task) -> tuple[int, tuple[int, ...]]:
        """:meth:`place` for FGD without a decision record (round mode re-places
        ~900 jobs per round at Alibaba scale): the same winner and GPUs, bound in the
        state; node -1 when no node is feasible."""
        node, _, cache = self._fgd_winner(task, False)
        if node < 0:
            return -1, ()
        gpus = self._fgd_gpus(node, task.type, cache)
        self.state.allocate(node, task, gpus)
        return node, gpus

    def _decide_fgd(self, task: Task, explain: bool) -> Decision:
        st, t = self.state, task.type
        node, keys, cache = self._fgd_winner(task, explain)
        if node < 0:
            return Decision("fgd", task, -1, (), "no feasible node: task fails", n_feasible=0)
        feasible = (keys != _NEG) if explain else None
        n_feas = int(np.count_nonzero(feasible)) if explain else -1
        den = st.frag.denominator
        score, dnum = int(cache.score[node]), int(cache.dnum[node])
        gpus = self._fgd_gpus(node, t, cache)
        delta = dnum / den
        if not explain:
            rule = ""  # only the inspector reads it; formatting floats costs per placement
        elif self.fgd_mode == "score":
            rule = f"highest FGD score {score} (Δ {delta:+.2f} milli-GPU)"
        else:
            rule = f"smallest Δ {delta:+.4f} milli-GPU (score {score})"
        d = Decision("fgd", task, node, gpus, rule, score=score, delta=delta, n_feasible=n_feas)
        if explain:
            idx = np.flatnonzero(feasible)
            d.cand_nodes, d.cand_gpus = idx, cache.gpu[idx].copy()
            d.cand_scores, d.cand_deltas = cache.score[idx].copy(), cache.dnum[idx] / den
            key = cache.key[idx] // (st.n_nodes + 1)
            ties = int((key == key.max()).sum())
            if ties > 1:
                d.rule += f"; {ties} nodes tied, the earliest in the run's node order wins"
        return d

    def _stale(self, cache: _TypeCache) -> list[int] | None:
        """Nodes whose version differs from ``cache``'s, found through the state's
        change log; None when the log cannot tell (new log, or too long to walk)."""
        st = self.state
        log = st.change_log
        if cache.log is not log or len(log) - cache.log_pos > 4 * _SCALAR_LIMIT:
            cache.log, cache.log_pos = log, len(log)
            return None
        start, cache.log_pos = cache.log_pos, len(log)
        if start == len(log):
            return []
        ver, cur, allowed = cache.ver, st.version, cache.allowed_list
        if allowed is None:
            return [n for n in set(log[start:]) if ver[n] != cur[n]]
        return [n for n in set(log[start:]) if allowed[n] and ver[n] != cur[n]]

    def _score_of(self, dnum: int) -> int:
        """fgd_score of one Δ numerator, memoised (the same numpy expression, so the
        same float rounding as the vectorised path)."""
        sc = self._score_memo.get(dnum)
        if sc is None:
            sc = self._score_memo[dnum] = int(fgd_score(np.array([dnum], np.int64),
                                                        self.state.frag.denominator)[0])
        return sc

    def _fgd_rescore_scalar(self, task: Task, nodes: list[int], cache: _TypeCache) -> None:
        """:meth:`_fgd_rescore` plus the type's hard filters for a few nodes, in plain Python.

        Round mode changes one node per placement, so a type's cache is usually stale
        at one or two nodes; numpy's per-call overhead would dominate there.  Same
        candidates, same tie rules (lowest GPU index among equal scores), same keys.
        Δ depends on the node only through (model, CPU thresholds reached before and
        after, free-GPU multiset), so it is memoised on that; the GPU is then the
        lowest index holding one of the best free values."""
        st, t = self.state, task.type
        c, gm, k, shape = t.cpu_milli, t.gpu_milli, t.num_gpu, t.shape
        width = st.n_nodes + 1
        cthr = st.frag._cthr_list
        memo = self._delta_memo
        free_cpu, free_gpu, model_ids = st.free_cpu, st.free_gpu, st.model_id_list
        key_a, gpu_a, score_a, dnum_a, ver_a = cache.key, cache.gpu, cache.score, cache.dnum, cache.ver
        tie_bonus, score_of = self.tie_bonus_list, self._score_of
        for n in nodes:
            ver = st.version[n]
            cpu = int(free_cpu[n])
            ok = cpu >= c   # (nodes of a model the type excludes never get here: _stale)
            vals = free_gpu[n].tolist()   # padding slots hold 0: never a candidate
            if ok and shape != "cpu":
                ok = max(vals) >= gm if shape == "fractional" else vals.count(MILLI) >= k
            if not ok:
                key_a[n] = _NEG
                ver_a[n] = ver
                continue
            model = model_ids[n]
            mkey = (c, gm, k, model, bisect_right(cthr, cpu), bisect_right(cthr, cpu - c), *sorted(vals))
            hit = memo.get(mkey)
            if hit is None:
                if len(memo) >= _DELTA_MEMO_LIMIT:
                    memo.clear()
                hit = memo[mkey] = self._best_delta(t, vals, cpu, model)
            rank, dnum, best = hit
            gpu = -1
            if best is not None:
                for i, v in enumerate(vals):
                    if v in best:
                        gpu, dnum = i, best[v]
                        break
            key_a[n] = rank * width + tie_bonus[n]
            gpu_a[n] = gpu
            score_a[n] = score_of(dnum)
            dnum_a[n] = dnum
            ver_a[n] = ver

    def _best_delta(self, t: TaskType, vals: list[int], cpu: int, model: int) -> tuple:
        """(ranking value, Δ numerator, best map or None) of placing ``t`` on a node with
        free GPUs ``vals`` and free CPU ``cpu``.  For a fractional task the best map sends
        each free value whose candidate reaches the best ranking value to its Δ (the
        caller takes the lowest GPU index holding one; the Δ slot is unused); otherwise
        the Δ of the one after-state."""
        fm = self.state.frag
        before = fm.frag_one(vals, cpu, model)
        cpu_a = cpu - t.cpu_milli
        exact = self.fgd_mode != "score"
        vals = list(vals)
        if t.shape == "fractional":
            gm = t.gpu_milli
            cands: dict[int, tuple[int, int]] = {}
            for i, v in enumerate(vals):
                if v < gm or v in cands:
                    continue
                vals[i] = v - gm
                dn = fm.frag_one(vals, cpu_a, model) - before
                vals[i] = v
                cands[v] = (-dn if exact else self._score_of(dn), dn)
            top = max(r for r, _ in cands.values())
            best = {v: dn for v, (r, dn) in cands.items() if r == top}
            return top, 0, best
        if t.shape == "whole":
            left = t.num_gpu
            for i, v in enumerate(vals):
                if left and v == MILLI:
                    vals[i] = 0
                    left -= 1
        dn = fm.frag_one(vals, cpu_a, model) - before
        return (-dn if exact else self._score_of(dn)), dn, None

    def _fgd_rescore(self, t: TaskType, nodes: np.ndarray, cache: _TypeCache) -> None:
        """Δ of the best placement of ``t`` on each of ``nodes``; store it in ``cache``."""
        st, fm = self.state, self.state.frag
        rows = st.free_gpu[nodes]
        cpu_after = st.free_cpu[nodes] - t.cpu_milli
        mid = st.model_id[nodes]
        before = st.frag_int[nodes]
        shape = t.shape
        score_mode = self.fgd_mode == "score"
        if shape == "fractional":
            g = t.gpu_milli
            fits = rows >= g
            dup = ((rows[:, :, None] == rows[:, None, :]) & self._lower).any(axis=2)
            si, gi = np.nonzero(fits & ~dup)             # one candidate per distinct free value
            after = rows[si]
            after[np.arange(si.size), gi] -= g
            dn = fm.frag_int(after, cpu_after[si], mid[si]) - before[si]
            val = fgd_score(dn, fm.denominator) if score_mode else -dn
            table = np.full(rows.shape, _NEG, np.int64)
            table[si, gi] = val
            best = table.max(axis=1)
            gpu = (table == best[:, None]).argmax(axis=1)  # lowest index reaching the best
            dtab = np.zeros(rows.shape, np.int64)
            dtab[si, gi] = dn
            dnum = dtab[np.arange(nodes.size), gpu]
            # (every node here has a candidate; in score mode the winner's value is its score)
            score = best if score_mode else fgd_score(dnum, fm.denominator)
        else:
            gpu = np.full(nodes.size, -1, np.int64)
            if shape == "whole":
                free = rows == MILLI
                take = free & (np.cumsum(free, axis=1) <= t.num_gpu)
                rows = np.where(take, 0, rows)
            dnum = fm.frag_int(rows, cpu_after, mid) - before
            score = fgd_score(dnum, fm.denominator)
        rank_val = score if score_mode else -dnum
        cache.key[nodes] = rank_val * (st.n_nodes + 1) + self.tie_bonus[nodes]
        cache.gpu[nodes] = gpu
        cache.score[nodes] = score
        cache.dnum[nodes] = dnum
        cache.ver[nodes] = st.version[nodes]


def place_once(state: ClusterState, policy: str, task: Task, tie_rank: Sequence[int] | None = None,
               rng: np.random.Generator | None = None, fgd_mode: str = "score",
               memory_filter: bool = True) -> Decision:
    """Decide one task on ``state`` without keeping a scorer around (UI / tests)."""
    rank = np.arange(state.n_nodes) if tie_rank is None else np.asarray(tie_rank)
    return Placer(state, policy, rank, rng, fgd_mode, memory_filter).decide(task, explain=True)
