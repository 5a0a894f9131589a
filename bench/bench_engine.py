"""Engine benchmarks for issue 2 (prints figures; never asserts).

1. Wall time of Gavel's continuous 36:36:36 run at 4 jobs/hour, jobs 200-300
   measured, for both MaxMinFairness policies (Gavel's own simulator: 34-50 s on a
   2-core machine).  Median of --repeat runs, each a fresh Simulation in this process.
2. Allocation (LP) time at 100, 1 000 and 2 000 active jobs: max_min_fairness_perf,
   job types from Gavel's generator (seed 2), N/4 GPUs of each type, as in Gavel's
   sweep_policy_runtimes.py (Gavel + cvxpy: ~10, 40, 70 ms).  Both our direct-ECOS
   path and the cvxpy path are timed, back to back in the same process.

Usage: python bench/bench_engine.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from fragscope import Simulation, summary  # noqa: E402
from fragscope.policies import AllocationInputs, make_policy  # noqa: E402
from fragscope.model.throughputs import builtin_path, load_throughputs  # noqa: E402
from fragscope.workload.gavel_generator import GeneratorConfig, generate_job  # noqa: E402


def bench_run(policy: str, repeat: int) -> None:
    times, sim = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        sim = Simulation.from_scenario(REPO / "scenarios" / "gavel" / "continuous-36.yaml",
                                       [f"policy={policy}"])
        sim.run_to_end()
        times.append(time.perf_counter() - t0)
    s = summary(sim)
    print(f"  {policy:24s} median {statistics.median(times):6.2f} s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}; {s['num_rounds']} rounds, "
          f"{s['num_alloc_resets']} LP solves, {s['jobs_arrived']} jobs arrived)")


def lp_inputs(num_jobs: int, multi_gpu: bool) -> AllocationInputs:
    table = load_throughputs(builtin_path("simulation"))
    rng = random.Random(2)
    cfg = GeneratorConfig(lam=0, window=(0, num_jobs), multi_gpu=multi_gpu)
    jobs = [generate_job(rng, table, cfg, i, 0.0) for i in range(num_jobs)]
    types = ["k80", "p100", "v100"]
    spec = {w: max(num_jobs // 4, 1) for w in types}
    ids = [j.job_id for j in jobs]
    return AllocationInputs(
        job_ids=ids, worker_types=types,
        throughputs={j.job_id: {w: table.get(w, j.key) for w in types} for j in jobs},
        scale_factors={j.job_id: j.scale_factor for j in jobs},
        priority_weights={j.job_id: 1.0 for j in jobs}, cluster_spec=spec,
        num_steps_remaining={j.job_id: j.total_steps for j in jobs},
        times_since_start={j.job_id: 0.0 for j in jobs})


def bench_lp(sizes: list[int], repeat: int) -> None:
    for multi in (False, True):
        print(f"  {'multi-GPU' if multi else 'single-GPU'} job mix:")
        for n in sizes:
            inputs = lp_inputs(n, multi)
            row = []
            for direct in (True, False):
                policy = make_policy("max_min_fairness_perf")
                policy.direct = direct
                policy.get_allocation(inputs)  # warm-up (first call imports and caches)
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    policy.get_allocation(inputs)
                    times.append(time.perf_counter() - t0)
                row.append(statistics.median(times))
            print(f"    {n:5d} jobs: direct ECOS {row[0] * 1000:7.1f} ms   cvxpy+ECOS {row[1] * 1000:7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"36:36:36, 4 jobs/h, jobs 200-300 measured (median of {args.repeat}; Gavel: 34-50 s; target <= 10 s)")
    for policy in ("max_min_fairness", "max_min_fairness_perf"):
        bench_run(policy, args.repeat)
    print(f"LP solve, max_min_fairness_perf (median of {max(args.repeat, 3)}; Gavel: ~10 / 40 / 70 ms)")
    bench_lp([100, 1000, 2000], max(args.repeat, 3))


if __name__ == "__main__":
    main()
