"""Round mode at the Gavel fork's full scale with a long queue (prints figures; never asserts).

The case of issue 12: 15 000 jobs arriving at t = 0 on the fork's 6 200-GPU cluster (G2
4 392, T4 840, G3 312, P100 264, V100M32 200, V100M16 192; 8 GPUs per server), the
fork's Alibaba size mix, FGD placement, sharing off, decision records off, run for
12 000 simulated seconds.  Prints the wall time of the whole run, and the median time of
rounds with and without an LP recompute (targets: the run <= 5 s, a round without an LP
<= 50 ms at 15 000 active jobs).

``--baseline REV`` runs the same case on commit REV's engine right after this tree's, in
this process (imported from ``git archive`` as bench/compare_round_mode.py does), so the
two figures are measured back to back.

Usage: python bench/bench_scale.py [--jobs 15000] [--seconds 12000] [--sharing] [--baseline REV]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from compare_round_mode import load_baseline  # noqa: E402

import fragscope  # noqa: E402

TYPES = {"G2": 4392, "T4": 840, "G3": 312, "P100": 264, "V100M32": 200, "V100M16": 192}


def scale_scenario(jobs: int, seconds: float, sharing: bool) -> dict:
    """The case as a scenario dict (bench_decisions.py times the same case)."""
    return {"seed": 0, "round_seconds": 600,
            "cluster": {"servers": [{"model": m, "count": n // 8, "gpus": 8} for m, n in TYPES.items()]},
            "workload": {"generate": {"lam": 0, "window": [0, jobs], "mix": "alibaba-fork"}},
            "policy": "max_min_fairness_perf", "placement": "fgd", "sharing": sharing,
            "max_sim_time_s": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=15000)
    ap.add_argument("--seconds", type=float, default=12000)
    ap.add_argument("--sharing", action="store_true")
    ap.add_argument("--baseline", default="", help="git revision to run right after this tree (e.g. e9cea78)")
    args = ap.parse_args()
    scenario = scale_scenario(args.jobs, args.seconds, args.sharing)
    print(f"{args.jobs} jobs at t=0, {sum(TYPES.values())} GPUs, FGD, sharing {'on' if args.sharing else 'off'}, "
          f"to {args.seconds:g} simulated s:")
    sys.path.insert(0, str(REPO))    # an old baseline reads its tables from the repo's engine/
    with tempfile.TemporaryDirectory() as tmp:
        engines = {"this tree": fragscope}
        if args.baseline:
            engines[f"baseline {args.baseline}"] = load_baseline(args.baseline, Path(tmp))
        for engine in engines.values():   # imports and first-call costs (cvxpy's) outside the figures
            warm = engine.Simulation.from_scenario({**scenario, "workload": {"generate": {
                "lam": 0, "window": [0, 50], "mix": "alibaba-fork"}}, "max_sim_time_s": 1200})
            while not warm.done and warm.now < 1200:
                warm.step()
        for name, engine in engines.items():
            measure(name, engine, scenario, args.seconds)


def measure(name: str, engine, scenario: dict, seconds: float) -> None:
    """Build and run one engine's simulation; print its figures."""
    t0 = time.perf_counter()
    sim = engine.Simulation.from_scenario(scenario)
    sim.explain = False
    build = time.perf_counter() - t0
    lp, plain = [], []
    while not sim.done and sim.now < seconds:
        t = time.perf_counter()
        report = sim.step()
        (lp if report.allocation_recomputed else plain).append(time.perf_counter() - t)
    total = time.perf_counter() - t0
    active = len(sim.active_job_ids())
    print(f"  {name}: whole run {total:6.2f} s (building {build:.2f} s), {len(lp) + len(plain)} rounds, "
          f"{active} jobs still active")
    if lp:
        print(f"    rounds with an LP recompute:    median {statistics.median(lp) * 1000:7.1f} ms ({len(lp)})")
    if plain:
        print(f"    rounds without an LP recompute: median {statistics.median(plain) * 1000:7.1f} ms ({len(plain)})",
              flush=True)

if __name__ == "__main__":
    main()
