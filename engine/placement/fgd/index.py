"""FGD's index: per task type, every node's best (score, GPU, Δ), kept current.

A fill-up run asks ~10⁴ times over ~1.2·10³ nodes, and round mode re-places ~900 jobs a
round at Alibaba scale.  So per task type a cache holds each node's ranking key together
with the node's content ``version``; only nodes that changed since the type was last
scored are re-scored — in one vectorised batch (:func:`..delta.node_deltas`), or in plain
Python for a handful of nodes, where numpy's per-call overhead would dominate.

The index reads nothing but the public :class:`~..contract.ClusterView` (its arrays,
``version``, ``changes_since``, ``tie_rank``, ``feasible``, ``fragmentation``) and never
writes to the cluster: :class:`~. FGD` answers ``score``, ``pick_gpus`` and ``explain``
from it, and its ``place_many`` hook returns (node, GPUs) answers that the framework
checks and binds.  The winner is the one ``score`` + the framework's tie rule give;
``tests/test_placement_hooks.py`` pins that against a plug-in written from
``ClusterView.frag_delta`` alone.
"""

from __future__ import annotations

from bisect import bisect_right
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

import numpy as np

from ..contract import task_type
from ..delta import NEG, fgd_score, node_deltas
from ..fragmentation import TaskType
from ...model.units import MILLI

if TYPE_CHECKING:
    from ..contract import ClusterView, TaskView

SCALAR_LIMIT = 24   # stale nodes up to which FGD re-scores in plain Python
_DELTA_MEMO_LIMIT = 1 << 20
_CHAIN_MEMO_LIMIT = 1 << 16


class _TypeCache:
    """FGD's per-task-type, per-node memory of the last scoring (valid while versions match)."""

    __slots__ = ("t", "probe", "ver", "key", "gpu", "score", "dnum", "mark", "allowed", "allowed_list",
                 "pending")

    def __init__(self, t: TaskType, probe: TaskView, n: int, allowed: np.ndarray | None = None) -> None:
        self.t = t                         # the type, for the Δ arithmetic
        self.probe = probe                 # a TaskView of the type without memory: its filters
        self.mark: Any = None              # ClusterView.changes_since's mark of the last look
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
        # place_many's entries for the nodes it filled: node -> (free GPU values, free CPU
        # after the run, entry), taken over at the next look if the node holds exactly that
        self.pending: dict[int, tuple] | None = None


class FgdIndex:
    """FGD's caches over one cluster view (:meth:`bind`); a copy starts with empty caches."""

    def __init__(self, score_mode: bool, memos: tuple | None = None) -> None:
        self.score_mode = score_mode
        self.view: ClusterView | None = None
        self.frag: Any = None
        self.caches: dict[tuple, _TypeCache] = {}
        self._memos(memos)

    def _memos(self, memos: tuple | None) -> None:
        score_memo, delta_memo, chain_memo = memos if memos is not None else ({}, {}, {})
        self.score_memo: dict[int, int] = score_memo
        # (task shape, model, CPU positions before/after, sorted free vector) -> the
        # node's best Δ and the free values reaching it: Δ depends on nothing else.
        self.delta_memo: dict[tuple, tuple] = delta_memo
        # (task shape, model, free CPU, free GPU values in slot order) -> the node's
        # :meth:`_entry` after 1, 2, ... placements of that task there (place_many fills
        # nodes one after the other; every pick is a function of this key)
        self.chain_memo: dict[tuple, list] = chain_memo

    def bind(self, view: ClusterView) -> None:
        """Work on ``view`` from now on: the caches start empty; the pure memos are kept
        when the fragmentation measure is the same (a fork's view, or a copy's)."""
        if view.fragmentation is not self.frag:
            self._memos(None)
        self.view, self.frag = view, view.fragmentation
        self.caches = {}
        n = view.n_nodes
        self.width = n + 1                                  # key = ranking value * width + tie bonus
        self.tie_bonus = n - view.tie_rank.astype(np.int64)  # larger = earlier in the run's node order
        self.tie_bonus_list = self.tie_bonus.tolist()
        self.model_list = view.model_index.tolist()
        self.cthr = [int(c) for c in self.frag.cthr]
        self.lower = np.tri(view.free_gpu_milli.shape[1], k=-1, dtype=bool)

    def __deepcopy__(self, memo: dict) -> "FgdIndex":
        # Caches are memos of a pure function of node content: a copy (a fork, the UI's
        # rewind ring) starts with none, bound to its own view at its first call, and
        # shares the pure memos.
        new = FgdIndex(self.score_mode, (self.score_memo, self.delta_memo, self.chain_memo))
        new.frag = self.frag
        memo[id(self)] = new
        return new

    def __reduce__(self):
        return FgdIndex, (self.score_mode,)     # to another process: no caches, no memos

    # ------------------------------------------------------------------ the type's cache
    def current(self, task: TaskView) -> _TypeCache:
        """The type's cache with every node's entry up to date: ranking key, GPU, score
        and Δ for nodes passing the type's filters (CPU, model, GPU; memory is per task
        and not part of it), key NEG for the others."""
        view = self.view
        key = (task[0], task[1], task[2], task[4])
        cache = self.caches.get(key)
        if cache is None:
            t = task_type(task)
            models = task.allowed_models
            allowed = None
            if models and t.shape != "cpu":
                ok = [i for i, name in enumerate(view.model_names) if name in models]
                allowed = np.isin(view.model_index, ok)
            probe = task._replace(memory_mib=0, job_id=-1)
            cache = self.caches[key] = _TypeCache(t, probe, view.n_nodes, allowed)
        if cache.pending:
            self._take_over(cache)
        # the nodes whose version differs from the cache's, found through the view's change
        # log; None when the log cannot tell (a new log, or too long to walk)
        stale, cache.mark = view.changes_since(cache.mark, 4 * SCALAR_LIMIT)
        if stale:
            ver, cur, allowed = cache.ver, view.version, cache.allowed_list
            if allowed is None:
                stale = [n for n in set(stale) if ver[n] != cur[n]]
            else:
                stale = [n for n in set(stale) if allowed[n] and ver[n] != cur[n]]
        if stale is None or len(stale) > SCALAR_LIMIT:
            if stale is None:
                changed = cache.ver != view.version
                stale = np.flatnonzero(changed if cache.allowed is None else changed & cache.allowed)
            else:
                stale = np.array(sorted(stale), np.int64)
            ok = view.feasible(cache.probe, stale)
            bad = stale[~ok]
            cache.key[bad] = NEG
            cache.ver[bad] = view.version[bad]
            if ok.any():
                self._rescore(cache.t, stale[ok], cache)
        elif stale:
            self._rescore_scalar(cache.t, stale, cache)
        return cache

    def winner(self, task: TaskView, explain: bool = False) -> tuple[int, np.ndarray, _TypeCache]:
        """FGD's winning node for ``task`` (-1: none feasible), the ranking keys it won
        on (nodes failing a filter at NEG) and the type's cache."""
        view = self.view
        cache = self.current(task)
        keys = cache.key
        node = int(keys.argmax())
        mem = task.memory_mib
        if view.memory_filter and mem > 0 and (explain or view.free_memory_mib[node] < mem):
            # (when the overall best passes the memory filter it is also the filtered best)
            keys = np.where(view.free_memory_mib >= mem, keys, NEG)
            node = int(keys.argmax())
        if keys[node] == NEG:
            node = -1
        return node, keys, cache

    def gpus(self, node: int, task: TaskView, cache: _TypeCache) -> tuple[int, ...]:
        return (int(cache.gpu[node]),) if cache.t.shape == "fractional" else self.view.default_gpus(task, node)

    # ------------------------------------------------------------------ the fast hook
    def place_many(self, task: TaskView, count: int) -> list[tuple[int, tuple[int, ...]]]:
        """Where ``count`` copies of ``task`` go, one after the other: the same (node, GPU
        slots) as ``count`` single decisions, each bound before the next; a last (-1, ())
        when a copy finds no node.  Nothing is written to the cluster (the framework binds).

        Round mode places runs of identical tasks (the fork's mix has a few dozen task
        types a round for ~10³ placements).  Between two placements of a run only the
        node just used changes, so the next winner is the better of two candidates: the
        best node not used yet (the keys of untouched nodes never change during the run:
        one sorted list) and the best node used already (a heap of their new keys).
        Keys are unique (the tie bonus), so this is the argmax :meth:`winner` would
        take.  A node is mostly filled placement after placement, so its successive
        entries are read from ``chain_memo`` (keyed by its content before the run)
        rather than re-scored.  The used nodes are tracked in Python; their entries wait
        in the cache's ``pending`` until the next look confirms the framework bound them."""
        view = self.view
        cache = self.current(task)                       # (winner's steps, written out: ~10⁴ calls a run)
        keys = cache.key
        node = int(keys.argmax())
        mem = task.memory_mib if view.memory_filter else 0
        free_mem = view.free_memory_mib
        if mem > 0 and free_mem[node] < mem:
            keys = np.where(free_mem >= mem, keys, NEG)
            node = int(keys.argmax())
        if keys[node] == NEG:
            return [(-1, ())]
        if count <= 1:
            return [((node, (int(cache.gpu[node]),)) if cache.t.shape == "fractional"
                     else (node, view.default_gpus(task, node)))]
        t = cache.t
        keys = cache.key
        if mem > 0:
            keys = np.where(free_mem >= mem, keys, NEG)
        cand = np.flatnonzero(keys > NEG)
        if cand.size > count:  # no run takes more untouched nodes than it has tasks
            cand = cand[np.argpartition(-keys[cand], count - 1)[:count]]
        cand = cand[np.argsort(-keys[cand])]
        stream, stream_keys = cand.tolist(), keys[cand].tolist()
        c, gm, k, shape = t.cpu_milli, t.gpu_milli, t.num_gpu, t.shape
        used: dict[int, list] = {}      # node -> [free GPU values, CPU, memory, GPU, tasks, entry, chain]
        chains = self.chain_memo
        heap: list[tuple[int, int]] = []
        width, bonus, models = self.width, self.tie_bonus_list, self.model_list
        free_gpu, free_cpu = view.free_gpu_milli, view.free_cpu_milli
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
                vals = free_gpu[node].tolist()
                cpu = int(free_cpu[node])
                ckey = (c, gm, k, models[node], cpu, *vals)
                chain = chains.get(ckey)
                if chain is None:
                    if len(chains) >= _CHAIN_MEMO_LIMIT:
                        chains.clear()
                    chain = chains[ckey] = []
                u = used[node] = [vals, cpu, int(free_mem[node]), int(cache.gpu[node]), 0, None, chain]
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
        if left:
            out_append((-1, ()))
        cache.pending = {node: (u[0], u[1], u[5]) for node, u in used.items()}
        return out

    def _take_over(self, cache: _TypeCache) -> None:
        """The entries :meth:`place_many` computed for the nodes it filled, for each node
        that holds exactly the content the run left (the framework bound the answers):
        what a re-score would find, without the re-scoring."""
        view = self.view
        free_gpu, free_cpu, version = view.free_gpu_milli, view.free_cpu_milli, view.version
        width, bonus = self.width, self.tie_bonus_list
        for node, (vals, cpu, got) in cache.pending.items():
            if int(free_cpu[node]) != cpu or free_gpu[node].tolist() != vals:
                continue
            cache.ver[node] = version[node]
            if got is None:
                cache.key[node] = NEG
                continue
            rank, dnum, gpu = got
            cache.key[node] = rank * width + bonus[node]
            cache.gpu[node] = gpu
            cache.score[node] = self._score_of(dnum)
            cache.dnum[node] = dnum
        cache.pending = None

    # ------------------------------------------------------------------ re-scoring
    def _score_of(self, dnum: int) -> int:
        """fgd_score of one Δ numerator, memoised (the same numpy expression, so the
        same float rounding as the vectorised path)."""
        sc = self.score_memo.get(dnum)
        if sc is None:
            sc = self.score_memo[dnum] = int(fgd_score(np.array([dnum], np.int64), self.frag.denominator)[0])
        return sc

    def _rescore(self, t: TaskType, nodes: np.ndarray, cache: _TypeCache) -> None:
        """Δ of the best placement of ``t`` on each of ``nodes``; store it in ``cache``."""
        view = self.view
        rank_val, gpu, score, dnum = node_deltas(view, t, nodes, self.score_mode, self.lower)
        cache.key[nodes] = rank_val * self.width + self.tie_bonus[nodes]
        cache.gpu[nodes] = gpu
        cache.score[nodes] = score
        cache.dnum[nodes] = dnum
        cache.ver[nodes] = view.version[nodes]

    def _rescore_scalar(self, t: TaskType, nodes: list[int], cache: _TypeCache) -> None:
        """:meth:`_rescore` plus the type's hard filters for a few nodes, in plain Python.

        Round mode changes one node per placement, so a type's cache is usually stale
        at one or two nodes.  Same candidates, same tie rules (lowest GPU index among
        equal scores), same keys (:meth:`_entry`)."""
        view = self.view
        width = self.width
        free_cpu, free_gpu, model_ids, version = view.free_cpu_milli, view.free_gpu_milli, self.model_list, view.version
        key_a, gpu_a, score_a, dnum_a, ver_a = cache.key, cache.gpu, cache.score, cache.dnum, cache.ver
        tie_bonus, score_of, entry = self.tie_bonus_list, self._score_of, self._entry
        for n in nodes:
            ver_a[n] = version[n]
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
        cthr = self.cthr
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
        fm = self.frag
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
