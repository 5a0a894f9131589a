"""The FGD paper's fill-up experiment (``fgd.md`` §5), fast and deterministic.

One run = (trace, placement, seed):

1. M is built from the *original* pod list (§2.4).
2. Pods are sorted by name and shuffled with the seed.
3. The list is tuned to 130 % of the cluster's GPU capacity: pods resampled uniformly
   with replacement are appended until one more would exceed the target — the stop test
   compares only the candidate's *per-GPU* milli, the reference's quirk — or random pods
   are removed while the total is above it.
4. Node ties are broken by a seeded random node order fixed for the run.
5. Pods arrive one at a time; no departures, no retries; failed pods still count as
   arrived.  After every arrival we record the cluster metrics.
6. Events are binned by round(100·arrived/capacity) into x = 0..130 (mean over events in
   the bin, falling back to x±1), exactly like the reference's merge scripts.

Randomness comes from ``numpy.random.SeedSequence(seed)``: one child stream for the
workload (shuffle + tuning), one for the node order, one for the policy (Random's
choices).  The workload and node order therefore depend only on the seed, so all
policies see the same arrivals — common random numbers make policy differences less
noisy.  Exact reproduction of the Go RNG is not a goal, statistical fidelity is.

Runs are independent, so seeds/placements run in spawn-safe worker processes; results
are collected and written in input order, so files are byte-identical whatever the
number of workers.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .processes import release_process_helpers
from ..model.atomic import atomic_write

from ..model.alibaba import NodeList, PodList, read_node_list, read_pod_list
from ..model.errors import InputError
from ..placement.cluster_state import ClusterState
from ..placement.fragmentation import TargetWorkload, target_workload_from_pods, tasks_from_pods
from ..model.units import MILLI
from ..placement.fgd import PAPER_PLACEMENTS, SCORING_ALIASES, SCORINGS, canonical_scoring
from ..placement.placer import Placer, node_tie_rank
from ..placement.registry import REGISTRY
from ..plugins import PluginRef

METRICS = ("unalloc_gpu_pct", "frag_rate_pct", "frag_over_total_pct", "occupied_nodes")
MAX_X = 130
MAX_TUNED_PODS = 5_000_000
CURVE_COLUMNS = ("placement", "seed", "arrived_pct") + METRICS


@dataclass(eq=False)
class FillRun:
    """One fill-up run: per-event integer traces and the binned curve (x = 0..130)."""

    placement: str
    seed: int
    n_pods: int
    n_failed: int
    seconds: float
    capacity_gpu_milli: int
    arrived_milli: np.ndarray      # int64 per event (cumulative GPU request, failed pods included)
    idle_milli: np.ndarray         # int64 per event
    frag_num: np.ndarray           # int64 per event: D·F
    frag_den: int
    occupied: np.ndarray           # int64 per event
    curve: np.ndarray = field(default=None)   # (131, 4) float, NaN where a bin is empty

    def event_metrics(self) -> dict[str, np.ndarray]:
        """Per-event metrics in the plotted units."""
        cap = float(self.capacity_gpu_milli)
        frag = self.frag_num / self.frag_den
        idle = self.idle_milli.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(idle > 0, 100.0 * frag / np.where(idle > 0, idle, 1.0), 0.0)
        alloc = cap - idle
        return {"unalloc_gpu_pct": 100.0 - 100.0 * alloc / cap,
                "frag_rate_pct": rate,
                "frag_over_total_pct": 100.0 * frag / cap,
                "occupied_nodes": self.occupied.astype(np.float64)}


@dataclass(eq=False)
class FillOutput:
    curves_csv: Path
    median_csv: Path
    runs: list[FillRun]


# --------------------------------------------------------------------------- workload

def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    ss = np.random.SeedSequence(int(seed))
    w, n, p = ss.spawn(3)
    return np.random.default_rng(w), np.random.default_rng(n), np.random.default_rng(p)


def arrival_order(pods: PodList, capacity_gpu_milli: int, rng: np.random.Generator,
                  tune_ratio: float = 1.3) -> np.ndarray:
    """Pod indices in arrival order: shuffled trace, then tuned to ``tune_ratio``·capacity."""
    by_name = np.array(sorted(range(len(pods)), key=pods.names.__getitem__), np.int64)
    order = list(by_name[rng.permutation(len(pods))])
    req = (pods.num_gpu * pods.gpu_milli).astype(np.int64)
    total = int(req.sum())
    target = float(tune_ratio) * float(capacity_gpu_milli)
    if tune_ratio <= 0 or float(total) == target:
        return np.asarray(order, np.int64)
    if float(total) < target:
        n, per_gpu, req_l = len(pods), pods.gpu_milli.tolist(), req.tolist()
        appended = 0
        while True:                                           # draws in blocks: same stream, less overhead
            for i in by_name[rng.integers(n, size=4096)].tolist():
                if float(total + per_gpu[i]) > target:       # quirk: per-GPU milli only
                    return np.asarray(order, np.int64)
                total += req_l[i]
                order.append(i)
            appended += 4096
            if appended > MAX_TUNED_PODS:
                raise InputError(pods.source, f"tuning to {tune_ratio:g}x the GPU capacity would need more "
                                              f"than {MAX_TUNED_PODS} resampled pods; the trace's GPU "
                                              f"requests are too small for this cluster")
    else:
        while float(total) > target and order:
            j = int(rng.integers(len(order)))
            total -= int(req[order.pop(j)])
    return np.asarray(order, np.int64)


# --------------------------------------------------------------------------- one run

def _check_fgd_mode(fgd_mode: str) -> None:
    if not isinstance(fgd_mode, str) or canonical_scoring(fgd_mode) is None:
        allowed = ", ".join((*SCORINGS, *SCORING_ALIASES))
        raise InputError("fgd_mode", f"unknown FGD mode {fgd_mode!r}; allowed: {allowed}")


def run_one(nodes: NodeList, pods: PodList, placement: str | PluginRef, seed: int,
            workload: TargetWorkload | None = None, fgd_mode: str = "score",
            memory_filter: bool = True, tune_ratio: float = 1.3, params: dict | None = None) -> FillRun:
    """One fill-up run (in this process).  ``workload`` defaults to M of ``pods``;
    ``placement`` is a registered name, ``file.py:Class``, ``module:Class`` or a resolved
    reference, built with ``params``."""
    ref = placement if isinstance(placement, PluginRef) else REGISTRY.resolve(placement, where="--placement")
    obj = REGISTRY.create(ref, params)
    _check_fgd_mode(fgd_mode)
    if nodes.total_gpus == 0:
        raise InputError(nodes.source, "the node list has no GPUs; the fill-up experiment needs GPU nodes")
    if pods.total_gpu_milli == 0:
        raise InputError(pods.source, "the pod list requests no GPU; the fill-up experiment needs GPU pods")
    if workload is None:
        workload = target_workload_from_pods(pods)
    t0 = time.perf_counter()
    rng_w, rng_n, rng_p = _streams(seed)
    order = arrival_order(pods, MILLI * nodes.total_gpus, rng_w, tune_ratio)
    state = ClusterState(nodes, workload)
    placer = Placer(state, obj, node_tie_rank(len(nodes), rng_n), rng_p, fgd_mode, memory_filter, ref)
    tasks = tasks_from_pods(pods)
    req = (pods.num_gpu * pods.gpu_milli).astype(np.int64)
    n = order.size
    arrived = np.cumsum(req[order])
    idle: list[int] = []
    frag: list[int] = []
    occ: list[int] = []
    failed = 0
    # ~10^4 arrivals a run: no decision record (place_fast), metrics gathered in lists
    place = placer.place_fast
    for e, i in enumerate(order.tolist()):
        node, _ = place(tasks[i], e)   # a plug-in sees the pod's position in the arrival order
        if node < 0:
            failed += 1
        idle.append(state.idle_sum)
        frag.append(state.frag_sum)
        occ.append(state.occupied)
    run = FillRun(placer.name, int(seed), int(n), failed, time.perf_counter() - t0, state.capacity_gpu_milli,
                  arrived, np.array(idle, np.int64), np.array(frag, np.int64), state.frag.denominator,
                  np.array(occ, np.int64))
    run.curve = bin_curve(run)
    return run


def bin_curve(run: FillRun) -> np.ndarray:
    """(131, 4) metrics by integer arrived % — mean over events, fallback to x±1."""
    total_gpus = run.capacity_gpu_milli // MILLI
    x = np.round(run.arrived_milli / total_gpus / 10)        # as the reference scripts (half-even)
    ev = run.event_metrics()
    vals = np.column_stack([ev[m] for m in METRICS])
    out = np.full((MAX_X + 1, len(METRICS)), np.nan)
    for xi in range(MAX_X + 1):
        sel = x == xi
        if not sel.any():
            sel = (x >= xi - 1) & (x <= xi + 1)
            if not sel.any():
                continue
        out[xi] = vals[sel].mean(axis=0)
    return out


# --------------------------------------------------------------------------- many runs

def _job(args: tuple) -> FillRun:
    nodes, pods, workload, ref, params, seed, fgd_mode, memory_filter, tune_ratio = args
    return run_one(nodes, pods, ref, seed, workload, fgd_mode, memory_filter, tune_ratio, params)


def usable_cores() -> int:
    """Cores this process may run on (its affinity set)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                                    # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def free_cores() -> int:
    """Cores we may use: the affinity set minus the current load (at least 1)."""
    cores = usable_cores()
    try:
        load = os.getloadavg()[0]
    except OSError:                                           # pragma: no cover
        load = 0.0
    return max(1, min(cores, int(cores - load + 0.5)))


def run_fill(nodes_csv: str | Path, pods_csv: str | Path, placements: Sequence[str],
             seeds: Sequence[int], out_dir: str | Path, fgd_mode: str = "score",
             memory_filter: bool = True, workers: int | None = None,
             progress: Callable[[int, int, str, int], None] | None = None,
             tune_ratio: float = 1.3, params: dict[str, dict] | None = None) -> FillOutput:
    """Run every (placement, seed), write ``curves.csv`` and ``median.csv`` atomically.

    ``placements``: registered names or plug-ins (``file.py:Class`` relative to the
    current folder, ``module:Class``); ``params`` maps a placement as given to its
    keyword parameters.  ``workers`` None = use separate processes when more than one
    core is free; 1 = run here.  ``progress(done, total, placement, seed)`` is called as
    runs finish.
    """
    if not placements:
        raise InputError("--placement", f"no placement given; allowed: {', '.join(REGISTRY.names())}")
    refs = [REGISTRY.resolve(p, where="--placement") for p in placements]
    params = params or {}
    objs = [REGISTRY.create(r, params.get(r.spec)) for r in refs]   # bad params fail here, once
    labels = [REGISTRY.display_name(r, o) for r, o in zip(refs, objs)]
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        specs = [r.spec for r, x in zip(refs, labels) if x == dup]
        raise InputError("--placement", f"{' and '.join(specs)} are both named {dup!r}: a placement is "
                         "listed twice, or two plug-ins share a name (curves.csv tells placements "
                         "apart by name)")
    try:
        seed_list = [int(s) for s in seeds]
    except (TypeError, ValueError):
        raise InputError("seeds", "seeds must be whole numbers") from None
    if not seed_list or len(set(seed_list)) != len(seed_list) or min(seed_list) < 0:
        raise InputError("seeds", "give at least one seed; seeds must be distinct and >= 0")
    _check_fgd_mode(fgd_mode)
    if not (isinstance(tune_ratio, (int, float)) and 0 < tune_ratio <= 10):
        raise InputError("tune_ratio", f"{tune_ratio!r} out of range; allowed: 0 < ratio <= 10")
    nodes = read_node_list(nodes_csv)
    pods = read_pod_list(pods_csv)
    if nodes.total_gpus == 0:
        raise InputError(nodes.source, "the node list has no GPUs; the fill-up experiment needs GPU nodes")
    if pods.total_gpu_milli == 0:
        raise InputError(pods.source, "the pod list requests no GPU; the fill-up experiment needs GPU pods")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "the output folder is a file")
    workload = target_workload_from_pods(pods)
    jobs = [(nodes, pods, workload, r, params.get(r.spec), s, fgd_mode, memory_filter, float(tune_ratio))
            for r in refs for s in seed_list]
    n_workers = free_cores() if workers is None else max(1, int(workers))
    n_workers = min(n_workers, len(jobs))
    runs: list[FillRun | None] = [None] * len(jobs)
    if n_workers <= 1:
        for i, job in enumerate(jobs):
            runs[i] = _job(job)
            if progress:
                progress(i + 1, len(jobs), labels[i // len(seed_list)], job[5])
    else:
        try:
            with ProcessPoolExecutor(n_workers, mp_context=get_context("spawn")) as pool:
                futures = [pool.submit(_job, job) for job in jobs]
                done = 0
                for i, fut in enumerate(futures):
                    runs[i] = fut.result()
                    done += 1
                    if progress:
                        progress(done, len(jobs), labels[i // len(seed_list)], jobs[i][5])
        finally:
            release_process_helpers()
    try:   # created only now: a run that failed leaves no folder behind
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(out), f"cannot create the output folder: {exc.strerror or exc}") from None
    curves_csv, median_csv = out / "curves.csv", out / "median.csv"
    _write_atomic(curves_csv, curves_text(runs))
    _write_atomic(median_csv, median_text(runs))
    return FillOutput(curves_csv, median_csv, runs)


# --------------------------------------------------------------------------- output

def _fmt(v: float) -> str:
    return "" if not np.isfinite(v) else f"{v:.6f}"


def curves_text(runs: Sequence[FillRun]) -> str:
    lines = [",".join(CURVE_COLUMNS)]
    for r in runs:
        for x in range(MAX_X + 1):
            lines.append(",".join([r.placement, str(r.seed), str(x)] + [_fmt(v) for v in r.curve[x]]))
    return "\n".join(lines) + "\n"


def median_text(runs: Sequence[FillRun]) -> str:
    cols = ["placement", "arrived_pct", "n_seeds"]
    for m in METRICS:
        cols += [f"{m}_median", f"{m}_mean"]
    lines = [",".join(cols)]
    order: list[str] = []
    for r in runs:
        if r.placement not in order:
            order.append(r.placement)
    for p in order:
        stack = np.stack([r.curve for r in runs if r.placement == p])       # (seeds, 131, 4)
        for x in range(MAX_X + 1):
            row = [p, str(x)]
            vals = stack[:, x, :]
            ok = np.isfinite(vals[:, 0])
            row.append(str(int(ok.sum())))
            for j in range(len(METRICS)):
                v = vals[ok, j]
                row += [_fmt(float(np.median(v))) if v.size else "", _fmt(float(v.mean())) if v.size else ""]
            lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    atomic_write(path, text)
