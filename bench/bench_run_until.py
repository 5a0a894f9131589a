"""Run until at 6 212 GPUs: the app against the headless engine for the same rounds.

Issue 22's target: running to a condition draws none of the rounds in between, so it
costs at most 1.5× what the headless engine takes to step the same rounds.  Measured:

* *headless* — ``Simulation.from_scenario(S)`` stepped ``K + 1`` times (the state after
  round K, where ``round >= K`` first holds), nothing else;
* *app* — a headless Textual app (160×50) on the same scenario: ``RunUntil("round >= K")``
  submitted to the engine worker and awaited until the frame of that round is drawn
  (arm bookkeeping, condition checks, checkpoints, the final frame).  Arms run in their
  own processes above 512 GPUs with two cores, as in the app.

Both start from a fresh simulation (construction not timed), alternating, ``--repeat``
times; medians and the ratio are printed.  Machine state matters (2 shared cores):
quote the ratio.

Usage: python bench/bench_run_until.py [--scenario teach/alibaba-1213] [--rounds 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from fragscope import Simulation
from fragscope.tui.app import FragscopeApp
from fragscope.tui.messages import RunUntil
from fragscope.tui.session import Session


def headless(scenario: str, rounds: int) -> float:
    sim = Simulation.from_scenario(scenario)
    t0 = time.perf_counter()
    for _ in range(rounds + 1):
        sim.step()
    return time.perf_counter() - t0


async def _app(scenario: str, rounds: int) -> float:
    app = FragscopeApp(Session(Simulation.from_scenario(scenario)))
    async with app.run_test(size=(160, 50)):
        await app.wait_for_engine()
        t0 = time.perf_counter()
        app.run_engine(RunUntil(f"round >= {rounds}"))
        await app.wait_for_engine()
        took = time.perf_counter() - t0
        assert app.session.step_index == rounds + 1, app.session.step_index
    app.session.close()
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="teach/alibaba-1213")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    hs, aps = [], []
    for i in range(args.repeat):
        hs.append(headless(args.scenario, args.rounds))
        aps.append(asyncio.run(_app(args.scenario, args.rounds)))
        print(f"  run {i + 1}: headless {hs[-1]:.2f} s · app run until {aps[-1]:.2f} s", flush=True)
    h, a = statistics.median(hs), statistics.median(aps)
    print(f"{args.scenario}: {args.rounds + 1} rounds · headless {h:.2f} s · app run until {a:.2f} s · "
          f"ratio {a / h:.2f}× (target ≤ 1.5×) · {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
