"""Whole runs of the seed study's full-scale cases, this tree beside a baseline commit.

Issue 12's targets on the Gavel fork's 6 200-GPU cluster (scenarios/study/fork-6200):

* ``ab60``: the 60 jobs/h A/B — arm A sharing off, arm B sharing on (fractional-aware LP),
  each run to the end (target: both arms <= 30 s on 2 cores, ~18 ms a round);
* ``arm360``: one 360 jobs/h arm, sharing off, capped at 400 000 simulated seconds
  (target <= 2 min).

Each engine steps its own Simulation to the end (or the cap) in this process, one run
after the other, back to back: the engine alone, without a command's progress line or
overload monitor.  The baseline's ``engine`` package is imported from ``git archive``
as bench/compare_round_mode.py does.  ``--timeout`` stops a run after that many wall
seconds and says how far it got (the baseline's 360 jobs/h arm runs for a long time).
Prints wall time, rounds and ms per round for each run.

Usage: python bench/bench_study.py [--cases ab60,arm360] [--baseline e9cea78] [--timeout 900]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from compare_round_mode import _plain_paths, load_baseline  # noqa: E402

import fragscope  # noqa: E402
from fragscope.model.packaged import find_scenario  # noqa: E402
from fragscope.model.yaml_io import read_yaml  # noqa: E402

CASES = {
    "ab60": [("A sharing off", {"sharing": False}), ("B sharing on", {"sharing": True})],
    "arm360": [("sharing off, cap 400 000 s", {"sharing": False, "max_sim_time_s": 400000,
                                                "workload": {"lam": 10}})],
}


def scenario(changes: dict) -> dict:
    data = read_yaml(find_scenario("study/fork-6200"))
    for key, value in changes.items():
        if key == "workload":
            data["workload"]["generate"].update(value)
        else:
            data[key] = value
    return data


def run(engine, data: dict, timeout: float) -> str:
    t0 = time.perf_counter()
    sim = engine.Simulation.from_scenario(data)
    sim.explain = False
    cap = data.get("max_sim_time_s", float("inf"))
    rounds = 0
    while not sim.done and sim.now < cap:
        sim.step()
        rounds += 1
        if time.perf_counter() - t0 > timeout:
            return (f"unfinished after {time.perf_counter() - t0:6.1f} s: {rounds} rounds, "
                    f"simulated t = {sim.now:.0f} s, {len(sim.state.jobs)} active jobs")
    wall = time.perf_counter() - t0
    return f"{wall:6.1f} s, {rounds} rounds, {wall / max(rounds, 1) * 1000:6.1f} ms/round"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="ab60,arm360")
    ap.add_argument("--baseline", default="", help="git revision to run beside this tree (e.g. e9cea78)")
    ap.add_argument("--timeout", type=float, default=900.0, help="wall seconds after which a run is stopped")
    args = ap.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        ap.error(f"unknown case {unknown[0]!r}; known: {', '.join(CASES)}")
    sys.path.insert(0, str(REPO))    # an old baseline reads its tables from the repo's engine/
    with tempfile.TemporaryDirectory() as tmp:
        engines = {"this tree": (fragscope, lambda d: d)}
        if args.baseline:
            engines[f"baseline {args.baseline}"] = (load_baseline(args.baseline, Path(tmp)),
                                                    lambda d: _plain_paths(d, Path(tmp)))
        for case in cases:
            print(f"{case}: study/fork-6200")
            for label, changes in CASES[case]:
                for name, (engine, adapt) in engines.items():
                    print(f"  {label:28s} {name:18s} {run(engine, adapt(scenario(changes)), args.timeout)}",
                          flush=True)


if __name__ == "__main__":
    main()
