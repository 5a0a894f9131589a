"""The max-min-fairness LP at scale: per job (Gavel's per-job ECOS) and over job classes
(policies/classes.py, round mode), at 2 000, 5 000 and 15 000 active jobs on the Gavel
fork's six GPU types (prints medians; never asserts).

Jobs are drawn with Gavel's generator and the fork's Alibaba size mix (fractional GPU
demands, sharing on), throughputs from Gavel's table with the fork's aliases (G2 = 0.8 ×
V100, G3 = 0.9 × V100, T4 = 0.35 × V100, P100, V100M16/M32 = V100).  Time is the policy's
``get_allocation`` (the LP recompute) on ready inputs; the target at 15 000 jobs is 100 ms.

Usage: python bench/bench_lp.py [--sizes 2000,5000,15000] [--repeat 3] [--per-job-max 15000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from fragscope import load_scenario
from fragscope.policies import AllocationInputs, make_policy
from fragscope.workload.gavel_generator import generate_job

TYPES = {"G2": 4392, "T4": 840, "G3": 312, "P100": 264, "V100M32": 200, "V100M16": 192}


def inputs_for(num_jobs: int, seed: int = 0) -> AllocationInputs:
    servers = [{"model": m, "count": n // 8, "gpus": 8} for m, n in TYPES.items()]
    cfg = load_scenario({"cluster": {"servers": servers},
                         "workload": {"generate": {"lam": 0, "window": [0, num_jobs], "mix": "alibaba-fork"}},
                         "sharing": True, "placement": "fgd"})
    table, gen = cfg.throughputs, cfg.workload.config
    rng = random.Random(seed)
    jobs = [generate_job(rng, table, gen, i, 0.0) for i in range(num_jobs)]
    types = sorted(TYPES)
    return AllocationInputs(
        job_ids=[j.job_id for j in jobs], worker_types=types,
        throughputs={j.job_id: {w: table.get(w, j.key) * j.gpu_milli / 1000 for w in types} for j in jobs},
        scale_factors={j.job_id: j.scale_factor for j in jobs},
        priority_weights={j.job_id: j.priority_weight for j in jobs},
        cluster_spec={w: TYPES[w] // 8 * 8 for w in types},
        num_steps_remaining={j.job_id: j.total_steps for j in jobs},
        times_since_start={j.job_id: 0.0 for j in jobs},
        gpu_demands={j.job_id: j.scale_factor * j.gpu_milli / 1000 for j in jobs})


def timed(inputs: AllocationInputs, gavel_exact: bool, repeat: int) -> tuple[float, str]:
    policy = make_policy("max_min_fairness_perf")
    policy.gavel_exact = gavel_exact
    policy.get_allocation(inputs)            # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        policy.get_allocation(inputs)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), policy.last_solve.status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,5000,15000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--per-job-max", type=int, default=15000, help="skip the per-job LP above this size")
    args = ap.parse_args()
    print(f"max_min_fairness_perf LP recompute, 6 GPU types ({sum(TYPES.values())} GPUs), sharing on, "
          f"median of {args.repeat}:")
    for n in (int(s) for s in args.sizes.split(",")):
        inputs = inputs_for(n)
        by_class, st_c = timed(inputs, False, args.repeat)
        line = f"  {n:6d} jobs: class LP {by_class * 1000:8.1f} ms ({st_c})"
        if n <= args.per_job_max:
            per_job, st_j = timed(inputs, True, max(1, args.repeat // 2))
            line += f"   per-job ECOS {per_job * 1000:8.1f} ms ({st_j})"
        print(line, flush=True)


if __name__ == "__main__":
    main()
