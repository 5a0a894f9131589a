"""What a placement plug-in costs: one decision over the 1 213 Alibaba GPU nodes, and a
whole fill-up run of the default trace (prints medians; never asserts).

Compares a pure-numpy user plug-in (``scenarios/plugins/worst_fit.py``'s WorstFit) with
the built-in BestFit, both through the same framework (filters, tie rule, GPU pick); the
target is at most 50 µs per decision above BestFit's own cost.  The cluster is first
filled to ~60 % with BestFit so the filters and scores see a realistic mix of nodes.

Usage: python bench/bench_plugins.py [--decisions 2000] [--repeat 5] [--seed 42]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from fragscope.model.packaged import alibaba_trace
from fragscope.placement.cluster_state import ClusterState
from fragscope.placement.fragmentation import target_workload_from_pods, tasks_from_pods
from fragscope.experiments.fill import run_one
from fragscope.placement.placer import Placer, node_tie_rank
from fragscope.placement.registry import REGISTRY
from fragscope.model.alibaba import read_node_list, read_pod_list

REPO = Path(__file__).resolve().parents[1]
WORST_FIT = f"{REPO / 'scenarios' / 'plugins' / 'worst_fit.py'}:WorstFit"


def decision_costs(nodes, pods, names: list[str], n: int, repeat: int, seed: int) -> dict[str, float]:
    """Median µs per decide() (no allocation) over the same ``n`` tasks on the same state."""
    workload = target_workload_from_pods(pods)
    tasks = tasks_from_pods(pods)
    rng = np.random.default_rng(seed)
    state = ClusterState(nodes, workload)
    fill = Placer(state, "bestfit", node_tie_rank(len(nodes), rng))
    for i in rng.permutation(len(tasks))[: int(0.6 * len(tasks))]:
        fill.place(tasks[i])
    sample = [tasks[i] for i in rng.integers(len(tasks), size=n)]
    placers = {name: Placer(state, REGISTRY.create(REGISTRY.resolve(name)), node_tie_rank(len(nodes), rng),
                            ref=REGISTRY.resolve(name)) for name in names}
    out: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeat):
        for name, placer in placers.items():          # alternate: the machine's drift hits both
            t0 = time.perf_counter()
            for i, task in enumerate(sample):
                placer.decide(task, False, i)
            out[name].append((time.perf_counter() - t0) / n * 1e6)
    return {name: statistics.median(v) for name, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--decisions", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--fill-repeat", type=int, default=3)
    args = ap.parse_args()
    node_path, pod_path = alibaba_trace("default")
    nodes, pods = read_node_list(node_path), read_pod_list(pod_path)
    costs = decision_costs(nodes, pods, ["bestfit", WORST_FIT], args.decisions, args.repeat, args.seed)
    print(f"one decision over {len(nodes)} nodes (cluster ~60 % full), median of {args.repeat} x "
          f"{args.decisions} decisions:")
    print(f"  built-in bestfit      {costs['bestfit']:7.1f} µs")
    print(f"  plug-in WorstFit      {costs[WORST_FIT]:7.1f} µs   (+{costs[WORST_FIT] - costs['bestfit']:.1f} µs; "
          "target <= +50 µs)")
    print(f"fill-up of the default trace, seed {args.seed}, median of {args.fill_repeat}:")
    for name in ("bestfit", WORST_FIT):
        times = []
        for _ in range(args.fill_repeat):
            t0 = time.perf_counter()
            run = run_one(nodes, pods, name, args.seed)
            times.append(time.perf_counter() - t0)
        label = "plug-in WorstFit" if name == WORST_FIT else "built-in bestfit"
        print(f"  {label:<20} {statistics.median(times):6.2f} s  ({run.n_pods} pods, "
              f"{run.n_failed} failed)")


if __name__ == "__main__":
    main()
