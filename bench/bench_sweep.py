"""Sweep scaling benchmark: wall time of the shipped sharing A/B sweep on 1 and on 2
workers (local backend), so the speed-up of the process pool is visible.

Each run starts from an empty folder (nothing resumed).  Prints the wall time per
worker count, the speed-up, and checks that both runs gave the same results.parquet
(wall-time column excluded).  Prints figures; never asserts.  The load average is
printed with each run: on a machine shared with other work, a sum of per-point wall
times that grows with the worker count means the cores were oversubscribed, and the
speed-up then says more about the neighbours than about the sweep.

Usage:
    python bench/bench_sweep.py                 # all 90 points, twice (long: ~1 h on 2 free cores)
    python bench/bench_sweep.py --subset 12     # the first 12 points of each arm/placement slice
    python bench/bench_sweep.py --workers 1,2,4
    python bench/bench_sweep.py --subset 9 --workers 2 --compare runs/sharing-ab
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from fragscope.experiments.sweep.results import results_equal_ignoring_wall  # noqa: E402
from fragscope.experiments.sweep.run import run_sweep  # noqa: E402
from fragscope.experiments.sweep.spec import SweepSpec, load_sweep  # noqa: E402

SWEEP = REPO / "scenarios" / "sweeps" / "sharing-ab.yaml"


def subset(spec: SweepSpec, n: int) -> SweepSpec:
    """``n`` points spread evenly over the grid from the first to the last, so a quick
    run still mixes arms, placements and loads (light and saturated)."""
    if n >= len(spec.points):
        return spec
    last = len(spec.points) - 1
    picked = tuple(spec.points[round(i * last / max(n - 1, 1))] for i in range(n))
    return SweepSpec(spec.source, spec.name, spec.description, spec.base, spec.base_label,
                     spec.grid, spec.seeds, spec.fixed, picked)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", default=str(SWEEP))
    ap.add_argument("--subset", type=int, default=None, metavar="N", help="run only N points")
    ap.add_argument("--workers", default="1,2", help="worker counts to time (default 1,2)")
    ap.add_argument("--compare", default=None, metavar="DIR",
                    help="also check the results against an earlier sweep's folder (e.g. "
                         "runs/sharing-ab, the one docs/sharing-ab was made from)")
    args = ap.parse_args()
    spec = load_sweep(args.sweep)
    if args.subset:
        spec = subset(spec, args.subset)
    counts = [int(w) for w in args.workers.split(",")]
    print(f"sweep {Path(args.sweep).relative_to(REPO) if Path(args.sweep).is_relative_to(REPO) else args.sweep}: "
          f"{len(spec.points)} points", flush=True)
    tables = {}
    times = {}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        for w in counts:
            out = Path(tmp) / f"w{w}"
            load_before = os.getloadavg()[0]
            t0 = time.perf_counter()
            outcome = run_sweep(spec, out, backend="local", workers=w)
            times[w] = time.perf_counter() - t0
            import pandas as pd
            tables[w] = pd.read_parquet(outcome.results)
            cpu = float(tables[w]["wall_s"].sum())
            print(f"workers={w}: wall {times[w]:8.1f} s   (sum of per-point wall {cpu:8.1f} s; "
                  f"{outcome.saturated} saturated, {outcome.failed} failed; 1-min load average "
                  f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after)", flush=True)
    if args.compare:
        import pandas as pd
        ref = pd.read_parquet(Path(args.compare) / "results.parquet")
        for w, table in tables.items():
            sub = ref[ref["point"].isin(table["point"])].reset_index(drop=True)
            same = len(sub) == len(table) and results_equal_ignoring_wall(sub, table)
            print(f"workers={w}: same results as {args.compare} (wall_s excluded): {same}")
    base = counts[0]
    for w in counts[1:]:
        same = results_equal_ignoring_wall(tables[base], tables[w])
        print(f"speed-up {base}->{w} workers: {times[base] / times[w]:.2f}x; "
              f"results identical (wall_s excluded): {same}")


if __name__ == "__main__":
    main()
