"""FGD's private fast path: per task type, every node's best (score, GPU, Δ), kept current.

A fill-up run asks ~10⁴ times over ~1.2·10³ nodes, and round mode re-places ~900 jobs a
round at Alibaba scale.  So per task type a cache holds each node's ranking key together
with the node's content ``version``; only nodes that changed since the type was last
scored are re-scored — in one vectorised batch (:func:`.delta.node_deltas`), or in plain
Python for a handful of nodes, where numpy's per-call overhead would dominate.  The
winner is the same as the generic path's (:meth:`FGD.score` + the framework's tie rule);
``tests/test_plugins_equivalence.py`` pins that.
"""

from __future__ import annotations

from bisect import bisect_right
from heapq import heappop, heappush
from typing import TYPE_CHECKING

import numpy as np

from ..fragmentation import Task, TaskType
from ...model.units import MILLI
from ..decision import Decision
from .delta import NEG, fgd_score, node_deltas

if TYPE_CHECKING:
    from ..placer import Placer

SCALAR_LIMIT = 24   # stale nodes up to which FGD re-scores in plain Python
_DELTA_MEMO_LIMIT = 1 << 20
_CHAIN_MEMO_LIMIT = 1 << 16


class _TypeCache:
    """FGD's per-task-type, per-node memory of the last scoring (valid while versions match)."""

    __slots__ = ("ver", "key", "gpu", "score", "dnum", "log", "log_pos", "allowed", "allowed_list")

    def __init__(self, n: int, allowed: np.ndarray | None = None) -> None:
        self.log: list[int] | None = None  # the state's change log when last brought up to date
        self.log_pos = 0                   # ... and its length then
        self.ver = np.zeros(n, np.uint64)  # content version the entry was scored at (0: never)
        self.key = np.zeros(n, np.int64)
        # Nodes of a GPU model the type allows (None: all).  The others fail the model
        # filter forever: their key is NEG once and for all and they are never re-checked.
        self.allowed = allowed
        self.allowed_list = None if allowed is None else allowed.tolist()
        if allowed is not None:
            self.key[~allowed] = NEG
        self.gpu = np.full(n, -1, np.int64)
        self.score = np.zeros(n, np.int64)
        self.dnum = np.zeros(n, np.int64)


class FgdIndex:
    """FGD's caches for one :class:`Placer` (a fork starts with empty caches)."""

    def __init__(self, placer: "Placer", score_mode: bool, score_memo: dict | None = None,
                 delta_memo: dict | None = None, chain_memo: dict | None = None) -> None:
        self.p = placer
        self.score_mode = score_mode
        self.caches: dict[TaskType, _TypeCache] = {}
        self.score_memo: dict[int, int] = {} if score_memo is None else score_memo
        # (task shape, model, CPU positions before/after, sorted free vector) -> the
        # node's best Δ and the free values reaching it: Δ depends on nothing else.
        self.delta_memo: dict[tuple, tuple] = {} if delta_memo is None else delta_memo
        # (task shape, model, free CPU, free GPU values in slot order) -> the node's
        # :meth:`_entry` after 1, 2, ... placements of that task there (place_many fills
        # nodes one after the other; every pick is a function of this key)
        self.chain_memo: dict[tuple, list] = {} if chain_memo is None else chain_memo

    def fork(self, placer: "Placer") -> "FgdIndex":
        """Caches are memos of a pure function of node content: a fork starts with none
        (cheap snapshots for the UI's rewind ring) but shares the pure memos."""
        return FgdIndex(placer, self.score_mode, self.score_memo, self.delta_memo, self.chain_memo)

    # ------------------------------------------------------------------ winner
    def winner(self, task: Task, explain: bool) -> tuple[int, np.ndarray, _TypeCache]:
        """FGD's winning node for ``task`` (-1: none feasible), the ranking keys it won
        on (nodes failing a filter at NEG) and the type's cache."""
        p = self.p
        st, t = p.state, task.type
        # One cache per task type: every node's ranking key with nodes failing the
        # type's filters (CPU, model, GPU) at NEG, valid while the node's content
        # version is unchanged.  Memory is per task, so its filter is applied here.
        cache = self.caches.get(t)
        if cache is None:
            allowed = p.model_mask(t.models) if (t.models and t.shape != "cpu") else None
            cache = self.caches[t] = _TypeCache(st.n_nodes, allowed)
        stale = self._stale(cache)
        if stale is None or len(stale) > SCALAR_LIMIT:
            if stale is None:
                changed = cache.ver != st.version
                stale = np.flatnonzero(changed if cache.allowed is None else changed & cache.allowed)
            else:
                stale = np.array(sorted(stale), np.int64)
            ok = p.feasible(task, stale, memory=False)
            bad = stale[~ok]
            cache.key[bad] = NEG
            cache.ver[bad] = st.version[bad]
            if ok.any():
                self._rescore(t, stale[ok], cache)
        elif stale:
            self._rescore_scalar(task, stale, cache)
        keys = cache.key
        node = int(keys.argmax())
        if p.memory_filter and task.memory_mib > 0 and (explain or st.free_mem[node] < task.memory_mib):
            # (when the overall best passes the memory filter it is also the filtered best;
            # the inspector's candidate list needs the filtered keys anyway)
            keys = np.where(st.free_mem >= task.memory_mib, keys, NEG)
            node = int(keys.argmax())
        if keys[node] == NEG:
            node = -1
        return node, keys, cache

    def gpus(self, node: int, t: TaskType, cache: _TypeCache) -> tuple[int, ...]:
        return (int(cache.gpu[node]),) if t.shape == "fractional" else self.p.default_gpus(node, t)

    def place(self, task: Task) -> tuple[int, tuple[int, ...]]:
        """Decide and bind without a decision record: (node, GPU slots), node -1 if none."""
        node, _, cache = self.winner(task, False)
        if node < 0:
            return -1, ()
        gpus = self.gpus(node, task.type, cache)
        self.p.state.allocate(node, task, gpus)
        return node, gpus

    def place_many(self, task: Task, count: int) -> list[tuple[int, tuple[int, ...]]]:
        """``count`` calls of :meth:`place` for one task in one go: the same (node, GPU
        slots) in the same order, cut short at the first task that finds no node.

        Round mode places runs of identical tasks (the fork's mix has a few dozen task
        types a round for ~10³ placements).  Between two placements of a run only the
        node just used changes, so the next winner is the better of two candidates: the
        best node not used yet (the keys of untouched nodes never change during the run:
        one sorted list) and the best node used already (a heap of their new keys).
        Keys are unique (the tie bonus), so this is the argmax :meth:`winner` would
        take.  A node is mostly filled placement after placement, so its successive
        entries are read from ``chain_memo`` (keyed by its content before the run)
        rather than re-scored.  The used nodes' resources are tracked in Python and
        written back once, at the end, through the state's vectorised refresh."""
        p = self.p
        st, t = p.state, task.type
        node, _, cache = self.winner(task, False)
        if node < 0 or count <= 0:
            return []
        if count == 1:
            gpus = self.gpus(node, t, cache)
            st.allocate(node, task, gpus)
            return [(node, gpus)]
        mem = task.memory_mib if p.memory_filter else 0
        keys = cache.key
        if mem > 0:
            keys = np.where(st.free_mem >= mem, keys, NEG)
        cand = np.flatnonzero(keys > NEG)
        if cand.size > count:  # no run takes more untouched nodes than it has tasks
            cand = cand[np.argpartition(-keys[cand], count - 1)[:count]]
        cand = cand[np.argsort(-keys[cand])]
        stream, stream_keys = cand.tolist(), keys[cand].tolist()
        c, gm, k, shape = t.cpu_milli, t.gpu_milli, t.num_gpu, t.shape
        used: dict[int, list] = {}      # node -> [free GPU values, CPU, memory, GPU, tasks, entry, chain]
        chains = self.chain_memo
        heap: list[tuple[int, int]] = []
        width, bonus, models = st.n_nodes + 1, p.tie_bonus_list, st.model_id_list
        entry = self._entry
        out: list[tuple[int, tuple[int, ...]]] = []
        pos, n_stream = 0, len(stream)
        task_mem, left = task.memory_mib, count
        out_append = out.append
        while left:
            if heap and (pos == n_stream or -heap[0][0] > stream_keys[pos]):
                node = heappop(heap)[1]
                u = used[node]
            elif pos < n_stream:
                node = stream[pos]
                pos += 1
                vals = st.free_gpu[node].tolist()
                cpu = int(st.free_cpu[node])
                ckey = (c, gm, k, models[node], cpu, *vals)
                chain = chains.get(ckey)
                if chain is None:
                    if len(chains) >= _CHAIN_MEMO_LIMIT:
                        chains.clear()
                    chain = chains[ckey] = []
                u = used[node] = [vals, cpu, int(st.free_mem[node]), int(cache.gpu[node]), 0, None, chain]
            else:
                break
            # The node stays the winner while its new key beats the best other candidate,
            # which does not change meanwhile (only this node changes).
            rival = max(stream_keys[pos] if pos < n_stream else NEG, -heap[0][0] if heap else NEG)
            vals, cpu, mem_left, gpu, n_tasks, got, chain = u
            model, tie = models[node], bonus[node]
            key = None
            while left:
                if shape == "fractional":
                    gpus: tuple[int, ...] = (gpu,)
                elif shape == "whole":    # the k lowest-index free GPUs (the filter says there are k)
                    gpus = (vals.index(MILLI),) if k == 1 else tuple([i for i, v in enumerate(vals) if v == MILLI][:k])
                else:
                    gpus = ()
                for i in gpus:
                    vals[i] -= gm
                cpu -= c
                mem_left -= task_mem
                n_tasks += 1
                left -= 1
                out_append((node, gpus))
                if n_tasks <= len(chain):
                    got = chain[n_tasks - 1]
                else:
                    got = entry(t, vals, cpu, model)
                    chain.append(got)
                if got is None or (mem and mem_left < mem):
                    key = None
                    break
                gpu = got[2]
                key = got[0] * width + tie
                if key < rival:
                    break
            u[1:6] = cpu, mem_left, gpu, n_tasks, got
            if key is not None:
                heappush(heap, (-key, node))
        self._write_back(task, used, cache)
        return out

    def _write_back(self, task: Task, used: dict[int, list], cache: _TypeCache) -> None:
        """Bind :meth:`place_many`'s tasks in the state (one vectorised refresh) and store
        the used nodes' new entries in the type's cache, as :meth:`_rescore_scalar` would."""
        st = self.p.state
        for node, u in used.items():
            st.allocate_run(node, task, u[4], u[0])
        st.refresh()
        width, bonus = st.n_nodes + 1, self.p.tie_bonus_list
        for node, u in used.items():
            got = u[5]
            cache.ver[node] = st.version[node]
            if got is None:
                cache.key[node] = NEG
                continue
            rank, dnum, gpu = got
            cache.key[node] = rank * width + bonus[node]
            cache.gpu[node] = gpu
            cache.score[node] = self._score_of(dnum)
            cache.dnum[node] = dnum

    def decide(self, task: Task, explain: bool, name: str) -> Decision:
        st, t = self.p.state, task.type
        node, keys, cache = self.winner(task, explain)
        if node < 0:
            return Decision(name, task, -1, (), "no feasible node: task fails", n_feasible=0)
        feasible = (keys != NEG) if explain else None
        n_feas = int(np.count_nonzero(feasible)) if explain else -1
        den = st.frag.denominator
        score, dnum = int(cache.score[node]), int(cache.dnum[node])
        gpus = self.gpus(node, t, cache)
        delta = dnum / den
        if not explain:
            rule = ""  # only the inspector reads it; formatting floats costs per placement
        elif self.score_mode:
            rule = f"highest FGD score {score} (Δ {delta:+.2f} milli-GPU)"
        else:
            rule = f"smallest Δ {delta:+.4f} milli-GPU (score {score})"
        d = Decision(name, task, node, gpus, rule, score=score, delta=delta, n_feasible=n_feas)
        if explain:
            idx = np.flatnonzero(feasible)
            d.cand_nodes, d.cand_gpus = idx, cache.gpu[idx].copy()
            d.cand_scores, d.cand_deltas = cache.score[idx].copy(), cache.dnum[idx] / den
            key = cache.key[idx] // (st.n_nodes + 1)
            ties = int((key == key.max()).sum())
            if ties > 1:
                d.rule += f"; {ties} nodes tied, the earliest in the run's node order wins"
        return d

    # ------------------------------------------------------------------ staleness
    def _stale(self, cache: _TypeCache) -> list[int] | None:
        """Nodes whose version differs from ``cache``'s, found through the state's
        change log; None when the log cannot tell (new log, or too long to walk)."""
        st = self.p.state
        log = st.change_log
        if cache.log is not log or len(log) - cache.log_pos > 4 * SCALAR_LIMIT:
            cache.log, cache.log_pos = log, len(log)
            return None
        start, cache.log_pos = cache.log_pos, len(log)
        if start == len(log):
            return []
        ver, cur, allowed = cache.ver, st.version, cache.allowed_list
        if allowed is None:
            return [n for n in set(log[start:]) if ver[n] != cur[n]]
        return [n for n in set(log[start:]) if allowed[n] and ver[n] != cur[n]]

    # ------------------------------------------------------------------ re-scoring
    def _score_of(self, dnum: int) -> int:
        """fgd_score of one Δ numerator, memoised (the same numpy expression, so the
        same float rounding as the vectorised path)."""
        sc = self.score_memo.get(dnum)
        if sc is None:
            sc = self.score_memo[dnum] = int(fgd_score(np.array([dnum], np.int64),
                                                       self.p.state.frag.denominator)[0])
        return sc

    def _rescore(self, t: TaskType, nodes: np.ndarray, cache: _TypeCache) -> None:
        """Δ of the best placement of ``t`` on each of ``nodes``; store it in ``cache``."""
        st = self.p.state
        rank_val, gpu, score, dnum = node_deltas(st, t, nodes, self.score_mode, self.p.lower)
        cache.key[nodes] = rank_val * (st.n_nodes + 1) + self.p.tie_bonus[nodes]
        cache.gpu[nodes] = gpu
        cache.score[nodes] = score
        cache.dnum[nodes] = dnum
        cache.ver[nodes] = st.version[nodes]

    def _rescore_scalar(self, task: Task, nodes: list[int], cache: _TypeCache) -> None:
        """:meth:`_rescore` plus the type's hard filters for a few nodes, in plain Python.

        Round mode changes one node per placement, so a type's cache is usually stale
        at one or two nodes.  Same candidates, same tie rules (lowest GPU index among
        equal scores), same keys (:meth:`_entry`)."""
        st, t = self.p.state, task.type
        width = st.n_nodes + 1
        free_cpu, free_gpu, model_ids = st.free_cpu, st.free_gpu, st.model_id_list
        key_a, gpu_a, score_a, dnum_a, ver_a = cache.key, cache.gpu, cache.score, cache.dnum, cache.ver
        tie_bonus, score_of, entry = self.p.tie_bonus_list, self._score_of, self._entry
        for n in nodes:
            ver_a[n] = st.version[n]
            got = entry(t, free_gpu[n].tolist(), int(free_cpu[n]), model_ids[n])
            if got is None:
                key_a[n] = NEG
                continue
            rank, dnum, gpu = got
            key_a[n] = rank * width + tie_bonus[n]
            gpu_a[n] = gpu
            score_a[n] = score_of(dnum)
            dnum_a[n] = dnum

    def _entry(self, t: TaskType, vals: list[int], cpu: int, model: int) -> tuple[int, int, int] | None:
        """(ranking value, Δ numerator, GPU) of the best placement of ``t`` on a node with
        free GPUs ``vals`` (padding slots hold 0: never a candidate), free CPU ``cpu`` and
        GPU model ``model``; None when the type's CPU or GPU filter fails there.

        Δ depends on the node only through (model, CPU thresholds reached before and
        after, free-GPU multiset), so it is memoised on that; the GPU is then the lowest
        index holding one of the best free values (-1 for a task that takes whole GPUs)."""
        c, gm, k, shape = t.cpu_milli, t.gpu_milli, t.num_gpu, t.shape
        if cpu < c:
            return None
        if shape != "cpu" and not (max(vals) >= gm if shape == "fractional" else vals.count(MILLI) >= k):
            return None
        cthr = self.p.state.frag._cthr_list
        mkey = (c, gm, k, model, bisect_right(cthr, cpu), bisect_right(cthr, cpu - c), *sorted(vals))
        memo = self.delta_memo
        hit = memo.get(mkey)
        if hit is None:
            if len(memo) >= _DELTA_MEMO_LIMIT:
                memo.clear()
            hit = memo[mkey] = self._best_delta(t, vals, cpu, model)
        rank, dnum, best = hit
        if best is not None:
            for i, v in enumerate(vals):
                if v in best:
                    return rank, best[v], i
        return rank, dnum, -1

    def _best_delta(self, t: TaskType, vals: list[int], cpu: int, model: int) -> tuple:
        """(ranking value, Δ numerator, best map or None) of placing ``t`` on a node with
        free GPUs ``vals`` and free CPU ``cpu``.  For a fractional task the best map sends
        each free value whose candidate reaches the best ranking value to its Δ (the
        caller takes the lowest GPU index holding one; the Δ slot is unused); otherwise
        the Δ of the one after-state."""
        fm = self.p.state.frag
        before = fm.frag_one(vals, cpu, model)
        cpu_a = cpu - t.cpu_milli
        exact = not self.score_mode
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
