"""Round-mode benchmark at Alibaba scale (prints figures; never asserts).

The full 1 213-node / 6 212-GPU Alibaba node list, ~1 700 active jobs drawn from the
default pod list (exact milli-GPU/CPU/memory), GPU sharing on, FGD placement,
max_min_fairness_perf.  Prints medians over rounds of:
* the time per round spent in selection, placement and fragmentation metrics
  (everything but the LP), target <= 50 ms (the Gavel fork: 0.64 s per round);
* the LP recompute time at that size, target <= 0.5 s;
* the time to clone the state (what a fork and each rewind checkpoint cost).

``--load drain`` (default): all jobs arrive at t = 0 and none after, so completions shrink
the set during the timed rounds (1 700 -> ~1 000 over 20 rounds).  ``--load sustained``:
bench/alibaba-steady.yaml (openb jobs arriving every 20 s on average); the simulation is
warmed up until ``--jobs`` are active and timed from there, while the set keeps growing.

Usage: python bench/bench_round_mode.py [--jobs 1700] [--rounds 40] [--load drain|sustained]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEADY = REPO / "bench" / "alibaba-steady.yaml"

from fragscope import Simulation, load_scenario  # noqa: E402
from fragscope.policies import make_policy  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=1700)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--placement", default="fgd")
    ap.add_argument("--load", choices=("drain", "sustained"), default="drain")
    args = ap.parse_args()
    sustained = args.load == "sustained"
    if sustained:
        scenario, overrides = STEADY, [f"placement={args.placement}"]
    else:
        scenario, overrides = {
            "seed": 0, "round_seconds": 600,
            "cluster": {"nodes_csv": "builtin:alibaba/openb_node_list_gpu_node"},
            "workload": {"generate": {"lam": 0, "window": [0, args.jobs],
                                      "mix": "openb:builtin:alibaba/openb_pod_list_default"}},
            "policy": "max_min_fairness_perf", "placement": args.placement, "sharing": True,
        }, []
    t0 = time.perf_counter()
    sim = Simulation(load_scenario(scenario, overrides), explain=False)
    print(f"cluster: {sim.config.cluster.num_gpus} GPUs on {len(sim.config.cluster.servers)} servers; "
          f"load {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    first = sim.step()
    print(f"first round (LP + placing {first.running} of {len(sim.active_job_ids())} jobs): "
          f"{time.perf_counter() - t0:.2f} s")
    if sustained:
        t0 = time.perf_counter()
        while len(sim.active_job_ids()) < args.jobs and sim.step_index < 2000:
            sim.step()
        print(f"warmed up to {len(sim.active_job_ids())} active jobs in {sim.step_index} rounds "
              f"({time.perf_counter() - t0:.1f} s)")
    def lp_median(label: str) -> None:
        # the simulation's policy and LP inputs, solved by a policy of our own (the
        # simulation is untouched; stateful policies such as FIFO would remember a solve)
        inputs = sim.lp_inputs()
        policy = make_policy(sim.policy_name, sim.config.solver, sim.config.seed)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            policy.get_allocation(inputs)
            times.append(time.perf_counter() - t0)
        print(f"LP recompute {label} ({len(inputs.job_ids)} jobs x {len(inputs.worker_types)} GPU types): "
              f"median {statistics.median(times) * 1000:.0f} ms of 3; target <= 500 ms")

    lp_median("after the first round")
    no_lp, with_lp, active = [], [], []
    for _ in range(args.rounds):
        active.append(len(sim.active_job_ids()))
        t0 = time.perf_counter()
        rep = sim.step()
        dt = time.perf_counter() - t0
        (with_lp if rep.allocation_recomputed else no_lp).append(dt)
    num_active, rounds = len(sim.active_job_ids()), sim.rounds()
    print(f"after {args.rounds} more rounds: {num_active} active, {rounds[-1].running} running, "
          f"frag rate {rounds[-1].frag.frag_rate_pct:.2f} %")
    print(f"active jobs at the start of the timed rounds: max {max(active)}, median "
          f"{statistics.median(active):.0f}, min {min(active)} "
          f"({'arrivals every 20 s' if sustained else 'no arrivals; completions shrink the set'})")
    print(f"per round without LP (selection + placement + metrics): median {statistics.median(no_lp) * 1000:.1f} ms "
          f"over {len(no_lp)} rounds (min {min(no_lp) * 1000:.1f}, max {max(no_lp) * 1000:.1f}); target <= 50 ms")
    lp_median("at the end")
    copies = []
    for _ in range(5):
        t0 = time.perf_counter()
        sim.clone()
        copies.append(time.perf_counter() - t0)
    print(f"clone / snapshot of the state ({num_active} active jobs, {len(rounds)} rounds of history): "
          f"median {statistics.median(copies) * 1000:.1f} ms of 5 (the UI's fork and rewind checkpoints)")
    if with_lp:
        print(f"rounds with an LP recompute: median {statistics.median(with_lp) * 1000:.0f} ms over {len(with_lp)}")


if __name__ == "__main__":
    main()
