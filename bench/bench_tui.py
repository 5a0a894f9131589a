"""TUI benchmarks (prints medians; never asserts).

1. Frame time on 6 212-GPU clusters, heatmap and bars mode, 160×50 headless:
   bench/big-cluster.yaml (2208:2000:2004 Gavel GPUs on 4-GPU servers, 1 553 servers,
   3 000 jobs) and Alibaba's 1 213-node
   cluster (scenarios/teach/alibaba-1213.yaml).
   per frame the grid, metrics, queue, events and LP table receive a new round's frame
   (``MainScreen.apply``) and the screen is laid out and composited.  Reported:
   *render* = apply + layout + compositor time (Textual's own work for the frame) and
   *end-to-end* = the same plus Pilot's idle wait (an upper bound).  Target ≤ 50 ms.
   While playing, the LP table is refreshed separately at ≤ 4 Hz (it is sortable over
   all 3 000 jobs, so its diff is O(jobs)); frames are reported with and without it.
2. Rounds per second in play mode at maximum speed, A alone and with the A/B fork open
   (targets ≥ 10 and ≥ 5 on the full Alibaba cluster with sharing on and FGD:
   bench/alibaba-play.yaml, 1 700 openb jobs), plus the 36:36:36 teaching scenario and the
   Gavel 6 212-GPU cluster.  bench/alibaba-play.yaml's 1 700 jobs all arrive at t = 0 and
   drain away during the window (≈ 450 are left by round 80), so a second Alibaba row,
   "sustained load" (bench/alibaba-steady.yaml: openb jobs arriving every 20 s), is warmed
   up to 1 700 active jobs and played from there; every row prints the rounds and the
   range of active jobs it covered.  Each play window is followed by the engine alone stepping the
   very same rounds from the same state (``Simulation.step()`` in a loop, two simulations
   for the fork), so the UI's share of the time is visible whatever the engine costs:
   *UI efficiency* = play rate / engine-alone rate.  Above 512 GPUs play mode keeps no
   placement decision records (single steps do), and the engine-alone run matches that.
   Above 512 GPUs each arm steps in its own process (tui/arm_process.py) and, at maximum
   speed, up to 3 rounds ahead of the UI; the engine-alone figure is one process stepping
   A and B one after the other, so with the fork the efficiency can exceed 100 %.
   ``--arms local`` keeps every arm in the app's process (the behaviour before arm
   processes), ``--arms processes`` forces processes; the mode is printed per row.

Usage: python bench/bench_tui.py [--frames 20] [--seconds 4] [--only frames|play]
                                 [--arms auto|local|processes]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from textual.screen import Screen  # noqa: E402

from fragscope import Simulation  # noqa: E402
from fragscope.tui.app import SPEEDS, FragscopeApp, make_app  # noqa: E402
from fragscope.tui.arm_process import PROCESSES_ENV  # noqa: E402
from fragscope.tui.messages import Step  # noqa: E402
from fragscope.tui.runtime import tune_gc  # noqa: E402
from fragscope.tui.session import PLAY_RECORDS_MAX_GPUS, Session  # noqa: E402
from fragscope.tui.widgets.gpu_grid import GpuGrid  # noqa: E402

BIG = REPO / "bench" / "big-cluster.yaml"
ALIBABA = REPO / "scenarios" / "teach" / "alibaba-1213.yaml"
GAVEL36 = REPO / "scenarios" / "teach" / "gavel-36.yaml"
ALIBABA_PLAY = REPO / "bench" / "alibaba-play.yaml"
ALIBABA_STEADY = REPO / "bench" / "alibaba-steady.yaml"
SIZE = (160, 50)

_render_time = [0.0]


def _instrument() -> None:
    """Accumulate time spent in Screen layout + compositor refresh (the frame's render work)."""
    for name in ("_refresh_layout", "_compositor_refresh"):
        orig = getattr(Screen, name)

        def wrapped(self, *a, __orig=orig, **k):
            t0 = time.perf_counter()
            try:
                return __orig(self, *a, **k)
            finally:
                _render_time[0] += time.perf_counter() - t0

        setattr(Screen, name, wrapped)


async def frame_times(scenario: Path, heatmap: bool, frames: int, table: bool) -> tuple[float, float, int]:
    app = make_app(scenario)
    async with app.run_test(size=SIZE) as pilot:
        await app.wait_for_engine()
        app.run_engine(Step(3))
        await app.wait_for_engine()
        await pilot.pause()
        main = app._main_screen()
        if bool(main.heatmap) != heatmap:
            main.toggle_heatmap()
            await pilot.pause()
        base = app.frames
        render, e2e = [], []
        for i in range(frames):
            # a "new round": same data, new version, so every cached row is rebuilt
            new = [dataclasses.replace(f, version=f.version + 1000 + i) for f in base]
            _render_time[0] = 0.0
            t0 = time.perf_counter()
            await main.apply(new, False, app.speed_label, table=table)
            applied = time.perf_counter() - t0
            await pilot.pause()
            e2e.append(time.perf_counter() - t0)
            render.append(applied + _render_time[0])
        gpus = len(main.query_one("#grid-A", GpuGrid).frame.fill)
        return statistics.median(render), statistics.median(e2e), gpus


WARMUP_ROUNDS = 2
STEADY_ACTIVE = 1700  # the steady-load row plays from the first round with this many active jobs


def warmed_up(scenario: Path, active: int | None) -> Simulation:
    """The scenario after WARMUP_ROUNDS rounds or, with ``active``, after as many rounds as
    it takes to reach that many active jobs (at most 1 000)."""
    sim = Simulation.from_scenario(scenario)
    sim.explain = sim.gpu_fill().size <= PLAY_RECORDS_MAX_GPUS
    for _ in range(WARMUP_ROUNDS):
        sim.step()
    while active is not None and len(sim.active_job_ids()) < active and sim.step_index < 1000:
        sim.step()
    sim.explain = True  # as a fresh app's simulation (play mode switches records off itself)
    return sim


async def play_rate(start_sim: Simulation, fork: bool, seconds: float) -> tuple[float, int, int, str]:
    """(rounds/s, first round, rounds played, arm mode) of the app playing at maximum speed
    from a copy of ``start_sim``."""
    app = FragscopeApp(Session(start_sim.clone()), speed_index=len(SPEEDS) - 1)
    app.theme, app.animation_level = "textual-dark", "none"  # as make_app
    mode = "processes" if app.session.processes else "local"
    async with app.run_test(size=SIZE) as pilot:
        await app.wait_for_engine()
        if fork:
            await pilot.press("s")
            await app.wait_for_engine()
        await pilot.pause()
        start = app.session.step_index
        t0 = time.perf_counter()
        await pilot.press("space")
        await asyncio.sleep(seconds)
        stopped = app.session.step_index  # rounds finished inside the window
        elapsed = time.perf_counter() - t0
        await pilot.press("space")
        await app.wait_for_engine()
        return (stopped - start) / elapsed, start, stopped - start, mode


def engine_rate(start_sim: Simulation, fork: bool, rounds: int) -> tuple[float, int, int]:
    """Rounds/s of the bare engine over the same rounds (A, or A and a sharing-flipped B),
    keeping decision records exactly when play mode does (not above PLAY_RECORDS_MAX_GPUS);
    and A's active jobs before the first and after the last of them."""
    sim = start_sim.clone()
    sim.explain = sim.gpu_fill().size <= PLAY_RECORDS_MAX_GPUS
    sims = [sim]
    if fork:
        b = sim.clone()
        b.set_sharing(not sim.sharing)
        sims.append(b)
    first = len(sim.active_job_ids())
    t0 = time.perf_counter()
    for _ in range(max(1, rounds)):
        for s in sims:
            if not s.done:
                s.step()
    return max(1, rounds) / (time.perf_counter() - t0), first, len(sim.active_job_ids())


async def main(frames: int, seconds: float, only: str | None) -> None:
    _instrument()
    tune_gc()  # as `fragscope view` does
    if only in (None, "frames"):
        print(f"frame time, {SIZE[0]}x{SIZE[1]}, median of {frames} frames")
        clusters = [("Gavel 2208:2000:2004", BIG), ("Alibaba 1213 nodes", ALIBABA)]
        for label, scenario in clusters:
            for heatmap in (True, False):
                for table in (False, True):
                    render, e2e, gpus = await frame_times(scenario, heatmap, frames, table)
                    mode = "heatmap" if heatmap else "bars   "
                    what = "+ LP table refresh" if table else "(table throttled) "
                    print(f"  {label:<21} {gpus} GPUs {mode} {what}: render {1000 * render:6.1f} ms   "
                          f"end-to-end {1000 * e2e:6.1f} ms", flush=True)
    if only in (None, "play"):
        print(f"play mode at max speed from round {WARMUP_ROUNDS} (sustained load: from the first round with "
              f"{STEADY_ACTIVE} active jobs), {seconds:g} s windows, median of 3; "
              "engine alone = the same rounds without the UI")
        runs = [(ALIBABA_PLAY, "Alibaba 6212 sharing+FGD", None),
                (ALIBABA_STEADY, "Alibaba, sustained load", STEADY_ACTIVE),
                (GAVEL36, "36:36:36 (108 GPUs)", None), (BIG, "Gavel 6212 GPUs", None)]
        for scenario, label, active in runs:
            start_sim = warmed_up(scenario, active)
            for fork in (False, True):
                play, eng, eff, load, spans = [], [], [], [], []
                for _ in range(3):
                    rate, start, rounds, mode = await play_rate(start_sim, fork, seconds)
                    alone, first, last = engine_rate(start_sim, fork, rounds)
                    play.append(rate)
                    eng.append(alone)
                    eff.append(rate / alone)
                    load.append((first, last))
                    spans.append((start, start + rounds))
                lo = min(min(x) for x in load)
                hi = max(max(x) for x in load)
                print(f"  {label:<25} {'A/B fork' if fork else 'A only  '} ({mode}): "
                      f"{statistics.median(play):6.1f} rounds/s   engine alone {statistics.median(eng):6.1f}   "
                      f"UI efficiency {100 * statistics.median(eff):3.0f} %   "
                      f"rounds {min(a for a, _ in spans)}-{max(b for _, b in spans)}, {lo}-{hi} active jobs", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--only", choices=("frames", "play"))
    ap.add_argument("--arms", choices=("auto", "local", "processes"), default="auto")
    args = ap.parse_args()
    os.environ[PROCESSES_ENV] = {"auto": "auto", "local": "0", "processes": "1"}[args.arms]
    asyncio.run(main(args.frames, args.seconds, args.only))
