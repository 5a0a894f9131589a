"""What recording the decision log costs (prints figures; never asserts).

Issue 21's budget: a run that records its decisions (``fragscope run --decisions``,
``Simulation(..., decisions=True)``) costs at most 1.3x the same run without.  Two cases:

* ``seed``: the 60 jobs/h seed arm (scenarios/study/fork-6200.yaml with sharing on, 1 663
  rounds), the whole run with the log off and on, alternating in this process;
* ``big``: rounds without an LP at 15 000 active jobs (bench_scale.py's case: the Gavel
  fork's 6 200-GPU cluster, every job arriving at t = 0, FGD, sharing off):
  after the first round both variants step the *same* cloned state, alternating.

Medians of ``--repeat`` runs; the ratio is what to quote (shared machines are noisy).

Usage: python bench/bench_decisions.py [--case seed|big|both] [--repeat 3] [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(REPO / "bench"))

from bench_scale import scale_scenario  # noqa: E402
from fragscope import Simulation, load_scenario  # noqa: E402


def seed_arm(repeat: int, max_rounds: int | None) -> None:
    cfg = load_scenario(REPO / "scenarios" / "study" / "fork-6200.yaml", ["sharing=true"])
    times: dict[bool, list[float]] = {False: [], True: []}
    rows = 0
    for i in range(repeat):
        for record in ((False, True) if i % 2 == 0 else (True, False)):
            sim = Simulation(cfg, explain=False, decisions=record)
            t0 = time.perf_counter()
            for _ in sim.run(max_rounds):
                pass
            times[record].append(time.perf_counter() - t0)
            if record:
                rows = len(sim.state.decisions)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(f"seed arm (study/fork-6200, sharing on, {sim.step_index} rounds, {rows} decisions): "
          f"off {off:.2f} s, on {on:.2f} s (medians of {repeat}) -> {on / off:.3f}x; budget <= 1.3x")


def big_rounds(repeat: int, rounds: int, jobs: int) -> None:
    scenario = scale_scenario(jobs, 12000, sharing=False)
    base = Simulation(load_scenario(scenario, []), explain=False)
    base.step()   # the first round: the LP and the first placement of every job
    per: dict[bool, list[float]] = {False: [], True: []}
    for i in range(repeat):
        for record in ((False, True) if i % 2 == 0 else (True, False)):
            sim = base.clone()
            sim.record_decisions = record
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                rep = sim.step()
                if not rep.allocation_recomputed:
                    times.append(time.perf_counter() - t0)
            per[record].append(statistics.median(times))
    off, on = statistics.median(per[False]), statistics.median(per[True])
    print(f"{jobs}-job rounds without an LP ({len(base.active_job_ids())} active after round 1): "
          f"off {off * 1000:.1f} ms, on {on * 1000:.1f} ms a round (median of {repeat} medians over "
          f"{rounds} rounds) -> {on / off:.3f}x; budget <= 1.3x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=("seed", "big", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=20, help="timed rounds per variant (big case)")
    ap.add_argument("--jobs", type=int, default=15000, help="jobs arriving at t = 0 (big case)")
    ap.add_argument("--max-rounds", type=int, default=None, help="cut the seed arm short (quick look)")
    args = ap.parse_args()
    if args.case in ("seed", "both"):
        seed_arm(args.repeat, args.max_rounds)
    if args.case in ("big", "both"):
        big_rounds(args.repeat, args.rounds, args.jobs)


if __name__ == "__main__":
    main()
