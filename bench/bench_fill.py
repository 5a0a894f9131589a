"""Wall time of one fill-up run (default trace, 1 213 nodes, ~10 900 arrivals, one seed).

Target (``fgd.md`` §8 and the task brief): FGD <= 10 s on a 2-core machine; the Go
simulator needs about an hour, a straightforward Python version with a node-shape memo
about 40 s.  Each figure is the median of ``--repeat`` runs (default 3) and covers
reading the CSVs, building M, the shuffle/tuning, every placement and the metrics —
everything but interpreter start-up and imports.

Usage: ``python bench/bench_fill.py [--seed 42] [--repeat 3] [--placements fgd,bestfit,random]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from fragscope.model.packaged import alibaba_trace  # noqa: E402
from fragscope.experiments.fill import run_one  # noqa: E402
from fragscope.model.alibaba import read_node_list, read_pod_list  # noqa: E402

def time_run(placement: str, seed: int, fgd_mode: str = "score") -> tuple[float, object]:
    t0 = time.perf_counter()
    nodes = read_node_list(alibaba_trace("default")[0])
    pods = read_pod_list(alibaba_trace("default")[1])
    run = run_one(nodes, pods, placement, seed, fgd_mode=fgd_mode)
    return time.perf_counter() - t0, run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="time one fill-up run of the default trace")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--placements", default="fgd,bestfit,random")
    ap.add_argument("--fgd-mode", default="score", choices=("score", "exact"))
    args = ap.parse_args(argv)
    print(f"fill-up, default trace, seed {args.seed}, median of {args.repeat} runs")
    for p in args.placements.split(","):
        times, run = [], None
        for _ in range(max(1, args.repeat)):
            secs, run = time_run(p, args.seed, args.fgd_mode)
            times.append(secs)
        extra = f" (fgd_mode={args.fgd_mode})" if p == "fgd" else ""
        print(f"  {p:<11}{extra} median {statistics.median(times):6.2f} s   runs "
              f"{', '.join(f'{t:.2f}' for t in times)}   {run.n_pods} arrivals, {run.n_failed} failed, "
              f"unallocated at 100 %: {run.curve[100, 0]:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
