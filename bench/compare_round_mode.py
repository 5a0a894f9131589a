"""Round-mode speed of this tree against a baseline commit, in one process.

This machine is shared and its speed drifts by ±40 % within minutes, so two benchmark
runs back to back can disagree more than the change being measured.  Here both engines
run in the same process on the same scenario and step alternately, round by round: the
noise hits both alike and the per-round ratio is stable.  The baseline's ``engine``
package is extracted with ``git archive`` into a temporary folder and imported as
``engine_base`` (the engine uses relative imports only, so it loads under any name; this
tree is the installed ``fragscope``).  A baseline from before the packaged data
(``builtin:alibaba/...``) gets the scenario with those names replaced by decompressed
copies of the same lists.

Prints, for rounds without an LP recompute: each engine's median and minimum time per
round and the median per-round ratio (this tree / baseline).  Both engines must agree on
every round's placements — the speed work is meant to change no output — and the script
says so when they do not.

Usage: python bench/compare_round_mode.py --baseline REV [--rounds 16] [--scenario YAML]
       [--warmup 4] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "bench" / "alibaba-play.yaml"


def load_baseline(rev: str, into: Path):
    """Import the ``engine`` package of commit ``rev`` as ``engine_base``."""
    blob = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev, "engine"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    (into / "engine").rename(into / "engine_base")
    sys.path.insert(0, str(into))
    return importlib.import_module("engine_base")


def _plain_paths(value, tmp: Path):
    """The scenario with every ``builtin:alibaba/NAME`` replaced by a plain CSV path."""
    if isinstance(value, dict):
        return {k: _plain_paths(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_paths(v, tmp) for v in value]
    if isinstance(value, str) and "builtin:alibaba/" in value:
        from fragscope.model.packaged import builtin_data
        head, name = value.split("builtin:", 1)
        src = builtin_data("builtin:" + name, "nodes" if "_node_list_" in name else "pods")
        dst = tmp / (Path(name).name + ".csv")
        if not dst.exists():
            dst.write_bytes(gzip.decompress(src.read_bytes()))
        return head + str(dst)
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, help="git revision to compare against")
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=4)
    ap.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: perf_counter; cpu: this process's CPU time (process_time), "
                         "which leaves out the time spent waiting for a core while other "
                         "work runs on the machine")
    args = ap.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    import fragscope as current
    from fragscope.model.yaml_io import read_yaml
    # an old baseline finds its tables through `resources.files("engine")`: the repo's engine/
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as tmp:
        base = load_baseline(args.baseline, Path(tmp))
        data = read_yaml(args.scenario)
        sims = {"baseline": base.Simulation.from_scenario(_plain_paths(data, Path(tmp))),
                "this tree": current.Simulation.from_scenario(args.scenario)}
        for sim in sims.values():
            sim.explain = False
            for _ in range(args.warmup):
                sim.step()
        times: dict[str, list[float]] = {name: [] for name in sims}
        lp_rounds = 0
        same = True
        for _ in range(args.rounds):
            reports = {}
            for name, sim in sims.items():
                t0 = clock()
                reports[name] = sim.step()
                times[name].append(clock() - t0)
            a, b = reports.values()
            same &= a.placements == b.placements
            if a.allocation_recomputed or b.allocation_recomputed:
                lp_rounds += 1
                for name in sims:
                    times[name][-1] = float("nan")
    no_lp = {name: [t for t in ts if t == t] for name, ts in times.items()}
    print(f"{args.scenario.name}: {args.rounds} rounds after {args.warmup} warm-up rounds, "
          f"{lp_rounds} with an LP recompute left out ({args.clock} clock)")
    for name, ts in no_lp.items():
        print(f"  {name:10s} per round without LP: median {statistics.median(ts) * 1000:6.1f} ms, "
              f"min {min(ts) * 1000:6.1f} ms")
    ratios = [x / y for x, y in zip(no_lp["this tree"], no_lp["baseline"])]
    print(f"  this tree / baseline, per round: median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}); "
          f"of the totals {sum(no_lp['this tree']) / sum(no_lp['baseline']):.3f}")
    print("  placements identical in every round" if same else
          "  WARNING: the two engines placed jobs differently")


if __name__ == "__main__":
    main()
